# The engine route of a run: the Engine API over the daemon's socket (the
# default with docker) or a `docker run` client per run
# (SANDRUN_ENGINE_API=0). Both start the same container from the same plan.

# route_run REPORT ENV... : `sandrun -v run` of $TMP/route; stderr in ROUTE_ERR.
route_run() {
	local r=$1
	shift
	env "$@" "$SANDRUN" -v run --catalogue "$CAT" --report "json:$r" "$TMP/route" \
		>/dev/null 2>"$TMP/route.err"
	ROUTE_RC=$?
	ROUTE_ERR=$(cat "$TMP/route.err")
}

t_engine_route_api_and_cli_start_the_same_container() {
	local a=$TMP/api.json c=$TMP/cli.json out
	rm -rf "$TMP/route"
	write_spec "$TMP/route" probe <<'EOF'
toolchain: busybox
command: ['sh', '-c', 'id -u; id -g; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status;
  touch /x 2>/dev/null || echo root-ro; touch /tmp/y && echo tmp-rw; ls /sys/class/net;
  cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes
    /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max 2>/dev/null; ulimit -c;
  pwd; echo "home=$HOME payload=$(cat /sandrun/payload) env=$SANDRUN_PAYLOAD x=$X";
  echo to-err >&2; exit 3']
env: {X: "a b=c 'q'"}
limits: {memory: 64m, pids: 77}
payloads: [{name: p, value: "v 1"}]
EOF
	route_run "$a"
	if [ "$ENGINE" != docker ]; then
		assert_contains "podman keeps the CLI route" "$ROUTE_ERR" \
			"engine route: CLI (the engine is not plain docker)"
		return
	fi
	assert_contains "API route taken" "$ROUTE_ERR" "engine route: API"
	route_run "$c" SANDRUN_ENGINE_API=0
	assert_contains "CLI route taken" "$ROUTE_ERR" "engine route: CLI (SANDRUN_ENGINE_API is off)"
	out=$(field_of "$a" probe p evidence.stdout_tail)
	assert_contains "user" "$out" "65534
65534"
	assert_contains "no capabilities" "$out" "CapEff:	0000000000000000"
	assert_contains "no-new-privileges" "$out" "NoNewPrivs:	1"
	assert_contains "read-only root, writable /tmp" "$out" "root-ro
tmp-rw"
	assert_contains "memory and pids limits" "$out" "67108864
77"
	assert_contains "env, payload, workdir" "$out" "/work
home=/tmp payload=v 1 env=v 1 x=a b=c 'q'"
	assert_eq "exit code" 3 "$(field_of "$a" probe p exit_code)"
	assert_eq "stderr" "to-err" "$(field_of "$a" probe p evidence.stderr_tail)"
	assert_eq "same stdout on both routes" "$out" "$(field_of "$c" probe p evidence.stdout_tail)"
	assert_eq "same stderr on both routes" "to-err" "$(field_of "$c" probe p evidence.stderr_tail)"
	assert_eq "same exit on both routes" 3 "$(field_of "$c" probe p exit_code)"
}

t_engine_route_api_output_capped_at_the_limit() {
	local r=$TMP/cap.json out
	docker_only "the Engine API route is docker's" && return
	rm -rf "$TMP/route"
	write_spec "$TMP/route" flood <<'EOF'
toolchain: busybox
command: ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo "line $i ................................................"; i=$((i+1)); done; echo END']
limits: {output: 4k}
EOF
	route_run "$r"
	assert_contains "API route taken" "$ROUTE_ERR" "engine route: API"
	out=$(field_of "$r" flood "" evidence.stdout_tail)
	assert_contains "the tail is kept" "$out" "END"
	[ "${#out}" -le 4096 ] || fail "stdout tail is ${#out} bytes, over the 4 KiB limit"
	assert_not_contains "the head is dropped" "$out" "line 0 "
}
