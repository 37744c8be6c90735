# Shared helpers of the integration tests: they drive the built sandrun
# binary against the real engine and the local registry set up by ci/setup.sh.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SANDRUN=${SANDRUN:-$ROOT/sandrun}
CAT=${SANDRUN_TEST_CATALOGUE:-$ROOT/ci/local/images.toml}
REG=127.0.0.1:${SANDRUN_REGISTRY_PORT:-5000}
# The engine under test (docker or podman): every sandrun call picks it up
# through SANDRUN_ENGINE, every engine-side check goes through `engine`.
ENGINE=${SANDRUN_TEST_ENGINE:-docker}
export SANDRUN_ENGINE=$ENGINE
TMP=$(mktemp -d /tmp/sandrun-it.XXXXXX)
export SANDRUN_ARTIFACTS=$TMP/artifacts
FAILED=0
PASSED=0
SKIPPED=0
CURRENT=""

engine() { "$ENGINE" "$@"; }

# The OCI runtime under test (issue 20): SANDRUN_TEST_RUNTIME=runsc makes
# every `sandrun run` of every test pass `--runtime runsc` (a wrapper
# inserts it after the verb); empty: the engine's default, runc.
RUNTIME=${SANDRUN_TEST_RUNTIME:-}
if [ -n "$RUNTIME" ]; then
	SANDRUN_REAL=$SANDRUN
	SANDRUN=$TMP/sandrun-$RUNTIME
	cat >"$SANDRUN" <<EOF
#!/usr/bin/env bash
# sandrun with --runtime $RUNTIME after the verb run (global options first).
args=() done=0 prev=
for a in "\$@"; do
	args+=("\$a")
	if [ \$done = 0 ] && [ "\$a" = run ] && case \$prev in --catalogue|--engine|--log-format) false ;; *) true ;; esac; then
		args+=(--runtime "$RUNTIME")
		done=1
	fi
	prev=\$a
done
exec "$SANDRUN_REAL" "\${args[@]}"
EOF
	chmod 0755 "$SANDRUN"
	ENGINE_LABEL="$ENGINE, $RUNTIME"
fi
ENGINE_LABEL=${ENGINE_LABEL:-$ENGINE}

# skip WHY: the current test cannot run on this engine; WHY is printed.
skip() {
	echo "    SKIP ($ENGINE_LABEL): $*"
	CURRENT_SKIPPED=1
}

# not_on_runtime NAME WHY: skip (and return 0) when the runtime under test
# is NAME. Usage: not_on_runtime runsc "why" && return
not_on_runtime() {
	[ "$RUNTIME" = "$1" ] || return 1
	shift
	skip "$*"
	return 0
}

# docker_only WHY: skip (and return 0) unless the engine under test is
# docker. Usage: docker_only "why" && return
docker_only() {
	[ "$ENGINE" = docker ] && return 1
	skip "$*"
	return 0
}

cleanup_tmp() { rm -rf "$TMP"; }
trap cleanup_tmp EXIT

fail() {
	echo "    FAIL: $*" >&2
	FAILED=$((FAILED + 1))
	CURRENT_FAILED=1
}

# wait_running LABEL N: wait (up to 20 s) until N running containers carry
# LABEL; fails the test (returns 1) when they never do, so an interrupt
# test cannot pass without interrupting anything.
wait_running() {
	local i
	for i in $(seq 1 100); do
		[ "$(engine ps -q --filter "label=$1" | wc -l)" -ge "$2" ] && return 0
		sleep 0.2
	done
	fail "no $2 running container(s) labelled $1 after 20 s"
	return 1
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	if [ "$2" != "$3" ]; then
		fail "$1: expected '$2', got '$3'"
	fi
}

assert_contains() {
	case "$2" in
	*"$3"*) ;;
	*) fail "$1: '$3' not found in: $(printf '%s' "$2" | head -c 600)" ;;
	esac
}

assert_not_contains() {
	case "$2" in
	*"$3"*) fail "$1: '$3' must not appear" ;;
	*) ;;
	esac
}

# The outcome of record (harness, payload) in a JSON report.
outcome_of() {
	jq -r --arg h "$2" --arg p "$3" \
		'[.records[] | select(.harness == $h and .payload == $p)][0].outcome' "$1"
}

