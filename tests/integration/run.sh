#!/usr/bin/env bash
# Integration tests: the built sandrun against the real engine and registry.
# Usage: SANDRUN=path/to/sandrun tests/integration/run.sh [NAME-GLOB]
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/lib.sh"
for f in "$DIR"/test_*.sh; do
	. "$f"
done
if ! docker info >/dev/null 2>&1; then
	echo "integration: the engine is not running; run ci/setup.sh first" >&2
	exit 1
fi
[ -f "$CAT" ] || { echo "integration: no local catalogue at $CAT; run ci/setup.sh" >&2; exit 1; }
for t in $(declare -F | awk '{print $3}' | grep '^t_' | sort); do
	case "$t" in ${1:-*}) run_test "$t" ;; esac
done
finish
