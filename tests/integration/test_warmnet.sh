# Warm containers with listeners (issue 19, "Warm oob/stubs"): the run
# network and its listeners live with the warm container, each payload gets
# its own token, and what the listeners see belongs to one payload. Traffic
# goes only to the gateways of the networks the runs create.

# The bundled network harnesses give the same verdicts warm (and pooled) as
# with a container per run; in a warm container each payload has its own
# token, redis state and stub recordings.
t_warm_net_verdicts_equal_cold() {
	local s=$TMP/wnet a=$TMP/wnet-run.json b=$TMP/wnet-warm.json c=$TMP/wnet-pool.json h f
	mkdir -p "$s"
	for h in cmdi-oob-http cmdi-oob-dns ssrf-http-stub sqli-sql-stub redis-injection; do
		cp -r "$ROOT/harnesses/$h" "$s/"
	done
	write_spec "$s/own" stub-own <<'EOF'
toolchain: busybox
network: stubs
stubs: [{name: api, kind: http}, {name: cache, kind: redis}]
command:
  - sh
  - -c
  - |
    u=${SANDRUN_STUB_CACHE_URL#redis://}
    printf 'GET k\r\nSET k %s\r\nQUIT\r\n' "$SANDRUN_PAYLOAD" | timeout 3 nc ${u%:*} ${u##*:} | tr -d '\r' | sed 's/^/redis:/'
    timeout 5 wget -qO- --post-data "mark-$SANDRUN_PAYLOAD tok-$SANDRUN_TOKEN" "${SANDRUN_STUB_API_URL}p" >/dev/null
    echo "token $SANDRUN_TOKEN" | sed 's/./&-/g'
payloads:
  - {name: a, value: first, expect: confirmed}
  - {name: b, value: second, expect: not_confirmed}
  - {name: c, value: first, expect: confirmed}
oracle: {stub: {name: api, contains: "mark-first"}}
EOF
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$a" "$s" >/dev/null 2>&1
	assert_eq "cold exit code" 0 "$?"
	for f in "$s"/*/harness.yaml "$s"/own/stub-own.yaml; do
		printf '\nisolation: harness\n' >>"$f"
	done
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$b" "$s" >/dev/null 2>&1
	assert_eq "warm exit code" 0 "$?"
	assert_eq "warm: same verdicts" \
		"$(jq -c '[.records[] | [.harness, .payload, .outcome]] | sort' "$a")" \
		"$(jq -c '[.records[] | [.harness, .payload, .outcome]] | sort' "$b")"
	assert_eq "every record matches" 0 "$(jq '[.records[] | select(.match != true)] | length' "$b")"
	assert_eq "a container per harness" 6 "$(jq '[.records[].container] | unique | length' "$b")"
	assert_eq "firewall in place" true "$(field_of "$b" cmdi-oob-http benign isolation.firewall)"
	assert_eq "b: redis state of its own" "redis:\$-1" \
		"$(field_of "$b" stub-own b evidence.stdout_tail | grep '^redis:\$' | head -1)"
	assert_eq "c: redis state of its own" "redis:\$-1" \
		"$(field_of "$b" stub-own c evidence.stdout_tail | grep '^redis:\$' | head -1)"
	assert_eq "b: its own stub recording only" "[false,true]" \
		"$(jq -c '[.records[] | select(.harness == "stub-own" and .payload == "b")][0].evidence.stubs | tostring | [contains("mark-first"), contains("mark-second")]' "$b")"
	local ta tb
	ta=$(field_of "$b" stub-own a evidence.stdout_tail | grep '^t-o-k' | tr -d -)
	tb=$(field_of "$b" stub-own b evidence.stdout_tail | grep '^t-o-k' | tr -d -)
	[ -n "$ta" ] && [ "$ta" != "$tb" ] || fail "payloads a and b got the same token ($ta, $tb)"
	# Pooled: harnesses of one configuration share containers, listeners too.
	sed -i 's/^isolation: harness$/isolation: pool/' "$s"/*/harness.yaml "$s"/own/stub-own.yaml
	"$SANDRUN" run --catalogue "$CAT" -j 1 --report "json:$c" "$s" >/dev/null 2>&1
	assert_eq "pool exit code" 0 "$?"
	assert_eq "pool: same verdicts" \
		"$(jq -c '[.records[] | [.harness, .payload, .outcome]] | sort' "$a")" \
		"$(jq -c '[.records[] | [.harness, .payload, .outcome]] | sort' "$c")"
	assert_eq "pool: the two oob harnesses shared a container" \
		"$(field_of "$c" cmdi-oob-http exploit container)" "$(field_of "$c" cmdi-oob-dns exploit container)"
}

# A callback with payload a's token that arrives while payload b runs
# confirms neither b nor anyone (it is late: dropped), and untokened hits
# belong to the payload in whose window they came.
t_warm_net_late_token_and_untokened_window() {
	local s=$TMP/wlate r=$TMP/wlate.json td=$TMP/wlate-tmp pid i w line gw port tok
	mkdir -p "$td"
	write_spec "$s" late <<'EOF'
toolchain: busybox
network: oob
timeout: 30s
command:
  - sh
  - -c
  - |
    timeout 5 wget -qO- "http://$SANDRUN_OOB_HOST:$SANDRUN_OOB_PORT/untokened-$SANDRUN_PAYLOAD" >/dev/null
    case $SANDRUN_PAYLOAD in
    one)
      echo "$SANDRUN_OOB_HOST $SANDRUN_OOB_PORT $SANDRUN_TOKEN" >/work/late.tmp; mv /work/late.tmp /work/late
      i=0; while [ ! -e /work/got ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
      timeout 5 wget -qO- "$SANDRUN_OOB_URL" >/dev/null;;
    two)
      : >/work/two
      i=0; while [ ! -e /work/sent ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done;;
    esac
    echo done
payloads:
  - {name: one, value: one, expect: confirmed}
  - {name: two, value: two, expect: not_confirmed}
  - {name: three, value: three, expect: not_confirmed}
oracle: {oob: true}
isolation: harness
EOF
	TMPDIR=$td "$SANDRUN" run --catalogue "$CAT" --oob-grace 200ms --report "json:$r" "$s" >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 1200); do
		w=$(ls -d "$td"/sandrun-*/*late*/work 2>/dev/null | head -1)
		[ -n "$w" ] && [ -e "$w/late" ] && break
		sleep 0.05
	done
	line=$(cat "$w/late" 2>/dev/null)
	[ -z "$w" ] || : >"$w/got"
	read -r gw port tok <<<"$line"
	for i in $(seq 600); do
		[ -e "$w/two" ] && break
		sleep 0.05
	done
	[ -n "$w" ] && [ -e "$w/two" ] || fail "payload two did not start"
	# From the host to the gateway of the run's network: payload one's token.
	curl -s --noproxy "*" -m 5 -o /dev/null "http://$gw:$port/$tok" || fail "the late callback was not answered ($line)"
	[ -z "$w" ] || : >"$w/sent"
	wait "$pid"
	assert_eq "exit code" 0 "$?"
	assert_eq "one" confirmed "$(outcome_of "$r" late one)"
	assert_eq "two: payload one's token does not confirm it" not_confirmed "$(outcome_of "$r" late two)"
	assert_eq "three" not_confirmed "$(outcome_of "$r" late three)"
	assert_eq "one container" 1 "$(jq '[.records[].container] | unique | length' "$r")"
	assert_eq "one: its own untokened hit only" '["untokened-one"]' \
		"$(jq -c '[.records[] | select(.payload == "one")][0].evidence.untokened | map(.summary | ltrimstr("GET /"))' "$r")"
	assert_eq "two: its own untokened hit only (the late one is dropped)" '["untokened-two"]' \
		"$(jq -c '[.records[] | select(.payload == "two")][0].evidence.untokened | map(.summary | ltrimstr("GET /"))' "$r")"
	assert_eq "three: its own untokened hit only" '["untokened-three"]' \
		"$(jq -c '[.records[] | select(.payload == "three")][0].evidence.untokened | map(.summary | ltrimstr("GET /"))' "$r")"
	assert_eq "no oob evidence for two" "[]" \
		"$(jq -c '[.records[] | select(.payload == "two")][0].evidence.oob' "$r")"
}

# A warm `stubs` harness sees the environment names a cold run sees (the
# values hold the run network's address and ports), and the firewall holds
# for every payload of the container, not just the first: a port of this
# machine sandrun did not open stays out of reach.
t_warm_net_env_and_firewall_for_every_payload() {
	local s=$TMP/wfw r=$TMP/wfw.json port=47124 log=$TMP/wfw-listener.log lpid a b
	: >"$log"
	python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
while True:
    c, a = s.accept(); open(sys.argv[2], "a").write("conn %s\n" % (a,)); c.close()
' "$port" "$log" &
	lpid=$!
	write_spec "$s" wfw <<EOF
toolchain: busybox
network: stubs
stubs: [{name: api, kind: http}]
command: ["sh", "-c", "env | grep -oE '^(SANDRUN_[A-Z_]*|HOME)=' | sort | tr '\\\\n' ' '; timeout 3 nc \$SANDRUN_OOB_HOST $port </dev/null && echo REACHED; timeout 3 wget -qO- http://\$SANDRUN_OOB_HOST:$port/ && echo REACHED; echo"]
payloads:
  - {name: a, value: a}
  - {name: b, value: b}
  - {name: c, value: c}
oracle: {stdout: "REACHED"}
expect: not_confirmed
EOF
	sleep 0.3
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	a=$(jq -r '[.records[].evidence.stdout_tail] | join("|")' "$r")
	printf '\nisolation: harness\n' >>"$s/wfw.yaml"
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	b=$(jq -r '[.records[].evidence.stdout_tail] | join("|")' "$r")
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	assert_contains "stub url in the env" "$b" "SANDRUN_STUB_API_URL="
	assert_eq "same env names warm and cold" "$a" "$b"
	assert_eq "one container" 1 "$(jq '[.records[].container] | unique | length' "$r")"
	assert_eq "no payload reached the port" '["not_confirmed","not_confirmed","not_confirmed"]' \
		"$(jq -c '[.records[].outcome]' "$r")"
	assert_eq "firewall in place" '[true,true,true]' "$(jq -c '[.records[].isolation.firewall]' "$r")"
	assert_eq "listener saw nothing" "" "$(cat "$log")"
}

# Without root (issue 14): warm oob/stubs harnesses through the DNS relay,
# which lives with the warm container like the network, give the verdicts
# they give with a container per run.
t_warm_net_nonroot_relay() {
	local s=$TMP/nrwarm nr f
	nr_prepare || { fail "cannot set up the non-root account"; return; }
	cp "$ROOT/build/helper/sr-idle" "$NR_DIR/bin/helper/sr-idle" &&
		chown "$NR_USER:" "$NR_DIR/bin/helper/sr-idle" || { fail "no sr-idle helper"; return; }
	mkdir -p "$s"
	cp -a "$TMP/nrsuite/." "$s/"
	for f in $(find "$s" -name '*.yaml'); do
		printf '\nisolation: harness\n' >>"$f"
	done
	nonroot_copy "$s"
	nr=$NR_DIR/nrwarm.json
	nonroot_sandrun run -j 2 --report "json:$nr" suite/nrwarm >/dev/null 2>"$TMP/nrwarm.err"
	assert_eq "non-root exit code" 0 "$?"
	[ -s "$nr" ] || { fail "no report: $(head -c 600 "$TMP/nrwarm.err")"; return; }
	assert_eq "all match" 0 "$(jq '[.records[] | select(.match != true)] | length' "$nr")"
	assert_eq "dns through the relay" relay "$(field_of "$nr" cmdi-oob-dns exploit isolation.dns)"
	assert_eq "dns confirmed" confirmed "$(outcome_of "$nr" cmdi-oob-dns exploit)"
	assert_eq "the benign payload reused the container" true \
		"$(field_of "$nr" cmdi-oob-dns benign isolation.container_reused)"
}

# A warm container whose listeners cannot be set up (the DNS listener on
# <gateway>:53 without CAP_NET_BIND_SERVICE) makes each run an error in
# phase network, as a run of its own does, and leaves nothing behind.
t_warm_net_listener_cannot_bind_is_network_error() {
	local s=$TMP/wnobind r=$TMP/wnobind.json rc
	write_spec "$s" dns <<'EOF'
toolchain: busybox
network: oob
command: ["sh", "-c", "nslookup \"$SANDRUN_TOKEN.$SANDRUN_OOB_DOMAIN\""]
payloads: [{name: a, value: a}, {name: b, value: b}]
oracle: {oob: true}
expect: confirmed
isolation: harness
EOF
	setpriv --inh-caps=-net_bind_service --bounding-set=-net_bind_service -- \
		"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	rc=$?
	assert_eq "exit code" 1 "$rc"
	assert_eq "outcomes" '["error","error"]' "$(jq -c '[.records[].outcome]' "$r")"
	assert_eq "phases" '["network","network"]' "$(jq -c '[.records[].phase]' "$r")"
	assert_contains "cause names the listener" "$(field_of "$r" dns b cause)" "cannot bind udp "
}
