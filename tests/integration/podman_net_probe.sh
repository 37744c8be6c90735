#!/usr/bin/env bash
# Podman network-policy probe (issue 13): proves, on the real podman, the
# design in docs/podman-notes.md for the `oob` and `stubs` policies:
#
#   - a normal (not --internal) per-run bridge network, DNS disabled;
#   - host listeners on its gateway, bound with IP_FREEBIND before the
#     bridge exists (CNI creates the bridge on the first container attach);
#   - the runner's own chain SR-<bridge>, jumped to from the top of INPUT and
#     FORWARD (both families) and from CNI's admin chain CNI-ADMIN, so no
#     ACCEPT of CNI's can overtake it;
#   - the container's /etc/resolv.conf a read-only bind naming the gateway.
#
# It first runs the probe container WITHOUT the rules (the baseline: egress
# must leak there, or the probe proves nothing), then with them. Exits 0
# when the rules hold, 1 when anything leaks or an allowed path is blocked,
# 2 when the baseline did not leak (inconclusive), 3 on setup failure.
# Everything it creates carries the generated prefix and is removed on exit.
# Needs root, podman, iptables, python3 and the local busybox image.
# Usage: tests/integration/podman_net_probe.sh [image]
set -uo pipefail

IMG=${1:-127.0.0.1:5000/sandrun/busybox:latest}
ID=srp$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NET=$ID-run PEERNET=$ID-peer PROBE=$ID-probe PEER=$ID-peerc
DIR=$(mktemp -d "/tmp/$ID.XXXXXX") || exit 3
LOG=$DIR/listener.log
PYPID='' BR='' CHAIN='' RULES=0

say() { printf '%s\n' "$*"; }
die() { say "setup failed: $*" >&2; exit 3; }

