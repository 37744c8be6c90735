# Trust II (issue 17): hostile specs, reports and runs cannot touch the host.
# Each test reproduces an attack the issue describes and checks the host
# stayed as it was.

# A 40-deep directory in /work, a link l -> d/d/.../d and a glob of 40
# ".[.]" components: glob() expanded them to the real "..", the source
# climbed back into /work while the destination climbed out of the
# artifacts directory, writing /tmp/<marker> on the host as root.
trust_dotdot_spec() {
	local dir=$1 marker=$2 pat="l" deep="d" i
	for i in $(seq 39); do deep="$deep/d"; done
	for i in $(seq 40); do pat="$pat/.[.]"; done
	write_spec "$dir" dotdot <<EOF
toolchain: busybox
command: ["sh", "-c", "mkdir -p $deep tmp && ln -s $deep l && echo owned > tmp/$marker"]
collect: ["$pat/tmp/$marker"]
EOF
}

t_trust_1_collect_glob_dotdot() {
	local s=$TMP/trust1 marker="PWNED-sandrun-trust1-$$" out rc r=$TMP/trust1.json
	trust_dotdot_spec "$s" "$marker"
	rm -f "/tmp/$marker"
	out=$("$SANDRUN" --catalogue "$CAT" check "$s" 2>&1)
	rc=$?
	assert_eq "check refuses a glob that can match '..'" 2 "$rc"
	assert_contains "check names the key" "$out" "'collect' items must be globs under /work"
	assert_contains "check gives the position" "$out" "dotdot.yaml:"
	out=$("$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" 2>&1)
	assert_eq "run refuses it too" 2 "$?"
	[ -e "/tmp/$marker" ] && fail "the run wrote /tmp/$marker on the host"
	rm -f "/tmp/$marker"
	# Patterns that validation lets through cannot be steered either: a
	# link into the tree, "*" through a link to the host's /, a link to a
	# host file.
	rm -f "$s/dotdot.yaml"
	write_spec "$s" links <<'EOF'
toolchain: busybox
command: ["sh", "-c", "mkdir -p a/b && echo in > a/b/f && ln -s a/b la && ln -s / root && ln -s /etc/passwd pw"]
collect: ["la/*", "root/etc/*", "pw", "a/*/f"]
expect: not_confirmed
EOF
	out=$("$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" 2>&1)
	rc=$?
	assert_eq "run exit code" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out" | tail -5 >&2
	assert_eq "only the physical match is collected" '["a/b/f"]' \
		"$(jq -c '.records[0].evidence.artifacts' "$r")"
}

# A suite with one harness that leaves a saved input (out/crash-1) and a
# report of its run: the material the repro tests mutate.
trust_repro_suite() {
	local s=$1 r=$2
	write_spec "$s" saved <<'EOF'
toolchain: busybox
command: ["sh", "-c", "mkdir -p out && echo boom > out/crash-1 && echo boom"]
collect: ["out/*"]
reproduce: ["sh", "-c", "cat {artifact}"]
oracle: {stdout: boom}
expect: confirmed
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1 ||
		fail "the suite's own run failed"
}

# trust_mutate IN OUT JQ-FILTER: a report with its first record changed.
trust_mutate() {
	jq -c "$3" "$1" >"$2" || fail "jq $3"
}

t_trust_2_repro_report_artifacts() {
	local s=$TMP/trust2a r=$TMP/trust2a.json m=$TMP/trust2a-m.json out rc victim dir
	trust_repro_suite "$s" "$r"
	assert_contains "records carry spec_hash" "$(jq -r '.records[0].spec_hash' "$r")" ""
	[ "$(jq -r '.records[0].spec_hash | length' "$r")" = 16 ] || fail "spec_hash is not 16 hex chars"
	# The genuine record reproduces from beneath the artifacts root (the
	# suite root defaults to the current directory).
	out=$(cd "$s" && "$SANDRUN" --catalogue "$CAT" repro "$r" 1 2>&1)
	assert_eq "genuine repro exit code" 0 "$?"
	assert_contains "genuine repro used the saved input" "$out" "on its saved input"
	# A host file as the saved input: /etc/shadow through artifact_dir.
	trust_mutate "$r" "$m" '.records[0].evidence.artifact_dir = "/etc" | .records[0].evidence.artifacts = ["shadow"]'
	out=$(cd "$s" && "$SANDRUN" --catalogue "$CAT" repro "$m" 1 2>&1)
	assert_eq "/etc/shadow as saved input refused" 2 "$?"
	assert_contains "says why" "$out" "saved input"
	assert_not_contains "never ran" "$out" "reproduced"
	# A "../" name: it used to remove the file it named, before any engine.
	victim=$TMP/trust2-victim
	echo keep >"$victim"
	trust_mutate "$r" "$m" ".records[0].evidence.artifact_dir = \"/tmp\" | .records[0].evidence.artifacts = [\"../../../../../../../..$victim\"]"
	out=$(cd "$s" && "$SANDRUN" --catalogue "$CAT" repro "$m" 1 2>&1)
	assert_eq "'../' saved input refused" 2 "$?"
	assert_eq "the named host file is still there" keep "$(cat "$victim" 2>&1)"
	# A link in the record's own directory beneath the artifacts root.
	dir=$(jq -r '.records[0].evidence.artifact_dir' "$r")
	rm -f "$dir/out/crash-1"
	ln -s /etc/shadow "$dir/out/crash-1"
	out=$(cd "$s" && "$SANDRUN" --catalogue "$CAT" repro "$r" 1 2>&1)
	rc=$?
	assert_eq "a link as saved input refused" 2 "$rc"
	assert_contains "no link followed" "$out" "no link followed"
	[ -L "$dir/out/crash-1" ] || fail "repro removed the artifact link"
}

