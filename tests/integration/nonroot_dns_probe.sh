#!/usr/bin/env bash
# Probe for issue 14: OOB DNS without root, by hand, the way sandrun will do
# it. As the docker-group account sandrun-test (created if absent):
#   1. create an internal network; show that the account cannot bind UDP 53
#      on its gateway (the reason for the relay);
#   2. run a stand-in for the runner's DNS listener on the gateway at an
#      unprivileged port (python3: records each query name, answers names
#      under oob.sandrun.test with the gateway's address);
#   3. start the relay container (image sandrun/helper, sr-dnsfwd) on the
#      network as user 65534 with every capability dropped, learn its address
#      from `docker inspect`, wait until it answers "ping" from the host;
#   4. run busybox with a read-only resolv.conf naming the relay and
#      `nslookup <token>.oob.sandrun.test`;
#   5. check that the listener saw the token (host-observed evidence) and that
#      nslookup got the gateway's address back through the relay.
# Everything it created is removed on exit (the account stays).
#
# Usage (root): tests/integration/nonroot_dns_probe.sh
# Env: SANDRUN_HELPER_IMAGE (default: build runner/helper/sr-dnsfwd.c and
# push it with ci/images/helper.sh), SANDRUN_TEST_CATALOGUE (for the
# busybox image), SANDRUN_REGISTRY_PORT. Exit 0 when every check passed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CAT=${SANDRUN_TEST_CATALOGUE:-$ROOT/ci/local/images.toml}
SANDRUN=
# shellcheck source=tests/integration/lib_nonroot.sh
. "$ROOT/tests/integration/lib_nonroot.sh"

ID=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
NET=srprobe-$ID
RELAY=srprobe-$ID-dns
CLIENT=srprobe-$ID-client
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
LPID=
FAILS=0

say() { printf 'probe: %s\n' "$*"; }
check()
{
	if [ "$1" = ok ]; then
		say "ok:   $2"
	else
		say "FAIL: $2"
		FAILS=$((FAILS + 1))
	fi
}
cleanup()
{
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null
	docker rm -f "$CLIENT" "$RELAY" >/dev/null 2>&1
	docker network rm "$NET" >/dev/null 2>&1
	nonroot_teardown
}
trap cleanup EXIT

ms() { date +%s%3N; }

nonroot_setup || exit 1

# The helper image: given, or built from this tree's source.
IMG=${SANDRUN_HELPER_IMAGE:-}
if [ -z "$IMG" ]; then
	gcc -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -static -Os -s \
		-o "$NR_DIR/sr-dnsfwd" "$ROOT/runner/helper/sr-dnsfwd.c" || exit 1
	entry=$(bash "$ROOT/ci/images/helper.sh" "$NR_DIR/sr-dnsfwd") || exit 1
	IMG=$(sed -n 's/^base = "\(.*\)"$/\1/p' <<<"$entry")@$(sed -n 's/^digest = "\(.*\)"$/\1/p' <<<"$entry")
fi
BUSYBOX=$(awk '/toolchain_id = "busybox"/ {f=1} f && /^base/ {b=$3} f && /^digest/ {print b "@" $3; exit}' "$CAT" | tr -d '"')
[ -n "$BUSYBOX" ] || { say "no busybox entry in $CAT"; exit 1; }
say "relay image $IMG; client image $BUSYBOX"
docker image inspect "$IMG" >/dev/null 2>&1 || docker pull -q "$IMG" >/dev/null || exit 1
docker image inspect "$BUSYBOX" >/dev/null 2>&1 || docker pull -q "$BUSYBOX" >/dev/null || exit 1

# 1. the network, made by the account
as_nonroot docker network create --internal --label sandrun.test=nonroot-probe "$NET" >/dev/null ||
	{ say "docker network create as $NR_USER failed"; exit 1; }
