#!/usr/bin/env bash
# Podman OOM probe (issue 13): conmon 2.1 (podman 4.3, cgroup v1) writes an
# empty file "oom" into ITS working directory, which it inherits from the
# podman client; podman itself looks for <bundle>/oom, so `podman inspect`
# reports OOMKilled=false. Started from a private directory, the file marks
# exactly this container's OOM kill. Proves: (1) memory hog -> <dir>/oom,
# (2) a plain SIGKILL -> no file, (3) inspect still says false (so the
# runner must read the file itself). Exits 1 when (1) or (2) fail.
# Usage: tests/integration/podman_oom_probe.sh [image]
set -uo pipefail
IMG=${1:-127.0.0.1:5000/sandrun/busybox:latest}
ID=sro$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
DIR=$(mktemp -d "/tmp/$ID.XXXXXX") || exit 3
trap 'podman rm -f -t 0 $ID-oom $ID-kill >/dev/null 2>&1; rm -rf -- "$DIR"' EXIT
mkdir "$DIR/oom-run" "$DIR/kill-run"
flags=(--init --memory=16777216 --memory-swap=16777216 --network=none --cap-drop=ALL
	--user=65534:65534 --read-only --log-driver=none --pull=never)
rc=0
(cd "$DIR/oom-run" && podman run --name "$ID-oom" "${flags[@]}" "$IMG" tail /dev/zero)
echo "hog: exit $?, OOMKilled=$(podman inspect -f '{{.State.OOMKilled}}' "$ID-oom")," \
	"oom file: $(ls "$DIR/oom-run")"
[[ -e $DIR/oom-run/oom ]] || { echo "FAIL: no oom file after an OOM kill"; rc=1; }
(cd "$DIR/kill-run" && podman run --name "$ID-kill" "${flags[@]}" "$IMG" sh -c 'kill -9 $$')
echo "SIGKILL: exit $?, OOMKilled=$(podman inspect -f '{{.State.OOMKilled}}' "$ID-kill")," \
	"oom file: $(ls "$DIR/kill-run")"
[[ -e $DIR/kill-run/oom ]] && { echo "FAIL: oom file after a plain SIGKILL"; rc=1; }
[[ $rc == 0 ]] && echo "PASS: <client cwd>/oom marks the OOM kill, and only it"
exit $rc