t_trust_2_repro_report_image() {
	local s=$TMP/trust2i r=$TMP/trust2i.json m=$TMP/trust2i-m.json out img
	trust_repro_suite "$s" "$r"
	img=$(jq -r '.records[0].image' "$r")
	trust_mutate "$r" "$m" ".records[0].image = \"$REG/evil/image:latest\""
	out=$("$SANDRUN" --catalogue "$CAT" repro --suite "$s" "$m" 1 2>&1)
	assert_eq "another image refused" 2 "$?"
	assert_contains "names the report's image" "$out" "$REG/evil/image:latest"
	assert_contains "names the catalogue's image" "$out" "$img"
	assert_eq "no container started" 0 "$(engine ps -aq --filter label=sandrun.run | wc -l)"
}

t_trust_2_repro_report_spec() {
	local s=$TMP/trust2s r=$TMP/trust2s.json m=$TMP/trust2s-m.json out rc evil=$TMP/trust2-evil
	trust_repro_suite "$s" "$r"
	# A spec outside the suite root (the report picks the command).
	mkdir -p "$evil"
	sed 's/echo boom/echo boom; echo escaped/' "$s/saved.yaml" >"$evil/saved.yaml"
	trust_mutate "$r" "$m" ".records[0].spec = \"$evil/saved.yaml\""
	out=$("$SANDRUN" --catalogue "$CAT" repro --suite "$s" "$m" 1 2>&1)
	assert_eq "spec outside the suite refused" 2 "$?"
	assert_contains "says so" "$out" "outside the suite root"
	# Relative names climbing out are resolved first, then refused alike.
	trust_mutate "$r" "$m" ".records[0].spec = \"../trust2-evil/saved.yaml\""
	out=$("$SANDRUN" --catalogue "$CAT" repro --suite "$s" "$m" 1 2>&1)
	assert_eq "relative spec outside the suite refused" 2 "$?"
	# The spec changed since the record: refused, then run on request.
	echo "# changed" >>"$s/saved.yaml"
	out=$("$SANDRUN" --catalogue "$CAT" repro --suite "$s" "$r" 1 2>&1)
	assert_eq "changed spec refused" 2 "$?"
	assert_contains "names the hashes" "$out" "spec_hash $(jq -r '.records[0].spec_hash' "$r")"
	out=$("$SANDRUN" --catalogue "$CAT" repro --suite "$s" --allow-changed-spec "$r" 1 2>&1)
	rc=$?
	assert_eq "--allow-changed-spec runs it" 0 "$rc"
	assert_contains "and says what changed" "$out" "changed since the record"
	# A record without spec_hash (an older or forged report) is refused.
	trust_mutate "$r" "$m" 'del(.records[0].spec_hash)'
	out=$("$SANDRUN" --catalogue "$CAT" repro --suite "$s" "$m" 1 2>&1)
	assert_eq "no spec_hash refused" 2 "$?"
}

# A harness that keeps swapping out/ between a directory and links (into
# /work, to /, to /etc) while it runs, then leaves it a link: the host's
# collect walks by fd, follows none of them, and finds only the physical
# out2/real it names. Cold and warm (isolation: harness) alike.
t_trust_5_collect_symlink_race() {
	local s=$TMP/trust5 r=$TMP/trust5.json iso out rc
	for iso in run harness; do
		write_spec "$s" "race-$iso" <<EOF
toolchain: busybox
isolation: $iso
command: ["sh", "-c", "mkdir -p in out2 && echo secret > in/secret && echo real > out2/real && i=0; while [ \$i -lt 300 ]; do rm -rf out; mkdir out; echo f > out/f; rm -rf out; ln -s in out; rm -f out; ln -s / out; rm -f out; ln -s /etc out; i=\$((i+1)); done; rm -f out; ln -s in out; (while :; do rm -f out; ln -s /etc out; rm -f out; ln -s in out; done) & sleep 0.2"]
collect: ["out/*", "out2/*", "*/secret", "out/passwd"]
limits: {artifact_bytes: 4096}
expect: not_confirmed
EOF
	done
	out=$("$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" 2>&1)
	rc=$?
	assert_eq "run exit code" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out" | tail -5 >&2
	for iso in run harness; do
		assert_eq "$iso: only physical names collected" '["out2/real","in/secret"]' \
			"$(jq -c --arg h "race-$iso" '[.records[] | select(.harness == $h)][0].evidence.artifacts' "$r")"
	done
	if grep -rq "root:" "$SANDRUN_ARTIFACTS" 2>/dev/null; then
		fail "a host file reached the artifacts"
	fi
}

