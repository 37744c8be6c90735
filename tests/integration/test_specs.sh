# Spec files and discovery (issue "trust the tool"): specs must be regular
# files of at most 1 MiB, env names and values are checked, and discovery
# of a directory does not trip over YAML that is not a spec.

# run_quick SECONDS ARGS...: sandrun with a deadline; prints the output,
# returns the exit code (124 when the deadline passed).
run_quick() {
	local secs=$1
	shift
	timeout -k 2 "$secs" "$SANDRUN" "$@" 2>&1
}

t_specs_dev_zero_fifo_and_big_file_refused() {
	local out rc t0 big=$TMP/big.yaml fifo=$TMP/pipe.yaml
	t0=$(date +%s)
	out=$(run_quick 10 run --catalogue "$CAT" /dev/zero)
	rc=$?
	assert_eq "exit code for /dev/zero" 2 "$rc"
	assert_contains "/dev/zero message" "$out" "'/dev/zero': not a regular file (a character device)"
	mkfifo "$fifo"
	out=$(run_quick 10 run --catalogue "$CAT" "$fifo")
	rc=$?
	assert_eq "exit code for a FIFO" 2 "$rc"
	assert_contains "FIFO message" "$out" "'$fifo': not a regular file (a FIFO)"
	{
		printf 'toolchain: busybox\ncommand: ["true"]\n'
		head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#'
		printf '\n'
	} >"$big"
	out=$(run_quick 10 run --catalogue "$CAT" "$big")
	rc=$?
	assert_eq "exit code for a 2 MiB spec" 2 "$rc"
	assert_contains "2 MiB message" "$out" "'$big': larger than 1 MiB"
	out=$(run_quick 10 explain --catalogue "$CAT" /dev/zero)
	rc=$?
	assert_eq "explain exit code for /dev/zero" 2 "$rc"
	[ $(($(date +%s) - t0)) -le 20 ] || fail "refusing bad spec files took $(($(date +%s) - t0)) s"
}

t_specs_env_names_and_values_checked() {
	local s=$TMP/envspecs out rc
	write_spec "$s" reserved <<'YAML'
toolchain: busybox
command: ["true"]
env:
  LD_PRELOAD_OK: "fine"
  SANDRUN_TOKEN: "forged"
YAML
	write_spec "$s" badname <<'YAML'
toolchain: busybox
command: ["true"]
env: {"A=B": "x"}
YAML
	write_spec "$s" newline <<'YAML'
toolchain: busybox
command: ["true"]
env: {A: "one\nB=two"}
YAML
	out=$(run_quick 10 explain --catalogue "$CAT" "$s/reserved.yaml")
	rc=$?
	assert_eq "exit code for a SANDRUN_ env name" 2 "$rc"
	assert_contains "reserved position" "$out" "$s/reserved.yaml:5:3: env name 'SANDRUN_TOKEN' is reserved"
	out=$(run_quick 10 explain --catalogue "$CAT" "$s/badname.yaml")
	rc=$?
	assert_eq "exit code for a bad env name" 2 "$rc"
	assert_contains "bad name position" "$out" "$s/badname.yaml:3:7: invalid env name 'A=B'"
	out=$(run_quick 10 explain --catalogue "$CAT" "$s/newline.yaml")
	rc=$?
	assert_eq "exit code for a newline in an env value" 2 "$rc"
	assert_contains "newline position" "$out" \
		"$s/newline.yaml:3:10: env value of 'A' must not contain a line break"
}

# A bundled-style suite (harness/harness.yaml + harness/work/) whose workdir
# holds CI files, plus a hidden directory with a workflow, still runs.
t_discovery_skips_foreign_yaml_in_workdirs_and_hidden_dirs() {
	local s=$TMP/disc-suite r=$TMP/disc.json out rc
	mkdir -p "$s"
	cp -r "$ROOT/harnesses/cmdi-echo" "$s/"
	printf 'language: c\nscript: make test\n' >"$s/cmdi-echo/work/.travis.yml"
	printf 'services: {db: {image: postgres}}\n' >"$s/cmdi-echo/work/docker-compose.yml"
	mkdir -p "$s/.github/workflows"
	printf 'on: push\njobs: {}\n' >"$s/.github/workflows/ci.yml"
	out=$("$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" 2>&1)
	rc=$?
	assert_eq "suite exit code" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out" | tail -20 >&2
	assert_eq "records: the harness's payloads only" 3 "$(jq '.records | length' "$r")"
	assert_eq "no spec errors" 0 "$(jq '[.records[] | select(.outcome == "error")] | length' "$r")"
	assert_eq "exploit still confirmed" confirmed "$(outcome_of "$r" cmdi-echo exploit)"
	assert_not_contains "no foreign YAML read" "$out" "travis"
	out=$(run_quick 20 explain --catalogue "$CAT" "$s")
	rc=$?
	assert_eq "explain over the suite" 0 "$rc"
}

