# Shared helpers of the integration tests: they drive the built sandrun
# binary against the real engine and the local registry set up by ci/setup.sh.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SANDRUN=${SANDRUN:-$ROOT/sandrun}
CAT=${SANDRUN_TEST_CATALOGUE:-$ROOT/ci/local/images.toml}
REG=127.0.0.1:${SANDRUN_REGISTRY_PORT:-5000}
TMP=$(mktemp -d /tmp/sandrun-it.XXXXXX)
export SANDRUN_ARTIFACTS=$TMP/artifacts
FAILED=0
PASSED=0
CURRENT=""

cleanup_tmp() { rm -rf "$TMP"; }
trap cleanup_tmp EXIT

fail() {
	echo "    FAIL: $*" >&2
	FAILED=$((FAILED + 1))
	CURRENT_FAILED=1
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
	c=$(docker ps -aq --filter label=sandrun.run | wc -l)
	n=$(docker network ls -q --filter label=sandrun.run | wc -l)
	if [ "$c" != 0 ] || [ "$n" != 0 ]; then
		fail "leftovers after $CURRENT: $c container(s), $n network(s)"
		docker ps -aq --filter label=sandrun.run | xargs -r docker rm -f >/dev/null 2>&1
		docker network ls -q --filter label=sandrun.run | xargs -r docker network rm >/dev/null 2>&1
	fi
	if command -v iptables >/dev/null && iptables -w -S 2>/dev/null | grep -q -- '-N SR-'; then
		fail "leftover firewall chains after $CURRENT: $(iptables -w -S | grep -- '-N SR-' | tr '\n' ' ')"
	fi
}

run_test() {
	CURRENT=$1
	CURRENT_FAILED=0
	echo "--- $1"
	"$1"
	check_leftovers
	if [ "$CURRENT_FAILED" = 0 ]; then
		PASSED=$((PASSED + 1))
		echo "    ok"
	fi
}

finish() {
	echo "integration: $PASSED passed, $FAILED failure(s)"
	[ "$FAILED" = 0 ]
}

# write_spec DIR NAME <<YAML  — a spec file in a test suite directory.
write_spec() {
	mkdir -p "$1"
	cat >"$1/$2.yaml"
}
