#!/usr/bin/env bash
# Set up a one-node Slurm cluster on this machine for the scale-out tests
# (DESIGN §9). Root, idempotent, well under a second when already running.
#   1. Debian's slurm-wlm and munge, installed only when missing (no service
#      is started by the packages: there is no systemd here)
#   2. /etc/munge/munge.key (created once) and /etc/slurm/slurm.conf: one node
#      (this host, at 127.0.0.1), one partition, no cgroups
#      (proctrack/linuxproc, task/none), no accounting
#   3. munged, slurmctld and slurmd in the background, pid files under
#      $STATE; started only when their pid file does not name a live daemon
#   4. waits until `sinfo` shows the node idle (resumes it when down/drained)
#
# Usage: ci/setup-slurm.sh            set up / make sure it runs
#        ci/setup-slurm.sh --stop     stop the three daemons (by pid file only)
# Environment: SANDRUN_SLURM_STATE (/var/lib/sandrun-slurm),
#   SANDRUN_SLURM_CPUS (default: nproc), SANDRUN_SLURM_PARTITION (sandrun).
# Logs: /var/log/sandrun-{munged,slurmctld,slurmd}.log.
#
# slurmctld (6817) and slurmd (6818) cannot be told to bind to one address;
# they are addressed as 127.0.0.1 and, where iptables works, an INPUT rule
# refuses those ports on every interface but loopback.
set -euo pipefail

STATE=${SANDRUN_SLURM_STATE:-/var/lib/sandrun-slurm}
PART=${SANDRUN_SLURM_PARTITION:-sandrun}
CONF=/etc/slurm/slurm.conf
KEY=/etc/munge/munge.key
LOGDIR=/var/log
DAEMONS=(munged slurmctld slurmd)
export LC_ALL=C

say() { printf 'setup-slurm: %s\n' "$*"; }
die()
{
	printf 'setup-slurm: error: %s\n' "$*" >&2
	exit 1
}

[[ $(id -u) == 0 ]] || die "must run as root (it installs packages and starts daemons)"

# pid_alive NAME: the pid in $STATE/NAME.pid when that process is NAME.
pid_alive()
{
	local pid
	pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$1" ]] && echo "$pid"
}

