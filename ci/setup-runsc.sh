#!/usr/bin/env bash
# Register gVisor's runsc (Debian's `runsc` package) with the dockerd that
# ci/setup.sh started (issue 20). Root, idempotent, well under a second when
# done:
#   - merges a "runtimes" entry into /etc/docker/daemon.json with jq: every
#     other key and runtime in an existing file is kept, the file is never
#     replaced by ours; nothing is written when the entry is already there
#   - SIGHUPs only the dockerd whose pid is in /run/sandrun/dockerd.pid (a
#     reload: running containers are not touched) and waits until
#     `docker info` lists the runtime
#
# runsc's default network mode (its own netstack) fails on this machine
# ("cannot run with network enabled in root network namespace"); with
# --network=host runsc uses the network namespace docker made for the
# container, so `--network=none` (only lo there) still has no network, and
# an internal network still is the only one a stub run reaches.
# --oci-seccomp makes runsc apply the run's seccomp profile inside the
# sandbox too (runsc ignores it otherwise).
set -euo pipefail

NAME=${SANDRUN_RUNSC_NAME:-runsc}
CONF=/etc/docker/daemon.json
PIDFILE=/run/sandrun/dockerd.pid
say() { printf 'setup: %s\n' "$*"; }
die()
{
	printf 'setup: error: %s\n' "$*" >&2
	exit 1
}

RUNSC=$(command -v runsc) || die "runsc is not installed (apt-get install runsc)"
want=$(jq -cn --arg p "$RUNSC" '{path: $p, runtimeArgs: ["--network=host", "--oci-seccomp"]}')

listed() { timeout 20 docker info --format '{{json .Runtimes}}' 2>/dev/null | jq -e --arg n "$NAME" 'has($n)' >/dev/null; }

have='null' changed=0
if [[ -f $CONF ]]; then
	jq -e . "$CONF" >/dev/null 2>&1 || die "$CONF is not valid JSON; fix it, then rerun"
	have=$(jq -c --arg n "$NAME" '.runtimes[$n] // null' "$CONF")
fi
if [[ $have != "$want" ]]; then
	mkdir -p "$(dirname "$CONF")"
	[[ -f $CONF ]] || echo '{}' >"$CONF"
	jq --arg n "$NAME" --argjson r "$want" '.runtimes[$n] = $r' "$CONF" >"$CONF.sandrun.tmp"
	mv "$CONF.sandrun.tmp" "$CONF"
	say "registered runtime $NAME ($RUNSC --network=host --oci-seccomp) in $CONF"
	changed=1
fi
((changed)) || ! listed || { say "runtime $NAME: registered with dockerd"; exit 0; }

pid=$(cat "$PIDFILE" 2>/dev/null) || die "no $PIDFILE: reload your dockerd yourself (kill -HUP its pid)"
[[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || die "pid $pid in $PIDFILE is not dockerd"
kill -HUP "$pid"
for ((i = 0; i < 100; i++)); do
	# A reload takes a moment: the old list may still be served at first.
	sleep 0.1
	listed && { say "runtime $NAME: dockerd (pid $pid) reloaded"; exit 0; }
done
die "dockerd (pid $pid) does not list runtime $NAME after SIGHUP (see its log)"
