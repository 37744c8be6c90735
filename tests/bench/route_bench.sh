#!/usr/bin/env bash
# sandrun per engine route (API over the socket, CLI client per run) against
# a bare hardened `docker run --rm` loop at the SAME parallelism: N trivial
# harnesses, -j P, rounds alternating bare / CLI route / API route so drift
# on a shared machine hits all three; prints the median ratio (bare = 1).
#   BENCH_N="16 64" BENCH_J="1 2" BENCH_ROUNDS=3 tests/bench/route_bench.sh
# Run it under the shared engine lock (tests/integration/README).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SANDRUN=${SANDRUN:-$ROOT/sandrun}
CAT=${SANDRUN_TEST_CATALOGUE:-$ROOT/ci/local/images.toml}
IMG=$(sed -n 's/^base = "\(.*sandrun\/busybox[^"]*\)"/\1/p' "$CAT" | head -1)
DIG=$(awk '/toolchain_id = "busybox"/{f=1} f && /^digest/{gsub(/"/,"",$3); print $3; exit}' "$CAT")
REF="$IMG@$DIG"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }

# One bare container, the hardening of a sandrun run (tests/bench/run.sh).
bare_one() {
	docker run --rm --pull=never --log-driver=none --read-only \
		--tmpfs /tmp:rw,nosuid,nodev,size=67108864,mode=1777 --user 65534:65534 \
		--cap-drop=ALL --security-opt=no-new-privileges --init --memory=536870912 \
		--memory-swap=536870912 --cpus=1 --pids-limit=256 --network=none "$REF" true
}
export -f bare_one
export REF

# The middle value; the mean of the two middle ones for an even count.
median() {
	printf '%s\n' "$@" | sort -g |
		awk '{v[NR]=$1} END {m=int((NR+1)/2); print (NR % 2) ? v[m] : (v[m] + v[m+1]) / 2}'
}

for n in ${BENCH_N:-16 64}; do
	mkdir -p "$TMP/suite$n"
	for i in $(seq 1 "$n"); do
		printf 'name: trivial-%d\ntoolchain: busybox\ncommand: ["true"]\nexpect: not_confirmed\n' \
			"$i" >"$TMP/suite$n/t$i.yaml"
	done
	for j in ${BENCH_J:-1 2}; do
		cli=() api=()
		for k in $(seq 1 "${BENCH_ROUNDS:-3}"); do
			t0=$(now)
			seq 1 "$n" | xargs -P "$j" -I{} bash -c bare_one >/dev/null
			t1=$(now)
			SANDRUN_ENGINE_API=0 "$SANDRUN" -q run --catalogue "$CAT" -j "$j" "$TMP/suite$n" >/dev/null
			t2=$(now)
			SANDRUN_ENGINE_API=1 "$SANDRUN" -q run --catalogue "$CAT" -j "$j" "$TMP/suite$n" >/dev/null
			t3=$(now)
			bare=$(echo "$t1 - $t0" | bc -l)
			cli+=("$(echo "($t2 - $t1) / $bare" | bc -l)")
			api+=("$(echo "($t3 - $t2) / $bare" | bc -l)")
			printf '  n=%d -j %d round %d: bare %.2f s, CLI route %.2f s, API route %.2f s\n' \
				"$n" "$j" "$k" "$bare" "$(echo "$t2 - $t1" | bc -l)" "$(echo "$t3 - $t2" | bc -l)"
		done
		printf 'route bench n=%d -j %d: median ratio CLI route %.2f, API route %.2f (bare docker run --rm -P %d = 1)\n' \
			"$n" "$j" "$(median "${cli[@]}")" "$(median "${api[@]}")" "$j"
	done
done
