#!/usr/bin/env bash
# Integration tests: the built sandrun against the real engine and registry.
# Usage: SANDRUN=path/to/sandrun [SANDRUN_TEST_ENGINE=podman] tests/integration/run.sh [NAME-GLOB...]
# SANDRUN_TEST_ENGINE (docker, the default, or podman) is the engine every
# test drives; tests that cannot run on it say why in a SKIP line.
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/lib.sh"
for f in "$DIR"/test_*.sh; do
	. "$f"
done
if ! engine info >/dev/null 2>&1; then
	echo "integration: the $ENGINE engine is not running; run ci/setup.sh first" >&2
	exit 1
fi
[ -f "$CAT" ] || { echo "integration: no local catalogue at $CAT; run ci/setup.sh" >&2; exit 1; }
integrity_begin
for t in $(declare -F | awk '{print $3}' | grep '^t_' | sort); do
	for g in "${@:-*}"; do
		case "$t" in $g)
			run_test "$t"
			break
			;;
		esac
	done
done
integrity_check
finish
