# Network policies (issue 3): OOB callbacks over HTTP, TCP and DNS, tokens,
# stubs with real clients, the egress filter, nothing left behind. Traffic
# goes only to this machine: loopback and the gateways of the networks the
# runs create.

t_net_bundled_network_harnesses() {
	local r=$TMP/netsuite.json rc
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$r" \
		"$ROOT/harnesses/cmdi-oob-http" "$ROOT/harnesses/cmdi-oob-dns" \
		"$ROOT/harnesses/ssrf-http-stub" "$ROOT/harnesses/sqli-sql-stub" \
		"$ROOT/harnesses/redis-injection" "$ROOT/harnesses/path-traversal-fs" >/dev/null 2>&1
	rc=$?
	assert_eq "exit code" 0 "$rc"
	assert_eq "all match" 0 "$(jq '[.records[] | select(.match != true)] | length' "$r")"
	assert_eq "firewall in place" true "$(field_of "$r" cmdi-oob-http exploit isolation.firewall)"
	assert_eq "network recorded" oob "$(field_of "$r" cmdi-oob-http exploit isolation.network)"
	assert_contains "sql evidence" "$(jq -c '[.records[] | select(.harness == "sqli-sql-stub" and .payload == "exploit")][0].evidence.stubs' "$r")" "OR '1'='1"
}

t_net_oob_each_protocol_and_token() {
	local s=$TMP/oob r=$TMP/oob.json rc
	write_spec "$s" oob-http <<'EOF'
toolchain: busybox
network: oob
command: ["sh", "-c", "timeout 5 wget -qO- \"$SANDRUN_OOB_URL\""]
oracle: {oob: true}
expect: confirmed
EOF
	write_spec "$s" oob-tcp <<'EOF'
toolchain: busybox
network: oob
command: ["sh", "-c", "echo \"hello $SANDRUN_TOKEN\" | timeout 5 nc \"$SANDRUN_OOB_HOST\" \"$SANDRUN_OOB_PORT\""]
oracle: {oob: true}
expect: confirmed
EOF
	write_spec "$s" oob-dns <<'EOF'
toolchain: busybox
network: oob
command: ["sh", "-c", "nslookup \"$SANDRUN_TOKEN.$SANDRUN_OOB_DOMAIN\""]
oracle: {oob: true}
expect: confirmed
EOF
	write_spec "$s" oob-header <<'EOF'
toolchain: busybox
network: oob
command: ["sh", "-c", "timeout 5 wget -qO- --header \"X-Trace: $SANDRUN_TOKEN\" \"http://$SANDRUN_OOB_HOST:$SANDRUN_OOB_PORT/ping\""]
oracle: {oob: true}
expect: confirmed
EOF
	write_spec "$s" oob-wrong-token <<'EOF'
toolchain: busybox
network: oob
command: ["sh", "-c", "timeout 5 wget -qO- \"http://$SANDRUN_OOB_HOST:$SANDRUN_OOB_PORT/0123456789abcdef0123456789abcdef\"; nslookup deadbeef.$SANDRUN_OOB_DOMAIN"]
oracle: {oob: true}
expect: not_confirmed
EOF
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$r" "$s" >/dev/null 2>&1
	rc=$?
	assert_eq "exit code" 0 "$rc"
	for h in oob-http oob-tcp oob-dns oob-header; do
		assert_eq "$h" confirmed "$(outcome_of "$r" $h "")"
	done
	assert_contains "tcp cause" "$(field_of "$r" oob-tcp "" cause)" "tcp"
	assert_contains "dns cause" "$(field_of "$r" oob-dns "" cause)" "dns"
	assert_eq "wrong token" not_confirmed "$(outcome_of "$r" oob-wrong-token "")"
	assert_contains "unattributed hit kept" "$(jq -c .run.unattributed "$r")" "0123456789abcdef0123456789abcdef"
	# Tokens are the harness's secret: the report says <token> instead.
	if jq -c '[.records[] | select(.harness != "oob-wrong-token")]' "$r" | grep -qE '(^|[^0-9a-f])[0-9a-f]{32}([^0-9a-f]|$)'; then
		fail "a run token appears in the records"
	fi
}

# A listener the test opens on this machine, on a port sandrun did not
# open: harnesses in oob and stubs mode must not reach it.
t_net_egress_filter_blocks_other_host_ports() {
	local s=$TMP/egress r=$TMP/egress.json port=47123 log=$TMP/listener.log lpid rc
	: >"$log"
	python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
while True:
    c, a = s.accept(); open(sys.argv[2], "a").write("conn %s\n" % (a,)); c.close()
' "$port" "$log" &
	lpid=$!
	# Another host address: the gateway of a network this test creates (on
	# podman its bridge gets the address on the first attach).
	local peer=srtest-peer-$$ pgw fmt='{{range .IPAM.Config}}{{.Gateway}}{{end}}'
	engine network create --label sandrun.test=peer "$peer" >/dev/null
	if [ "$ENGINE" = podman ]; then
		fmt='{{range .Subnets}}{{.Gateway}}{{end}}'
		engine run --rm --pull=never --network "$peer" "$REG/sandrun/busybox:latest" true \
			>/dev/null 2>&1
	fi
	pgw=$(engine network inspect --format "$fmt" "$peer")
	[ -n "$pgw" ] || fail "no gateway for the peer network $peer"
	sleep 0.5
	for mode in oob stubs; do
		write_spec "$s" "reach-$mode" <<EOF
toolchain: busybox
network: $mode
stubs: [{name: api, kind: http}]
command: ["sh", "-c", "for h in \$SANDRUN_OOB_HOST $pgw; do timeout 4 nc \$h $port </dev/null && echo REACHED; timeout 4 wget -qO- http://\$h:$port/ && echo REACHED; done; echo done"]
oracle: {stdout: "REACHED"}
expect: not_confirmed
EOF
	done
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$r" "$s" >/dev/null 2>&1
	rc=$?
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	engine network rm "$peer" >/dev/null
	assert_eq "exit code" 0 "$rc"
	assert_eq "oob blocked" not_confirmed "$(outcome_of "$r" reach-oob "")"
	assert_eq "stubs blocked" not_confirmed "$(outcome_of "$r" reach-stubs "")"
	assert_eq "listener saw nothing" "" "$(cat "$log")"
}