field_of() {
	jq -r --arg h "$2" --arg p "$3" \
		"[.records[] | select(.harness == \$h and .payload == \$p)][0].$4" "$1"
}

# No container or network labelled by sandrun may outlive a test.
check_leftovers() {
	local c n
	c=$(engine ps -aq --filter label=sandrun.run | wc -l)
	n=$(engine network ls -q --filter label=sandrun.run | wc -l)
	if [ "$c" != 0 ] || [ "$n" != 0 ]; then
		fail "leftovers after $CURRENT ($ENGINE): $c container(s), $n network(s)"
		engine ps -aq --filter label=sandrun.run | xargs -r "$ENGINE" rm -f >/dev/null 2>&1
		engine network ls -q --filter label=sandrun.run | xargs -r "$ENGINE" network rm >/dev/null 2>&1
	fi
	if command -v iptables >/dev/null && iptables -w -S 2>/dev/null | grep -q -- '-N SR-'; then
		fail "leftover firewall chains after $CURRENT: $(iptables -w -S | grep -- '-N SR-' | tr '\n' ' ')"
	fi
}

run_test() {
	CURRENT=$1
	CURRENT_FAILED=0
	CURRENT_SKIPPED=0
	echo "--- $1 [$ENGINE_LABEL]"
	# The engine is shared by everyone on this machine (worktrees, benches):
	# one test at a time holds it, since check_leftovers removes every
	# sandrun-labelled container and network it finds.
	exec 9>>"${SANDRUN_ENGINE_LOCK:-/tmp/sandrun-engine.lock}"
	flock 9
	"$1"
	check_leftovers
	flock -u 9
	exec 9>&-
	if [ "$CURRENT_SKIPPED" = 1 ] && [ "$CURRENT_FAILED" = 0 ]; then
		SKIPPED=$((SKIPPED + 1))
	elif [ "$CURRENT_FAILED" = 0 ]; then
		PASSED=$((PASSED + 1))
		echo "    ok"
	fi
}

finish() {
	echo "integration ($ENGINE_LABEL): $PASSED passed, $SKIPPED skipped, $FAILED failure(s)"
	[ "$FAILED" = 0 ]
}

# write_spec DIR NAME <<YAML  — a spec file in a test suite directory.
write_spec() {
	mkdir -p "$1"
	cat >"$1/$2.yaml"
}

# six_harness_suite DIR — six harnesses h1..h6 that each confirm (shards, merge).
six_harness_suite() {
	local s=$1 i
	for i in 1 2 3 4 5 6; do
		write_spec "$s" "h$i" <<EOF
toolchain: busybox
command: ["sh", "-c", "echo run-$i"]
oracle: {stdout: "run-$i"}
expect: confirmed
EOF
	done
}

# Host integrity (issue 17): a marker before the suite, and after it a
# `find` over the host's filesystems for anything newer (content or inode)
# outside what the tests and the engine may write. Fails the suite and
# prints what it found. SANDRUN_INTEGRITY=0 turns it off;
# SANDRUN_INTEGRITY_EXCLUDE adds paths (space-separated, find -path globs).
# Chromium's profile (the HTML report's screenshot) is left out too.
# The checkout itself (where artifacts and reports go) is not checked. New
# files in /tmp and /var/tmp are reported, not failed (every tool's scratch
# space; SANDRUN_INTEGRITY_TMP=1 fails on them too, except on a shared
# machine: other checkouts beside this one, /work/wt-*, where the shared
# workspace is not checked either; SANDRUN_INTEGRITY_SHARED=0 or 1 overrides
# that guess). Files a live process holds open (the log this suite's own
# output goes to) are not leftovers and are not reported.
INTEGRITY_MARK=""
integrity_begin() {
	[ "${SANDRUN_INTEGRITY:-1}" = 0 ] && return 0
	INTEGRITY_MARK=$TMP/integrity-marker
	touch "$INTEGRITY_MARK"
}

