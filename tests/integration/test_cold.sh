# Cold runs (issue 19): create-ahead (a lane creates the next run's
# container while one runs) and exact timeouts (the deadline counts from
# the container's start; no fixed allowance).

# A created-ahead run is still its own: its payload, its token (the output
# shows a digest of it: sandrun redacts the token itself).
t_create_ahead_runs_keep_their_own_payload_and_token() {
	local s=$TMP/ahead r=$TMP/ahead.json rc=0 p out
	docker_only "create-ahead is the API route's" && return
	write_spec "$s" ahead <<'EOF2'
toolchain: busybox
command: ["sh", "-c", "echo \"$SANDRUN_PAYLOAD\"; cat /sandrun/payload; echo; echo \"$SANDRUN_TOKEN\" | md5sum"]
payloads: [{name: a, value: "pa"}, {name: b, value: "pb"}, {name: c, value: "pc"}, {name: d, value: "pd"}]
EOF2
	"$SANDRUN" run --catalogue "$CAT" -j 1 --report "json:$r" "$s" >/dev/null 2>&1 || rc=$?
	assert_eq "exit code" 0 "$rc"
	for p in a b c d; do
		out=$(field_of "$r" ahead "$p" evidence.stdout_tail)
		assert_eq "payload $p: its own payload (env and file)" "p$p
p$p" "$(head -2 <<<"$out")"
	done
	assert_eq "four tokens" 4 "$(jq -r '.records[].evidence.stdout_tail' "$r" | grep -c -- '-$')"
	assert_eq "four different tokens" 4 "$(jq -r '.records[].evidence.stdout_tail' "$r" | grep -- '-$' | sort -u | wc -l)"
}

# A signal while one run runs and the next one's container is created
# ahead: both containers gone, every record kept, the signal's exit code.
# create_ahead_interrupted SIG CODE
create_ahead_interrupted() {
	local s=$TMP/aintr-$1 r=$TMP/aintr-$1.json pid rc i created=0 h=aslow-$1
	docker_only "create-ahead is the API route's" && return
	write_spec "$s" "$h" <<'EOF2'
toolchain: busybox
command: ["sleep", "60"]
timeout: 120s
payloads: [{name: a, value: "1"}, {name: b, value: "2"}, {name: c, value: "3"}]
EOF2
	"$SANDRUN" run --catalogue "$CAT" -j 1 --report "json:$r" "$s" >/dev/null 2>&1 &
	pid=$!
	wait_running "sandrun.harness=$h" 1
	for i in $(seq 1 50); do
		created=$(engine ps -aq --filter status=created --filter "label=sandrun.harness=$h" | wc -l)
		[ "$created" -ge 1 ] && break
		sleep 0.2
	done
	assert_eq "the next run's container created ahead" 1 "$created"
	kill "-$1" "$pid"
	wait "$pid"
	rc=$?
	assert_eq "exit code" "$2" "$rc"
	assert_eq "every record kept" 3 "$(jq '.records | length' "$r")"
	assert_eq "none ran to the end" 0 "$(jq '[.records[] | select(.outcome != "error")] | length' "$r")"
	assert_eq "containers gone" 0 "$(engine ps -aq --filter "label=sandrun.harness=$h" | wc -l)"
}

t_create_ahead_interrupt_leaves_nothing() {
	create_ahead_interrupted INT 130
}

t_create_ahead_sigterm_leaves_nothing() {
	create_ahead_interrupted TERM 143
}

# A run that fails before its start (its image cannot be pulled) between
# created-ahead runs: the others still run, nothing is left.
t_create_ahead_failure_before_start_leaves_nothing() {
	local s=$TMP/afail r=$TMP/afail.json cat=$TMP/afail.toml
	docker_only "create-ahead is the API route's" && return
	{
		cat "$CAT"
		printf '\n[[image]]\ntoolchain_id = "missing"\nbase = "%s/sandrun/no-such-image:1"\n' "$REG"
	} >"$cat"
	write_spec "$s" a1 <<'EOF2'
toolchain: busybox
command: ["true"]
expect: not_confirmed
EOF2
	write_spec "$s" a2 <<'EOF2'
toolchain: missing
command: ["true"]
EOF2
	write_spec "$s" a3 <<'EOF2'
toolchain: busybox
command: ["true"]
expect: not_confirmed
EOF2
	"$SANDRUN" run --catalogue "$cat" -j 1 --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "a1" not_confirmed "$(outcome_of "$r" a1 "")"
	assert_eq "a2" error "$(outcome_of "$r" a2 "")"
	assert_eq "a2 phase" pull "$(field_of "$r" a2 "" phase)"
	assert_eq "a3" not_confirmed "$(outcome_of "$r" a3 "")"
	assert_eq "containers gone" 0 "$(engine ps -aq --filter label=sandrun.harness=a1 --filter label=sandrun.harness=a3 | wc -l)"
}

# A 2 s timeout is a timeout verdict after its full budget (counted from
# the container's start), with the output before the kill, and its
# container is gone.
t_timeout_counts_from_the_start_and_leaves_nothing() {
	local s=$TMP/tmo r=$TMP/tmo.json rc=0
	write_spec "$s" tmo <<'EOF2'
toolchain: busybox
command: ["sh", "-c", "echo started; sleep 60"]
timeout: 2s
expect: timeout
EOF2
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1 || rc=$?
	assert_eq "exit code" 0 "$rc"
	assert_eq "timeout" timeout "$(outcome_of "$r" tmo "")"
	assert_eq "output before the kill" started "$(field_of "$r" tmo "" evidence.stdout_tail)"
	assert_eq "container gone" 0 "$(engine ps -aq --filter label=sandrun.harness=tmo | wc -l)"
	# The budget was given in full: the engine saw it run at least 2 s.
	[ "$(field_of "$r" tmo "" duration_ms)" -ge 2000 ] || fail "killed before its 2 s budget"
}
