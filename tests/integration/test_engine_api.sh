# The engine API adapter (runner/engine/engine_api.c) end to end against the real
# engine, through its driver tests/bench/api_bench (`api_bench run` creates a
# container with the hardening of a sandrun run, attaches, starts, waits,
# removes it, and prints the outcome as JSON).
API_BENCH=${API_BENCH:-$ROOT/build/bench/api_bench}

# The busybox test image of the catalogue under test.
eapi_busybox() {
	awk '/toolchain_id = "busybox"/ { f = 1 } f && /^base = / { gsub(/"/, "", $3); print $3; exit }' "$CAT"
}

# eapi_run ARGS...: the driver's JSON on stdout, its exit status in EAPI_RC.
eapi_run() {
	EAPI_RC=0
	if [ ! -x "$API_BENCH" ]; then
		fail "no driver at $API_BENCH (make build/bench/api_bench)"
		return 1
	fi
	EAPI_OUT=$("$API_BENCH" run "$@" 2>"$TMP/eapi.err") || EAPI_RC=$?
	EAPI_ERR=$(cat "$TMP/eapi.err")
}

t_engine_api_run_reports_exit_code_and_both_streams() {
	eapi_run "$(eapi_busybox)" sh -c 'echo to-out; echo to-err >&2; echo more-out; exit 3' || return
	assert_eq "driver status" 0 "$EAPI_RC"
	assert_eq "exit code" 3 "$(jq -r .exit <<<"$EAPI_OUT")"
	assert_eq "stdout" "to-out
more-out" "$(jq -r .stdout <<<"$EAPI_OUT")"
	assert_eq "stderr" "to-err" "$(jq -r .stderr <<<"$EAPI_OUT")"
	assert_eq "oom" false "$(jq -r .oom <<<"$EAPI_OUT")"
}

t_engine_api_container_gets_the_run_hardening() {
	eapi_run "$(eapi_busybox)" sh -c 'id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status;
		touch /x 2>/dev/null || echo root-ro; touch /tmp/y && echo tmp-rw; ls /sys/class/net;
		echo home=$HOME pwd=$(pwd)' || return
	local out
	out=$(jq -r .stdout <<<"$EAPI_OUT")
	assert_eq "exit code" 0 "$(jq -r .exit <<<"$EAPI_OUT")"
	assert_contains "user" "$out" "65534"
	assert_contains "capabilities" "$out" "CapEff:	0000000000000000"
	assert_contains "no-new-privileges" "$out" "NoNewPrivs:	1"
	assert_contains "read-only root" "$out" "root-ro"
	assert_contains "tmpfs /tmp" "$out" "tmp-rw"
	assert_contains "env and workdir" "$out" "home=/tmp pwd=/work"
	assert_not_contains "network none" "$out" "eth0"
}

t_engine_api_oom_kill_is_reported() {
	# Doubling a shell string past an 8 MiB limit.
	eapi_run --memory 8m "$(eapi_busybox)" sh -c 'x=a; while :; do x="$x$x"; done' || return
	assert_eq "driver status" 0 "$EAPI_RC"
	assert_eq "exit code" 137 "$(jq -r .exit <<<"$EAPI_OUT")"
	assert_eq "oom" true "$(jq -r .oom <<<"$EAPI_OUT")"
}

t_engine_api_deadline_kills_the_container() {
	local t0=$SECONDS
	eapi_run --timeout 1000 "$(eapi_busybox)" sh -c 'echo started; sleep 60' || return
	assert_eq "timed out" true "$(jq -r .timed_out <<<"$EAPI_OUT")"
	assert_eq "stdout before the kill" "started" "$(jq -r .stdout <<<"$EAPI_OUT")"
	[ $((SECONDS - t0)) -lt 20 ] || fail "the run took $((SECONDS - t0)) s despite a 1 s deadline"
}

t_engine_api_missing_image_is_the_engines_message() {
	eapi_run 127.0.0.1:5000/sandrun/no-such-image:1 true
	assert_eq "driver status" 1 "$EAPI_RC"
	assert_contains "message" "$EAPI_ERR" "No such image"
}

t_engine_api_unreachable_socket_is_an_engine_error() {
	EAPI_RC=0
	SANDRUN_ENGINE_SOCKET=$TMP/no-engine.sock "$API_BENCH" run "$(eapi_busybox)" true \
		>/dev/null 2>"$TMP/eapi.err" || EAPI_RC=$?
	assert_eq "exit status" 3 "$EAPI_RC"
	assert_contains "message" "$(cat "$TMP/eapi.err")" "cannot reach the engine at '$TMP/no-engine.sock'"
}

t_engine_api_probe_sees_images_and_manages_networks() {
	local out rc=0
	out=$("$API_BENCH" probe "$(eapi_busybox)" 2>"$TMP/eapi.err") || rc=$?
	assert_eq "driver status" 0 "$rc"
	assert_contains "version" "$out" "version=$(docker version --format '{{.Server.Version}}')"
	assert_contains "image present" "$out" "image_present=1 missing_present=0"
	assert_contains "network created" "$out" "network="
	assert_eq "network removed" 0 "$(docker network ls -q --filter label=sandrun.run | wc -l)"
}