cleanup() {
	[[ -n $PYPID ]] && kill "$PYPID" 2>/dev/null && wait "$PYPID" 2>/dev/null
	podman rm -f -t 0 "$PROBE" "$PEER" >/dev/null 2>&1
	[[ $RULES == 1 ]] && remove_rules
	podman network rm -f "$NET" "$PEERNET" >/dev/null 2>&1
	rm -rf -- "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ----------------------------------------------------------- the rules
# The exact rules the runner would install for bridge $BR, gateway $GW and
# the listener ports (tcp $P_OK, udp 53). Mirrors runner/net/firewall.c plus
# the FORWARD and CNI-ADMIN jumps.
rules_v4() {
	echo "-N $CHAIN"
	# -d gw on the established rule too: the chain is also jumped to from
	# FORWARD, where nothing may pass (a forwarded packet never has the
	# gateway as its destination).
	echo "-A $CHAIN -d $GW/32 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"
	echo "-A $CHAIN -d $GW/32 -p tcp --dport $P_OK -j ACCEPT"
	echo "-A $CHAIN -d $GW/32 -p udp --dport 53 -j ACCEPT"
	# tcp-reset: a refused connect fails at once (the default ICMP
	# port-unreachable costs a SYN retransmit, ~1 s, per attempt here).
	echo "-A $CHAIN -p tcp -j REJECT --reject-with tcp-reset"
	echo "-A $CHAIN -j REJECT"
	echo "-I INPUT 1 -i $BR -j $CHAIN"
	echo "-I FORWARD 1 -i $BR -j $CHAIN"
}
rules_v6() {
	echo "-N $CHAIN"
	echo "-A $CHAIN -j DROP"
	echo "-I INPUT 1 -i $BR -j $CHAIN"
	echo "-I FORWARD 1 -i $BR -j $CHAIN"
}
# CNI's firewall plugin inserts its "FORWARD -j CNI-FORWARD" jump (whose
# rules ACCEPT the container's address) at position 1 whenever it finds it
# missing, i.e. possibly above ours. CNI-FORWARD jumps first to CNI-ADMIN,
# the chain CNI keeps for administrators' overrides: a jump there too keeps
# our REJECT ahead of CNI's ACCEPT in either order.
rules_cni_admin() {
	echo "-I CNI-ADMIN 1 -i $BR -j $CHAIN"
}

apply() { # tool
	local fn=rules_v4 line
	[[ $1 == ip6tables ]] && fn=rules_v6
	while read -r line; do
		# shellcheck disable=SC2086
		"$1" -w $line || return 1
	done < <($fn)
	if "$1" -w -S CNI-ADMIN >/dev/null 2>&1; then
		while read -r line; do
			# shellcheck disable=SC2086
			"$1" -w $line || return 1
		done < <(rules_cni_admin)
	fi
}

remove_rules() {
	local tool c
	while iptables -w -D FORWARD -i "$BR" -j CNI-FORWARD 2>/dev/null; do :; done
	for tool in iptables ip6tables; do
		for c in INPUT FORWARD CNI-ADMIN; do
			while "$tool" -w -D "$c" -i "$BR" -j "$CHAIN" 2>/dev/null; do :; done
		done
		"$tool" -w -F "$CHAIN" 2>/dev/null
		"$tool" -w -X "$CHAIN" 2>/dev/null
	done
	RULES=0
}

# ------------------------------------------------------------- setup
[[ $(id -u) == 0 ]] || die "needs root"
for t in podman iptables ip6tables python3; do
	command -v "$t" >/dev/null || die "$t not found"
done
say "podman $(podman version --format '{{.Client.Version}}'), network backend" \
	"$(podman info --format '{{.Host.NetworkBackend}}')"

podman network create --disable-dns --label "sandrun.probe=$ID" "$NET" >/dev/null ||
	die "network create $NET"
podman network create --disable-dns --label "sandrun.probe=$ID" "$PEERNET" >/dev/null ||
	die "network create $PEERNET"
BR=$(podman network inspect -f '{{.NetworkInterface}}' "$NET")
GW=$(podman network inspect -f '{{range .Subnets}}{{.Gateway}}{{end}}' "$NET")
[[ -n $BR && -n $GW ]] || die "no bridge/gateway for $NET"
CHAIN=SR-$BR
say "run network $NET: bridge $BR (exists now: $([[ -e /sys/class/net/$BR ]] && echo yes || echo no)), gateway $GW"

# The peer: a container on another network, reachable only by forwarding.
podman run -d --name "$PEER" --network "$PEERNET" "$IMG" nc -ll -p 8080 -e true \
	>/dev/null || die "peer container"
PEERIP=$(podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$PEER")
PEERGW=$(podman network inspect -f '{{range .Subnets}}{{.Gateway}}{{end}}' "$PEERNET")
[[ -n $PEERIP && -n $PEERGW ]] || die "peer address"
say "peer $PEERIP on $PEERNET (host's other address: its gateway $PEERGW)"

P_OK=$((20000 + RANDOM % 20000))
P_DENY=$((P_OK + 1))
P_HOST=$((P_OK + 2))
printf 'nameserver %s\noptions ndots:0 attempts:1 timeout:2\n' "$GW" >"$DIR/resolv.conf"

# Host listeners: IP_FREEBIND, because the run bridge (and so the gateway
# address) does not exist until the first container attaches. They log
# every connection/datagram, answer tcp with "ok", DNS with NXDOMAIN.
python3 - "$LOG" "tcp:$GW:$P_OK" "tcp:$GW:$P_DENY" "udp:$GW:53" "tcp:$PEERGW:$P_HOST" <<'EOF' &
import select, socket, sys
log = open(sys.argv[1], "a", buffering=1)
socks = {}
for spec in sys.argv[2:]:
    proto, addr, port = spec.split(":")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    if proto == "tcp":
        s.listen(8)
    socks[s] = spec
log.write("ready\n")
while True:
    for s in select.select(list(socks), [], [])[0]:
        if s.type == socket.SOCK_STREAM:
            c, peer = s.accept()
            try:
                c.sendall(b"ok\n")
            except OSError:
                pass
            c.close()
        else:
            d, peer = s.recvfrom(2048)
            if len(d) >= 12:
                s.sendto(d[:2] + b"\x81\x83" + d[4:6] + b"\0" * 6 + d[12:], peer)
        log.write("%s from %s\n" % (socks[s], peer[0]))
EOF
PYPID=$!
for _ in $(seq 50); do grep -q ready "$LOG" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$LOG" || die "listeners did not start"

# One probe container run, hardened as the runner runs harnesses. Prints
# name=open|closed per target, then dns=<nslookup status>.
probe() {
	local t0
	t0=$(date +%s%N)
	podman run --rm --name "$PROBE" --network "$NET" --cap-drop=ALL --user=65534:65534 \
		--read-only --security-opt=no-new-privileges --init \
		--mount "type=bind,source=$DIR/resolv.conf,target=/etc/resolv.conf,readonly" \
		"$IMG" sh -c '
t() { if echo hi | timeout 4 nc -w 3 "$1" "$2" >/dev/null 2>&1; then echo "$3=open"; else echo "$3=closed"; fi; }
t '"$GW $P_OK"' allowed_listener
t '"$GW $P_DENY"' gateway_other_port
t '"$PEERGW $P_HOST"' host_other_address
t '"$PEERIP"' 8080 forward_to_peer
timeout 4 nslookup sandrun-probe.test >/dev/null 2>&1; echo "dns_status=$?"
grep -q "^nameserver '"$GW"'$" /etc/resolv.conf && echo resolv=ours || echo resolv=other'
	say "(probe container took $((($(date +%s%N) - t0) / 1000000)) ms)" >&2
}

result_of() { sed -n "s/^$1=//p" <<<"$2"; }

say "--- baseline, no sandrun rules"
: >"$LOG"
echo ready >"$LOG"
base=$(probe) || true
say "$base"
if [[ $(result_of forward_to_peer "$base") != open || $(result_of host_other_address "$base") != open ]]; then
	say "INCONCLUSIVE: without the rules egress did not leak; the probe cannot tell"
	exit 2
fi

say "--- with the rules on $BR"
RULES=1
apply iptables || die "iptables rules"
apply ip6tables || say "note: ip6tables rules not installed"
for c in INPUT FORWARD; do
	first=$(iptables -w -S "$c" | sed -n 2p)
	say "iptables $c first rule: $first"
	[[ $first == "-A $c -i $BR -j $CHAIN" ]] || { say "FAIL: our jump is not first in $c"; exit 1; }
done
# check PHASE: run the probe container, compare with the contract.
check() {
	local out fail=0
	: >"$LOG"
	out=$(probe) || true
	say "$out"
	say "listener saw:"
	sed 's/^/  /' "$LOG"
	want() { # name expected
		local got
		got=$(result_of "$1" "$out")
		if [[ $got != "$2" ]]; then
			say "FAIL ($PHASE): $1 is $got, want $2"
			fail=1
		fi
	}
	want allowed_listener open
	want gateway_other_port closed
	want host_other_address closed
	want forward_to_peer closed
	want resolv ours
	grep -q "^udp:$GW:53 from " "$LOG" ||
		{ say "FAIL ($PHASE): the DNS query did not reach the gateway listener"; fail=1; }
	grep -q "^tcp:$GW:$P_OK from " "$LOG" ||
		{ say "FAIL ($PHASE): the allowed listener saw nothing"; fail=1; }
	if grep -q -e "^tcp:$GW:$P_DENY " -e "^tcp:$PEERGW:$P_HOST " "$LOG"; then
		say "FAIL ($PHASE): a listener outside the allowed ports saw a connection"
		fail=1
	fi
	return $fail
}

rc=0
PHASE="rules on top" check || rc=1

say "--- CNI's jump re-inserted above ours (as its firewall plugin does when missing)"
iptables -w -I FORWARD 1 -i "$BR" -j CNI-FORWARD || die "cannot insert the CNI-FORWARD jump"
say "iptables FORWARD first rule: $(iptables -w -S FORWARD | sed -n 2p)"
PHASE="CNI jump first" check || rc=1

say "--- control: the same, without our CNI-ADMIN jump (should leak: the jump is needed)"
iptables -w -D CNI-ADMIN -i "$BR" -j "$CHAIN" || die "cannot remove our CNI-ADMIN jump"
: >"$LOG"
ctl=$(probe) || true
say "$ctl"
if [[ $(result_of forward_to_peer "$ctl") == open ]]; then
	say "control leaked as expected: without the CNI-ADMIN jump CNI's ACCEPT wins"
else
	say "note: control did not leak (CNI-FORWARD had no ACCEPT for this container?)"
fi

[[ $rc == 0 ]] && say "PASS: only the gateway listeners are reachable; nothing leaks"
exit $rc
