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