t_trust_6_report_merge_escapes() {
	local s=$TMP/trust6m a=$TMP/trust6a.json b=$TMP/trust6b.json out
	write_spec "$s" hello <<'EOF'
toolchain: busybox
command: ["echo", "hi"]
oracle: {stdout: hi}
expect: confirmed
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$a" "$s" >/dev/null 2>&1
	jq -c '.run.fingerprint = "evil\u001b]0;pwned\u0007\u001b[2J" | .run.shard = {"index": 2, "count": 2}' "$a" >"$b"
	jq -c '.run.shard = {"index": 1, "count": 2}' "$a" >"$a.1"
	out=$("$SANDRUN" report merge -o "json:$TMP/trust6-merged.json" "$a.1" "$b" 2>&1)
	case "$out" in
	*$'\e'* | *$'\a'*) fail "raw ESC/BEL reached the terminal: $(printf '%q' "$out")" ;;
	esac
	assert_contains "the control bytes are shown escaped" "$out" '\x1b]0;pwned\x07'
}

t_trust_6_dangling_report_link() {
	local s=$TMP/trust6d d=$TMP/trust6d-out out rc
	write_spec "$s" hello <<'EOF'
toolchain: busybox
command: ["echo", "hi"]
oracle: {stdout: hi}
expect: confirmed
EOF
	mkdir -p "$d"
	ln -sfn "$d/report.json" "$TMP/trust6-link.json"
	out=$("$SANDRUN" run --catalogue "$CAT" --report "json:$TMP/trust6-link.json" "$s" 2>&1)
	rc=$?
	assert_eq "run exit code" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out" | tail -3 >&2
	[ -L "$TMP/trust6-link.json" ] || fail "the link was replaced"
	assert_eq "the link's target holds the report" confirmed "$(outcome_of "$d/report.json" hello "")"
}

# A forged sanitizer frame names a host path: the crash location is looked
# up only under the spec's workdir or directory, so the record says nothing
# of /etc/passwd (nor of a /work link to it).
t_trust_6_crash_location_forged_frame() {
	local s=$TMP/trust6c r=$TMP/trust6c.json loc
	mkdir -p "$s/work"
	ln -sfn /etc/passwd "$s/work/pw.c"
	write_spec "$s" forged <<'EOF'
toolchain: busybox
workdir: ./work
command: ["sh", "-c", "printf '==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1 at pc 0x2 bp 0x3 sp 0x4\nWRITE of size 1 at 0x1 thread T0\n    #0 0x5 in main /etc/passwd:1:1\n\nSUMMARY: AddressSanitizer: heap-buffer-overflow /etc/passwd:1:1 in main\n' >&2; exit 1"]
oracle: {crash: true}
expect: crash
EOF
	write_spec "$s" forged2 <<'EOF'
toolchain: busybox
workdir: ./work
command: ["sh", "-c", "printf '==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1 at pc 0x2 bp 0x3 sp 0x4\nWRITE of size 1 at 0x1 thread T0\n    #0 0x5 in main /work/pw.c:1:1\n\nSUMMARY: AddressSanitizer: heap-buffer-overflow /work/pw.c:1:1 in main\n' >&2; exit 1"]
oracle: {crash: true}
expect: crash
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "crash recognised" crash "$(outcome_of "$r" forged "")"
	loc=$(field_of "$r" forged "" crash.location)
	assert_eq "no location for a host path" null "$loc"
	loc=$(field_of "$r" forged2 "" crash.location)
	assert_eq "no location through a workdir link" null "$loc"
}

# The systematic guard (issue 17 (b)): a short seeded pass of the hostile
# generator. Every case must leave the sentinel tree and the host as they
# were and no container behind; the counts are printed. `make fuzz` runs a
# longer pass (HOSTILE_SPECS, HOSTILE_REPORTS, HOSTILE_RACES, HOSTILE_SEED).
t_hostile_generator_short_pass() {
	local out rc
	command -v python3 >/dev/null || { skip "python3 is not installed"; return; }
	out=$(python3 "$ROOT/tests/hostile/gen.py" --sandrun "$SANDRUN" --catalogue "$CAT" \
		--seed "${SANDRUN_HOSTILE_SEED:-3}" --specs 16 --races 6 --reports 40 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^(hostile|FINDING)' | head -20 | sed 's/^/    /'
	assert_eq "generator exit code (0: every case held)" 0 "$rc"
	assert_contains "generator summary" "$out" '"findings": 0'
}