stop_all()
{
	local d pid i
	for d in slurmd slurmctld munged; do
		if pid=$(pid_alive "$d"); then
			say "stopping $d (pid $pid)"
			kill "$pid"
			for ((i = 0; i < 50; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
		fi
		rm -f "$STATE/$d.pid"
	done
}

if [[ ${1:-} == --stop ]]; then
	stop_all
	exit 0
elif [[ -n ${1:-} ]]; then
	die "usage: $0 [--stop]"
fi

NODE=$(hostname -s)
node_state() { timeout 10 sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -n 1; }

CPUS=${SANDRUN_SLURM_CPUS:-$(nproc)}
[[ $CPUS =~ ^[1-9][0-9]*$ ]] || die "bad SANDRUN_SLURM_CPUS '$CPUS'"
MEM=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
conf="# Written by sandrun ci/setup-slurm.sh: a one-node cluster for the scale-out
# tests. Rerun the script after a change; do not edit.
ClusterName=sandrun
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
# No cgroups and no systemd in a container: plain process tracking.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MaxArraySize=10001
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.slurm.pid
SlurmdPidFile=$STATE/slurmd.slurm.pid
SlurmctldLogFile=$LOGDIR/sandrun-slurmctld.log
SlurmdLogFile=$LOGDIR/sandrun-slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
KillWait=10
Waittime=0
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=$PART Nodes=$NODE Default=YES MaxTime=INFINITE State=UP"

# Fast path: all three daemons alive by their pid files and the node usable.
fast=1
for d in "${DAEMONS[@]}"; do
	pid_alive "$d" >/dev/null || fast=0
done
if ((fast)) && [[ -f $CONF && "$(cat "$CONF")" == "$conf" ]]; then
	case $(node_state) in
	idle | mixed | allocated | completing)
		say "slurm: node $NODE $(node_state), daemons running"
		exit 0
		;;
	esac
fi

# ---------------------------------------------------------------- 1. packages
PKGS=(slurm-wlm munge slurm-client)
missing=()
for p in "${PKGS[@]}"; do
	[[ $(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null) == ii* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
	say "installing ${missing[*]}"
	TMP=$(mktemp -d /tmp/sandrun-setup-slurm.XXXXXX)
	policy=
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		# No daemon may start from a maintainer script: we start ours below.
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
	fi
	trap 'rm -rf "$TMP"; if [[ -n $policy ]]; then rm -f "$policy"; fi' EXIT
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=300 update -qq || die "apt-get update failed"
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >"$TMP/apt.log" 2>&1 ||
		{ tail -n 30 "$TMP/apt.log" >&2; die "apt-get install failed"; }
else
	say "packages: ${PKGS[*]} present"
fi

# ------------------------------------------------------------ 2. configuration
mkdir -p "$STATE/ctld" "$STATE/spool" /etc/slurm
chmod 0755 "$STATE"
if [[ ! -s $KEY ]]; then
	say "creating $KEY"
	install -d -o munge -g munge -m 0700 /etc/munge
	(umask 077 && dd if=/dev/urandom of="$KEY.tmp" bs=1024 count=1 status=none)
	chown munge:munge "$KEY.tmp"
	chmod 0400 "$KEY.tmp"
	mv -f "$KEY.tmp" "$KEY"
fi
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge

changed=0
if [[ ! -f $CONF ]] || [[ "$(cat "$CONF")" != "$conf" ]]; then
	printf '%s\n' "$conf" >"$CONF.tmp"
	mv -f "$CONF.tmp" "$CONF"
	say "wrote $CONF (node $NODE, $CPUS CPUs, ${MEM} MB)"
	changed=1
fi

# Loopback only for the daemons' ports, where iptables works.
if command -v iptables >/dev/null && iptables -w -S INPUT >/dev/null 2>&1; then
	for port in 6817 6818; do
		iptables -w -C INPUT -p tcp --dport "$port" ! -i lo -j DROP 2>/dev/null ||
			iptables -w -I INPUT -p tcp --dport "$port" ! -i lo -j DROP
	done
fi

# ----------------------------------------------------------------- 3. daemons
# daemonize NAME CMD...: CMD in the foreground of its own session, detached
# from our descriptors, output appended to its log, pid in $STATE/NAME.pid.
daemonize()
{
	local name=$1 fd log=$LOGDIR/sandrun-$1.log
	shift
	printf '\n==== %s setup-slurm.sh: %s\n' "$(date -Is)" "$*" >>"$log"
	(
		cd /
		for fd in "/proc/$BASHPID/fd"/*; do
			fd=${fd##*/}
			((fd > 2)) && eval "exec $fd>&-"
		done
		exec setsid "$@" </dev/null >>"$log" 2>&1
	) &
	echo $! >"$STATE/$name.pid"
}

# A changed configuration is taken up by a restart of the Slurm daemons.
if ((changed)); then
	for d in slurmd slurmctld; do
		if pid=$(pid_alive "$d"); then
			say "configuration changed: stopping $d (pid $pid)"
			kill "$pid"
			for ((i = 0; i < 50; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
		fi
	done
fi

if ! pid_alive munged >/dev/null; then
	say "starting munged"
	daemonize munged setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged -F
	# setpriv execs munged: the pid is munged's once it has started.
	for ((i = 0; i < 50; i++)); do
		[[ $(cat "/proc/$(cat "$STATE/munged.pid")/comm" 2>/dev/null) == munged ]] && break
		sleep 0.1
	done
fi
for ((i = 0; i < 50; i++)); do
	munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
	sleep 0.1
done
munge -n </dev/null | unmunge >/dev/null 2>&1 ||
	{ tail -n 20 "$LOGDIR/sandrun-munged.log" >&2; die "munged does not answer"; }

if ! pid_alive slurmctld >/dev/null; then
	say "starting slurmctld"
	daemonize slurmctld /usr/sbin/slurmctld -D
fi
for ((i = 0; i < 100; i++)); do
	timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' && break
	pid_alive slurmctld >/dev/null || break
	sleep 0.2
done
timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' ||
	{ tail -n 20 "$LOGDIR/sandrun-slurmctld.log" >&2; die "slurmctld does not answer"; }

if ! pid_alive slurmd >/dev/null; then
	say "starting slurmd"
	daemonize slurmd /usr/sbin/slurmd -D
fi

# ------------------------------------------------------------------ 4. await
for ((i = 0; i < 150; i++)); do
	st=$(node_state)
	case $st in
	idle | mixed | allocated | completing) break ;;
	down* | drain* | fail*)
		say "node $NODE is $st: resuming it"
		scontrol update nodename="$NODE" state=resume 2>/dev/null || true
		;;
	esac
	pid_alive slurmd >/dev/null ||
		{ tail -n 20 "$LOGDIR/sandrun-slurmd.log" >&2; die "slurmd exited"; }
	sleep 0.2
done
case $(node_state) in
idle | mixed | allocated | completing) ;;
*)
	tail -n 20 "$LOGDIR/sandrun-slurmd.log" >&2
	die "node $NODE is '$(node_state)' after 30 s: $(scontrol show node "$NODE" | grep -i reason || true)"
	;;
esac
say "slurm: node $NODE $(node_state), partition $PART (munged, slurmctld, slurmd pids in $STATE)"