t_discovery_sandrunignore() {
	local s=$TMP/ign-suite r=$TMP/ign.json out rc
	write_spec "$s" keep <<'YAML'
toolchain: busybox
command: ["true"]
YAML
	write_spec "$s/drafts" broken <<'YAML'
this is: [not a spec
YAML
	write_spec "$s" wip-1 <<'YAML'
toolchain: busybox
colour: blue
YAML
	write_spec "$s" wip-keep <<'YAML'
toolchain: busybox
command: ["true"]
YAML
	cat >"$s/.sandrunignore" <<'IGN'
# drafts and work in progress are not run
drafts/
wip-*.yaml
!wip-keep.yaml
IGN
	out=$("$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" 2>&1)
	rc=$?
	assert_eq "exit code with ignored broken specs" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out" | tail -20 >&2
	assert_eq "harnesses run" "keep wip-keep" "$(jq -r '[.records[].harness] | sort | join(" ")' "$r")"
}

# Loading (issue "Speed II"): each spec file is read once and those bytes
# give both the records' spec_hash and the report's suite fingerprint. Both
# are checked against XXH64 computed here independently
# (tests/tools/xxh64.py), on a suite where a subdirectory sorts between two
# files and one spec is reached through a symlink inside the suite.
t_specs_hash_and_fingerprint_are_xxh64_of_the_bytes() {
	local s=$TMP/fp-suite r=$TMP/fp.json out rc want cat
	write_spec "$s" a <<'YAML'
toolchain: busybox
command: ["sh", "-c", "cat /sandrun/payload"]
payloads:
  - {name: one, value: "hello"}
  - {name: two, value: "world"}
oracle: {stdout: "PWNED"}
expect: not_confirmed
YAML
	write_spec "$s/b" x <<'YAML'
toolchain: busybox
command: ["true"]
YAML
	write_spec "$s" c <<'YAML'
toolchain: busybox
command: ["false"]
YAML
	ln -s b/x.yaml "$s/link.yaml"
	out=$("$SANDRUN" run --catalogue "$CAT" --filter a --report "json:$r" "$s" 2>&1)
	rc=$?
	assert_eq "exit code" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out" | tail -20 >&2
	want=$(python3 "$ROOT/tests/tools/xxh64.py" "$s/a.yaml")
	assert_eq "spec_hash of both payloads" "$want $want" \
		"$(jq -r '[.records[].spec_hash] | join(" ")' "$r")"
	cat=$(jq -r '.run.catalogue.xxh64' "$r")
	want=$(python3 "$ROOT/tests/tools/xxh64.py" --suite "$s" "$cat" \
		"$s/a.yaml" "$s/b/x.yaml" "$s/c.yaml" "$s/link.yaml")
	assert_eq "suite fingerprint" "$want" "$(jq -r '.run.fingerprint' "$r")"
	# The same suite given as its files, in another order (the fingerprint
	# is then computed by reading them again): the same value.
	"$SANDRUN" run --catalogue "$CAT" --filter a --report "json:$r" \
		"$s/link.yaml" "$s/c.yaml" "$s/b/x.yaml" "$s/a.yaml" >/dev/null 2>&1
	assert_eq "fingerprint from the files" "$want" "$(jq -r '.run.fingerprint' "$r")"
}

# Symlinks in a searched directory: a symlinked directory is not entered
# (whether it leads inside the suite or out of it); a symlinked spec is a
# spec of its own when it leads to a file inside the searched directory, and
# an invalid spec (exit 2, named) when it leads out of it; a workdir that
# resolves out through a symlink is refused at file:line:col.
t_specs_symlinks_stay_inside_the_searched_directory() {
	local s=$TMP/ln-suite o=$TMP/ln-outside out rc
	write_spec "$o/specs" outside <<'YAML'
toolchain: busybox
command: ["true"]
YAML
	write_spec "$s/in" inner <<'YAML'
toolchain: busybox
command: ["true"]
YAML
	ln -s "$o/specs" "$s/outdir"
	ln -s in "$s/indir"
	ln -s in/inner.yaml "$s/via-link.yaml"
	out=$("$SANDRUN" check --catalogue "$CAT" "$s" 2>&1)
	rc=$?
	assert_eq "exit code, links inside only" 0 "$rc"
	assert_contains "no linked directory entered" "$out" "checked 2 specs: 2 valid, 0 invalid"
	ln -s "$o/specs/outside.yaml" "$s/escape.yaml"
	out=$("$SANDRUN" check --catalogue "$CAT" "$s" 2>&1)
	rc=$?
	assert_eq "exit code, a spec linked from outside" 2 "$rc"
	assert_contains "names the link" "$out" \
		"'$s/escape.yaml': a symlink to '$(realpath "$o/specs/outside.yaml")', outside the searched directory"
	assert_contains "counted invalid" "$out" "checked 3 specs: 2 valid, 1 invalid"
	out=$("$SANDRUN" check --catalogue "$CAT" "$s/escape.yaml" 2>&1)
	rc=$?
	assert_eq "a file argument is taken as given" 0 "$rc"
	rm "$s/escape.yaml"
	mkdir -p "$o/work"
	ln -s "$o/work" "$s/in/work"
	write_spec "$s/in" wd <<'YAML'
toolchain: busybox
command: ["true"]
workdir: work
YAML
	out=$("$SANDRUN" check --catalogue "$CAT" "$s" 2>&1)
	rc=$?
	assert_eq "exit code, a workdir linked out" 2 "$rc"
	assert_contains "file:line:col" "$out" "$s/in/wd.yaml:3:10: workdir 'work' escapes the suite"
}