t_net_stubs_record_real_clients() {
	local s=$TMP/stubs r=$TMP/stubs.json rc
	write_spec "$s" stub-http <<'EOF'
toolchain: busybox
network: stubs
stubs: [{name: api, kind: http, status: 201, body: "created-ok"}]
command: ["sh", "-c", "timeout 5 wget -S -qO- --post-data 'user=bob' \"${SANDRUN_STUB_API_URL}v1/users?x=1\" 2>&1"]
oracle: {stub: {name: api, contains: "POST /v1/users?x=1"}}
expect: confirmed
EOF
	write_spec "$s" stub-tcp <<'EOF'
toolchain: busybox
network: stubs
stubs: [{name: raw, kind: tcp, body: "HELLO-FROM-STUB"}]
command: ["sh", "-c", "u=${SANDRUN_STUB_RAW_URL#tcp://}; echo raw-bytes-123 | timeout 3 nc ${u%:*} ${u##*:}"]
oracle: {stub: {name: raw, contains: "raw-bytes-123"}}
expect: confirmed
EOF
	write_spec "$s" stub-redis <<'EOF'
toolchain: busybox
network: stubs
stubs: [{name: cache, kind: redis}]
command: ["sh", "-c", "u=${SANDRUN_STUB_CACHE_URL#redis://}; printf '*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$5\\r\\nhello\\r\\n*2\\r\\n$3\\r\\nGET\\r\\n$1\\r\\nk\\r\\nQUIT\\r\\n' | timeout 3 nc ${u%:*} ${u##*:}"]
oracle: {stub: {name: cache, regex: "^GET k$"}}
expect: confirmed
EOF
	write_spec "$s" stub-sql <<'EOF'
toolchain: psql
network: stubs
stubs: [{name: db, kind: sql}]
command: ["sh", "-c", "psql \"$SANDRUN_STUB_DB_URL\" -c 'select 42 as answer' && echo PSQL-OK"]
oracle: {stub: {name: db, contains: "select 42 as answer"}}
expect: confirmed
EOF
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$r" "$s" >/dev/null 2>&1
	rc=$?
	assert_eq "exit code" 0 "$rc"
	for h in stub-http stub-tcp stub-redis stub-sql; do
		assert_eq "$h" confirmed "$(outcome_of "$r" $h "")"
	done
	assert_contains "http status and body answered" "$(field_of "$r" stub-http "" evidence.stdout_tail)" "created-ok"
	assert_contains "tcp canned reply" "$(field_of "$r" stub-tcp "" evidence.stdout_tail)" "HELLO-FROM-STUB"
	assert_contains "redis GET answered from SET" "$(field_of "$r" stub-redis "" evidence.stdout_tail)" "hello"
	assert_contains "psql exit 0" "$(field_of "$r" stub-sql "" evidence.stdout_tail)" "PSQL-OK"
	assert_contains "http request recorded" "$(jq -c '[.records[] | select(.harness == "stub-http")][0].evidence.stubs' "$r")" "user=bob"
}

t_net_explain_shows_network_objects() {
	local out
	out=$("$SANDRUN" explain --catalogue "$CAT" "$ROOT/harnesses/ssrf-http-stub/harness.yaml")
	assert_eq "exit code" 0 "$?"
	if [ "$ENGINE" = podman ]; then
		# A normal bridge (podman's internal ones have no host gateway), so
		# the rules close forwarding too.
		assert_contains "network create" "$out" "network create --driver bridge --disable-dns"
		assert_contains "forwarding closed" "$out" "-I FORWARD 1 -i '<bridge>'"
	else
		assert_contains "network create" "$out" "network create --internal"
	fi
	assert_contains "firewall" "$out" "iptables"
	assert_contains "stub env named" "$out" "SANDRUN_STUB_INTERNAL_URL"
}

t_net_open_policy_recorded() {
	local s=$TMP/open r=$TMP/open.json
	write_spec "$s" open <<'EOF'
toolchain: busybox
network: open
command: ["true"]
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	assert_eq "isolation.network" open "$(field_of "$r" open "" isolation.network)"
	assert_contains "default bridge" "$(jq -c '.records[0].engine_argv' "$r")" "--network=bridge"
}
