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

# skip WHY: the current test cannot run on this engine; WHY is printed.
skip() {
	echo "    SKIP ($ENGINE): $*"
	CURRENT_SKIPPED=1
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
	echo "--- $1${ENGINE:+ [$ENGINE]}"
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
	echo "integration ($ENGINE): $PASSED passed, $SKIPPED skipped, $FAILED failure(s)"
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
