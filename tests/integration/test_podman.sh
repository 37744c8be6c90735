# Podman, the second engine: the same harnesses and verdicts through
# `--engine podman` (runc + cgroupfs, set up by ci/setup.sh). The shared
# suites also run on podman as a whole: SANDRUN_TEST_ENGINE=podman (see
# `make integration-podman`); these tests compare the two engines directly.

podman_missing() {
	command -v podman >/dev/null && return 1
	fail "podman is not installed (ci/setup.sh installs it)"
	return 0
}

t_podman_runs_the_core_harnesses() {
	local r=$TMP/podman.json rc
	podman_missing && return
	"$SANDRUN" --engine podman run --catalogue "$CAT" -j 2 --report "json:$r" \
		"$ROOT/harnesses/cmdi-echo" "$ROOT/harnesses/exit-status" "$ROOT/harnesses/fuzz-crash" \
		"$ROOT/harnesses/fuzz-clean" "$ROOT/harnesses/workdir-write" \
		"$ROOT/harnesses/timeout-sleep" "$ROOT/harnesses/oom-hog" \
		"$ROOT/harnesses/cmdi-oob-http" >/dev/null 2>&1
	rc=$?
	assert_eq "exit code" 0 "$rc"
	assert_eq "engine" podman "$(jq -r .run.engine "$r")"
	assert_eq "all match" 0 "$(jq '[.records[] | select(.match != true)] | length' "$r")"
	assert_eq "crash on podman" crash "$(outcome_of "$r" fuzz-crash "")"
	assert_eq "timeout on podman" timeout "$(outcome_of "$r" timeout-sleep "")"
	# conmon's oom mark, read from the run's own directory.
	assert_eq "oom on podman" oom "$(outcome_of "$r" oom-hog "")"
	assert_eq "oob on podman" confirmed "$(outcome_of "$r" cmdi-oob-http exploit)"
	assert_eq "firewall on podman" true "$(field_of "$r" cmdi-oob-http exploit isolation.firewall)"
	assert_eq "nothing left in podman" 0 "$(podman ps -aq --filter label=sandrun.run | wc -l)"
	assert_eq "no network left in podman" 0 "$(podman network ls -q --filter label=sandrun.run | wc -l)"
	podman create --label sandrun.run=orphan --label "sandrun.owner=$(hostname)/999999/1" \
		--name sandrun-orphan-podman "$REG/sandrun/busybox:latest" true >/dev/null
	"$SANDRUN" --engine podman gc >/dev/null
	assert_eq "podman gc" 0 "$(podman ps -aq --filter name=sandrun-orphan-podman | wc -l)"
}

# The bundled suite gives the same verdict for every run on both engines.
t_podman_and_docker_agree_on_the_bundled_suite() {
	local e out
	podman_missing && return
	for e in docker podman; do
		"$SANDRUN" --engine "$e" run --catalogue "$CAT" -j 2 --report "json:$TMP/agree-$e.json" \
			"$ROOT/harnesses" >/dev/null 2>&1
		assert_eq "bundled suite on $e" 0 "$?"
		jq -r '.records[] | "\(.harness)[\(.payload)] \(.outcome)"' "$TMP/agree-$e.json" |
			sort >"$TMP/agree-$e.txt"
	done
	[ -s "$TMP/agree-docker.txt" ] || fail "no records from docker"
	out=$(diff "$TMP/agree-docker.txt" "$TMP/agree-podman.txt")
	assert_eq "verdicts differ (docker <, podman >)" "" "$out"
	assert_eq "nothing left in podman" 0 "$(podman ps -aq --filter label=sandrun.run | wc -l)"
}

# CNI creates a podman network's bridge on the first attach, after the run
# installed its chain: a sweep (any `sandrun run` starts one) must not take
# a chain whose bridge a podman network still claims, else that run's
# container would start with full egress. Once the network is gone, the
# chain is stale and goes.
t_podman_sweep_keeps_chains_of_claimed_bridges() {
	local net=srtest-claim-$$ br
	podman_missing && return
	[ "$(id -u)" = 0 ] || { skip "needs root for iptables"; return; }
	podman network create --disable-dns --label sandrun.test=claim "$net" >/dev/null
	br=$(podman network inspect --format '{{.NetworkInterface}}' "$net")
	if [ -z "$br" ] || [ -e "/sys/class/net/$br" ]; then
		fail "expected a claimed bridge that does not exist yet, got '$br'"
		podman network rm "$net" >/dev/null
		return
	fi
	iptables -w -N "SR-$br"
	"$SANDRUN" --engine podman gc >/dev/null 2>&1
	iptables -w -S "SR-$br" >/dev/null 2>&1 || fail "podman's sweep removed a claimed bridge's chain"
	"$SANDRUN" --engine docker gc >/dev/null 2>&1
	iptables -w -S "SR-$br" >/dev/null 2>&1 || fail "docker's sweep removed a podman bridge's chain"
	podman network rm "$net" >/dev/null
	"$SANDRUN" --engine podman gc >/dev/null 2>&1
	if iptables -w -S "SR-$br" >/dev/null 2>&1; then
		fail "the chain of a bridge no network claims was kept"
		iptables -w -F "SR-$br"
		iptables -w -X "SR-$br"
	fi
}
