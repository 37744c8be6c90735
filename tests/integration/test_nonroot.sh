# shellcheck shell=bash
# Without root (issue 14): the same OOB and stub runs from the docker-group
# account sandrun-test (lib_nonroot.sh) get the verdicts root gets; DNS goes
# through the relay container; the weaker guarantees are said (no firewall,
# /work unbounded); a listener that cannot be bound is an `error` in phase
# `network`, never a silent not_confirmed. Traffic stays on this machine:
# the gateways of the networks the runs create.

# shellcheck source=tests/integration/lib_nonroot.sh
. "$ROOT/tests/integration/lib_nonroot.sh"

NR_READY=

# nr_prepare: the account, its copy of sandrun with the static DNS relay
# program next to it (bin/helper/sr-dnsfwd, as an install puts it in
# ../libexec/sandrun), a catalogue without any sandrun-helper entry (issue
# 23: the relay runs sr-dnsfwd mounted into the harness's own image), and
# the suite below. Once per invocation.
nr_prepare() {
	local bin
	[ -n "$NR_READY" ] && return 0
	nonroot_setup || return 1
	trap 'nonroot_teardown; cleanup_tmp' EXIT
	bin=$ROOT/build/helper/sr-dnsfwd
	if [ ! -x "$bin" ]; then
		bin=$TMP/sr-dnsfwd
		gcc -std=gnu11 -D_GNU_SOURCE -Os -static -s -o "$bin" \
			"$ROOT/runner/helper/sr-dnsfwd.c" || return 1
	fi
	mkdir -p "$NR_DIR/bin/helper"
	cp "$bin" "$NR_DIR/bin/helper/sr-dnsfwd"
	# The account's catalogue: every [[image]] block but the helper's.
	awk '/^\[\[image\]\]/ { if (blk !~ /sandrun-helper/) printf "%s", blk; blk = "" }
		{ blk = blk $0 "\n" }
		END { if (blk !~ /sandrun-helper/) printf "%s", blk }' \
		"$NR_DIR/images.toml" >"$NR_DIR/nohelper.toml"
	mv "$NR_DIR/nohelper.toml" "$NR_DIR/images.toml"
	nr_suite "$TMP/nrsuite"
	nonroot_copy "$TMP/nrsuite"
	chown -R "$NR_USER:" "$NR_DIR/bin" "$NR_DIR/images.toml"
	NR_READY=1
}

# The OOB protocols, a wrong token, and the bundled oob and stub harnesses.
nr_suite() {
	local s=$1
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
	write_spec "$s" oob-wrong-token <<'EOF'
toolchain: busybox
network: oob
command: ["sh", "-c", "timeout 5 wget -qO- \"http://$SANDRUN_OOB_HOST:$SANDRUN_OOB_PORT/0123456789abcdef0123456789abcdef\"; nslookup deadbeef.$SANDRUN_OOB_DOMAIN"]
oracle: {oob: true}
expect: not_confirmed
EOF
	cp -a "$ROOT/harnesses/cmdi-oob-dns" "$ROOT/harnesses/ssrf-http-stub" \
		"$ROOT/harnesses/sqli-sql-stub" "$ROOT/harnesses/redis-injection" "$s/"
}

# harness/payload=outcome, one a line, sorted: what must not depend on root.
verdicts() {
	jq -r '.records[] | "\(.harness)/\(.payload)=\(.outcome)"' "$1" | sort
}

t_nonroot_verdicts_equal_roots() {
	local rr=$TMP/nr-root.json nr err=$TMP/nr.err rc
	nr_prepare || { fail "cannot set up the non-root account"; return; }
	nr=$NR_DIR/nr.json
	"$SANDRUN" run --catalogue "$NR_DIR/images.toml" -j 2 --report "json:$rr" \
		"$NR_DIR/suite/nrsuite" >/dev/null 2>&1
	assert_eq "root exit code" 0 "$?"
	nonroot_sandrun run -j 2 --report "json:$nr" suite/nrsuite >"$TMP/nr.out" 2>"$err"
	rc=$?
	assert_eq "non-root exit code" 0 "$rc"
	[ -s "$nr" ] || { fail "no non-root report: $(head -c 600 "$err")"; return; }
	assert_eq "same verdicts as root" "$(verdicts "$rr")" "$(verdicts "$nr")"
	assert_eq "all match" 0 "$(jq '[.records[] | select(.match != true)] | length' "$nr")"
	assert_eq "dns confirmed through the relay" confirmed "$(outcome_of "$nr" oob-dns "")"
	# The documented differences, in the records and on stderr.
	assert_eq "root: firewall" true "$(field_of "$rr" oob-dns "" isolation.firewall)"
	assert_eq "root: dns on the gateway" gateway "$(field_of "$rr" oob-dns "" isolation.dns)"
	assert_eq "root: /work bounded" true "$(field_of "$rr" oob-dns "" isolation.work_bounded)"
	assert_eq "non-root: no firewall" false "$(field_of "$nr" oob-dns "" isolation.firewall)"
	assert_eq "non-root: dns relay" relay "$(field_of "$nr" oob-dns "" isolation.dns)"
	assert_eq "non-root: /work unbounded" false "$(field_of "$nr" oob-dns "" isolation.work_bounded)"
	assert_eq "catalogue has no helper entry" 0 "$(grep -c sandrun-helper "$NR_DIR/images.toml")"
	assert_eq "one firewall warning" 1 "$(grep -c 'warning: no firewall' "$err")"
	assert_eq "one /work warning" 1 "$(grep -c 'warning: not root: /work' "$err")"
	assert_contains "summary marks them" "$(cat "$TMP/nr.out")" \
		"$(jq '[.records[] | select(.isolation.network != "none")] | length' "$nr") oob/stubs run(s) had no firewall"
	# The hit is seen on the host, sent by the relay rather than the harness.
	assert_contains "dns evidence" "$(field_of "$nr" oob-dns "" 'evidence.oob[0].proto')" dns
}