# The directories a host-integrity scan leaves out, one a line.
integrity_excluded() {
	local p
	printf '%s\n' /proc /sys /dev /run /var/run /var/log /var/cache /var/spool /var/mail \
		/var/lib/docker /var/lib/containerd /var/lib/containers /var/lib/cni /var/lib/buildkit \
		/var/lib/apt /var/lib/dpkg /var/lib/systemd /var/lib/dhcp /var/lib/sandrun-registry \
		/var/lib/sandrun-slurm /var/lib/slurm /var/spool/slurm /etc/cni /etc/containers/networks \
		/root/.cache /root/.local/share/containers /root/.config/containers /root/.docker \
		/root/.config/chromium /root/.pki \
		'/var/tmp/container_images_*' '/var/tmp/buildah*' "$TMP" '/tmp/sandrun-*' '/tmp/sr-*' \
		"$ROOT" '/tmp/.X11-unix'
	for p in ${SANDRUN_INTEGRITY_EXCLUDE:-}; do printf '%s\n' "$p"; done
	integrity_shared && printf '%s\n' "$(dirname "$ROOT")"
}

# Whether other checkouts live beside this one (a shared workstation).
integrity_shared() {
	local d
	case "${SANDRUN_INTEGRITY_SHARED:-auto}" in 0) return 1 ;; 1) return 0 ;; esac
	for d in "$(dirname "$ROOT")"/*/; do
		d=${d%/}
		[ "$d" != "$ROOT" ] && [ -e "$d/.git" ] && return 0
	done
	return 1
}

integrity_check() {
	[ -n "$INTEGRITY_MARK" ] && [ -e "$INTEGRITY_MARK" ] || return 0
	local args=() p roots=(/) fs rootdev notes bad t0=$SECONDS
	local found=$TMP/integrity-found open=$TMP/integrity-open left=$TMP/integrity-left
	while IFS= read -r p; do
		[ -n "$p" ] && args+=(-path "$p" -o)
	done < <(integrity_excluded)
	args=("${args[@]}" -false)
	# Every local filesystem a run could write to, once: / and what is
	# mounted apart under the usual writable places.
	rootdev=$(stat -c %d /)
	for fs in /tmp /var/tmp /root /home /etc /var /opt /srv /usr /work; do
		[ -d "$fs" ] && [ "$(stat -c %d "$fs")" != "$rootdev" ] && roots+=("$fs")
	done
	find "${roots[@]}" -xdev \( "${args[@]}" \) -prune -o ! -type d \
		\( -newer "$INTEGRITY_MARK" -o -cnewer "$INTEGRITY_MARK" \) -print 2>/dev/null |
		LC_ALL=C sort -u >"$found"
	# A file some live process still holds open is that process's own
	# output (the CI runner's log, a daemon's journal), not something a
	# finished run left behind: every container is gone by now.
	find /proc/[0-9]*/fd -maxdepth 1 -type l -printf '%l\n' 2>/dev/null | LC_ALL=C sort -u >"$open"
	LC_ALL=C comm -23 "$found" "$open" >"$left"
	# New files in /tmp and /var/tmp, the scratch space of every tool on
	# the machine (the engine, podman, chromium, python, the batch system),
	# are reported, not failed, unless SANDRUN_INTEGRITY_TMP=1. The
	# targeted tests (t_trust_*, t_hostile_*) check their own markers there.
	if [ "${SANDRUN_INTEGRITY_TMP:-0}" = 1 ] && ! integrity_shared; then
		notes=""
		bad=$(cat "$left")
	else
		notes=$(grep -E '^/(var/)?tmp/' "$left" || true)
		bad=$(grep -vE '^/(var/)?tmp/' "$left" || true)
	fi
	echo "host integrity: scanned ${roots[*]} in $((SECONDS - t0))s"
	if [ -n "$notes" ]; then
		echo "    note: $(printf '%s\n' "$notes" | wc -l) new file(s) in /tmp or /var/tmp (reported, not failed), e.g.:"
		printf '%s\n' "$notes" | head -5 | sed 's/^/      /'
	fi
	if [ -n "$bad" ]; then
		echo "    FAIL: host integrity: the suite left files outside its own directories:" >&2
		printf '%s\n' "$bad" | head -50 | sed 's/^/      /' >&2
		FAILED=$((FAILED + 1))
	fi
}