GW=$(docker network inspect --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$NET")
say "network $NET gateway $GW"
err=$(as_nonroot /usr/bin/python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(('$GW', 53))
except OSError as e:
    print(e.strerror); sys.exit(1)
print('bound')" 2>&1)
[ "$err" = "Permission denied" ] && r=ok || r=fail
check "$r" "$NR_USER cannot bind udp $GW:53 on the host ($err)"

# 2. the stand-in listener: stops by itself after 60 s
cat >"$NR_DIR/listener.py" <<'EOF'
import socket, struct, sys, time
gw, log, portfile = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((gw, 0))
open(portfile, "w").write(str(s.getsockname()[1]))
s.settimeout(1.0)
end = time.time() + 60
zone = b"\x03oob\x07sandrun\x04test\x00"
with open(log, "a", buffering=1) as out:
    while time.time() < end:
        try:
            pkt, frm = s.recvfrom(4096)
        except socket.timeout:
            continue
        if len(pkt) < 12:
            continue
        i, labels = 12, []
        while i < len(pkt) and pkt[i]:
            labels.append(pkt[i + 1:i + 1 + pkt[i]].decode("ascii", "replace"))
            i += 1 + pkt[i]
        qend = i + 5
        qtype = struct.unpack(">H", pkt[i + 1:i + 3])[0] if qend <= len(pkt) else 0
        out.write("%s:%d %s %d\n" % (frm[0], frm[1], ".".join(labels), qtype))
        wire = pkt[12:i + 1]
        under = wire.lower().endswith(zone)
        flags = 0x8400 | (0 if under else 3)
        ans = b""
        if under and qtype == 1:
            ans = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + socket.inet_aton(gw)
        hdr = pkt[:2] + struct.pack(">HHHHH", flags, 1, 1 if ans else 0, 0, 0)
        s.sendto(hdr + pkt[12:qend] + ans, frm)
EOF
chown "$NR_USER:" "$NR_DIR/listener.py"
as_nonroot /usr/bin/python3 "$NR_DIR/listener.py" "$GW" "$NR_DIR/queries.log" "$NR_DIR/port" &
LPID=$!
for _ in $(seq 50); do [ -s "$NR_DIR/port" ] && break; sleep 0.1; done
PORT=$(cat "$NR_DIR/port" 2>/dev/null)
[ -n "$PORT" ] || { say "listener did not start"; exit 1; }
say "listener on udp $GW:$PORT as $NR_USER"

# 3. the relay
t0=$(ms)
as_nonroot docker run -d --name "$RELAY" --network "$NET" --label sandrun.test=nonroot-probe \
	--user 65534:65534 --cap-drop ALL --security-opt no-new-privileges --read-only \
	--memory 16m --memory-swap 16m --pids-limit 8 --cpus 0.25 --log-driver none --pull never \
	"$IMG" "$GW" "$PORT" >/dev/null || { say "relay container did not start"; exit 1; }
t1=$(ms)
RIP=$(docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$RELAY")
ready=$(as_nonroot /usr/bin/python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.05)
end = time.time() + 3
while time.time() < end:
    s.sendto(b'ping', ('$RIP', 53))
    try:
        if s.recv(16) == b'pong': print('ready'); break
    except OSError: pass
" 2>&1)
t2=$(ms)
[ "$ready" = ready ] && r=ok || r=fail
check "$r" "relay $RIP:53 answers ping from the host (docker run -d $((t1 - t0)) ms, ready after $((t2 - t0)) ms)"
sysctl=$(as_nonroot docker run --rm --network "container:$RELAY" --user 65534:65534 --cap-drop ALL \
	--log-driver none --pull never "$BUSYBOX" cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>&1)
say "ip_unprivileged_port_start in the relay's namespace: $sysctl"

# 4. the client: a read-only resolv.conf naming the relay, as the runner writes it
printf 'nameserver %s\noptions ndots:0 attempts:2 timeout:2\n' "$RIP" >"$NR_DIR/resolv.conf"
chown "$NR_USER:" "$NR_DIR/resolv.conf"
out=$(as_nonroot docker run --rm --name "$CLIENT" --network "$NET" --user 65534:65534 --cap-drop ALL \
	--read-only --log-driver none --pull never -v "$NR_DIR/resolv.conf:/etc/resolv.conf:ro" \
	"$BUSYBOX" timeout 5 nslookup "$TOKEN.oob.sandrun.test" 2>&1)
say "nslookup said: $(tr '\n' ' ' <<<"$out")"

# 5. evidence on the host side, answer relayed back
log=$(cat "$NR_DIR/queries.log" 2>/dev/null)
grep -q "^$RIP:[0-9]* $TOKEN.oob.sandrun.test 1\$" <<<"$log" && r=ok || r=fail
check "$r" "listener saw the token's A query, from the relay's address $RIP"
grep -q "Address: $GW" <<<"$out" && r=ok || r=fail
check "$r" "nslookup got $GW back through the relay"

t3=$(ms)
docker rm -f "$RELAY" >/dev/null 2>&1
t4=$(ms)
say "relay removal (docker rm -f) $((t4 - t3)) ms"
if [ "$FAILS" = 0 ]; then say passed; else say "$FAILS check(s) failed"; fi
[ "$FAILS" = 0 ]
