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
