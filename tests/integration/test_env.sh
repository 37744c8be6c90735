# The container environment travels in an env file: a spec's env reaches the
# container verbatim and never the engine client on the host.

t_env_spec_cannot_reach_engine_client() {
	local s=$TMP/envspec r=$TMP/envspec.json out
	write_spec "$s" envspec <<'EOF'
toolchain: busybox
command: ['sh', '-c', 'env; printf "[%s]\n" "$ODD" "$TRAIL"']
env:
  LD_PRELOAD: /nonexistent.so
  DOCKER_HOST: "tcp://127.0.0.1:1"
  PATH: "/nonexistent-bin:/bin:/usr/bin"
  ODD: "a b 'q' \"d\" x=y $HOME `id` #c"
  TRAIL: "  lead and trail  "
oracle: {stdout: "DOCKER_HOST=tcp://127.0.0.1:1"}
expect: confirmed
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code (the engine client still reached the daemon)" 0 "$?"
	assert_eq "outcome" confirmed "$(outcome_of "$r" envspec "")"
	out=$(field_of "$r" envspec "" evidence.stdout_tail)
	assert_contains "LD_PRELOAD in the container" "$out" "LD_PRELOAD=/nonexistent.so"
	assert_contains "PATH in the container" "$out" "PATH=/nonexistent-bin:/bin:/usr/bin"
	assert_contains "quotes, = and \$ verbatim" "$out" "[a b 'q' \"d\" x=y \$HOME \`id\` #c]"
	assert_contains "spaces verbatim" "$out" "[  lead and trail  ]"
	assert_contains "runner variables still set" "$out" "SANDRUN_PAYLOAD_FILE=/sandrun/payload"
	assert_contains "HOME default" "$out" "HOME=/tmp"
	# The one -e is the payload's fixed name; no spec variable is named there.
	assert_eq "only -e SANDRUN_PAYLOAD on the command line" '["SANDRUN_PAYLOAD"]' \
		"$(jq -c '[.records[0].engine_argv as $a | range(0; $a | length) | select($a[.] == "-e") | $a[. + 1]]' "$r")"
	assert_not_contains "spec names not on the command line" "$(jq -c '.records[0].engine_argv' "$r")" 'LD_PRELOAD'
}

t_env_payload_with_newlines_arrives_verbatim() {
	local s=$TMP/envnl r=$TMP/envnl.json
	write_spec "$s" envnl <<'EOF'
toolchain: busybox
command: ['sh', '-c', 'printf "%s" "$SANDRUN_PAYLOAD" | od -c | tr -s " " | head -3']
payloads:
  - {name: nl, value: "line1\nline2\r\nDOCKER_HOST=x"}
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	assert_contains "newline kept" "$(field_of "$r" envnl nl evidence.stdout_tail)" "l i n e 1 \\n l i n e 2 \\r \\n D O C"
}