t_nonroot_explain_lists_the_relay() {
	local out
	nr_prepare || { fail "cannot set up the non-root account"; return; }
	out=$(nonroot_sandrun explain suite/nrsuite/oob-dns.yaml 2>&1)
	assert_contains "reason" "$out" "# not root: udp 53 on <gateway> is out of reach"
	assert_contains "relay start" "$out" "docker run -d --name 'sandrun-"
	assert_contains "relay runs the harness's image" "$out" "/sandrun/busybox"
	assert_contains "with sr-dnsfwd mounted" "$out" "target=/sandrun/sr-dnsfwd,readonly"
	assert_contains "the harness joins its namespace" "$out" "--network=container:sandrun-"
	assert_contains "relay removal" "$out" "-dns"
	assert_contains "no firewall said" "$out" "# no firewall"
}

t_nonroot_require_firewall_makes_errors() {
	local r rc
	nr_prepare || { fail "cannot set up the non-root account"; return; }
	r=$NR_DIR/rf.json
	nonroot_sandrun run --require-firewall --report "json:$r" suite/nrsuite/oob-http.yaml \
		>/dev/null 2>&1
	rc=$?
	assert_eq "exit code" 1 "$rc"
	assert_eq "outcome" error "$(outcome_of "$r" oob-http "")"
	assert_eq "phase" network "$(field_of "$r" oob-http "" phase)"
	assert_contains "cause" "$(field_of "$r" oob-http "" cause)" "--require-firewall"
}

# Neither the relay program nor a catalogue entry: the run says what to do.
t_nonroot_without_relay_program_is_network_error() {
	local r
	nr_prepare || { fail "cannot set up the non-root account"; return; }
	r=$NR_DIR/nh.json
	mkdir -p "$NR_DIR/bare"
	cp "$NR_DIR/bin/sandrun" "$NR_DIR/bare/sandrun"
	chown -R "$NR_USER:" "$NR_DIR/bare"
	as_nonroot "$NR_DIR/bare/sandrun" run --report "json:$r" suite/nrsuite/oob-dns.yaml \
		>/dev/null 2>&1
	assert_eq "outcome" error "$(outcome_of "$r" oob-dns "")"
	assert_eq "phase" network "$(field_of "$r" oob-dns "" phase)"
	assert_contains "cause" "$(field_of "$r" oob-dns "" cause)" "sr-dnsfwd is not installed"
}

# Root without CAP_NET_BIND_SERVICE (as inside many containers): the DNS
# listener on <gateway>:53 cannot be bound, and the run says so.
t_nonroot_listener_cannot_bind_is_network_error() {
	local s=$TMP/nobind r=$TMP/nobind.json rc
	write_spec "$s" dns <<'EOF'
toolchain: busybox
network: oob
command: ["sh", "-c", "nslookup \"$SANDRUN_TOKEN.$SANDRUN_OOB_DOMAIN\""]
oracle: {oob: true}
expect: confirmed
EOF
	setpriv --inh-caps=-net_bind_service --bounding-set=-net_bind_service -- \
		"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	rc=$?
	assert_eq "exit code" 1 "$rc"
	assert_eq "outcome" error "$(outcome_of "$r" dns "")"
	assert_eq "phase" network "$(field_of "$r" dns "" phase)"
	assert_contains "cause names the listener" "$(field_of "$r" dns "" cause)" "cannot bind udp "
	assert_contains "and why" "$(field_of "$r" dns "" cause)" ":53: Permission denied"
}
