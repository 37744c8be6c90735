# Podman, the second engine: the same harnesses and verdicts through
# `--engine podman` (runc + cgroupfs, set up by ci/setup.sh).

t_podman_runs_the_core_harnesses() {
	local r=$TMP/podman.json out rc
	command -v podman >/dev/null || { fail "podman is not installed (ci/setup.sh installs it)"; return; }
	"$SANDRUN" --engine podman run --catalogue "$CAT" -j 2 --report "json:$r" \
		"$ROOT/harnesses/cmdi-echo" "$ROOT/harnesses/exit-status" "$ROOT/harnesses/fuzz-crash" \
		"$ROOT/harnesses/fuzz-clean" "$ROOT/harnesses/workdir-write" \
		"$ROOT/harnesses/timeout-sleep" >/dev/null 2>&1
	rc=$?
	assert_eq "exit code" 0 "$rc"
	assert_eq "engine" podman "$(jq -r .run.engine "$r")"
	assert_eq "all match" 0 "$(jq '[.records[] | select(.match != true)] | length' "$r")"
	assert_eq "crash on podman" crash "$(outcome_of "$r" fuzz-crash "")"
	assert_eq "timeout on podman" timeout "$(outcome_of "$r" timeout-sleep "")"
	assert_eq "nothing left in podman" 0 "$(podman ps -aq --filter label=sandrun.run | wc -l)"
	# Network policies need a host gateway podman's internal networks lack:
	# a clear error, not a silent downgrade.
	"$SANDRUN" --engine podman run --catalogue "$CAT" --report "json:$r" \
		"$ROOT/harnesses/cmdi-oob-http" >/dev/null 2>&1
	assert_eq "oob on podman exit" 1 "$?"
	assert_contains "oob on podman says why" "$(field_of "$r" cmdi-oob-http exploit cause)" "needs the docker engine"
	podman create --label sandrun.run=orphan --label "sandrun.owner=$(hostname)/999999/1" \
		--name sandrun-orphan-podman "$REG/sandrun/busybox:latest" true >/dev/null
	"$SANDRUN" --engine podman gc >/dev/null
	assert_eq "podman gc" 0 "$(podman ps -aq --filter name=sandrun-orphan-podman | wc -l)"
}
