#!/usr/bin/env bash
# make bench: sandrun's overhead over a bare `docker run --rm` loop with the
# same hardening flags, measured in the same run, reported as a ratio.
# Also the OOB listener benchmark (1,000 concurrent connections, 10,000 hits).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SANDRUN=${SANDRUN:-$ROOT/sandrun}
CAT=$ROOT/ci/local/images.toml
N=${BENCH_N:-20}
IMG=$(sed -n 's/^base = "\(.*sandrun\/busybox[^"]*\)"/\1/p' "$CAT" | head -1)
DIG=$(awk '/toolchain_id = "busybox"/{f=1} f && /^digest/{gsub(/"/,"",$3); print $3; exit}' "$CAT")
REF="$IMG@$DIG"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

mkdir -p "$TMP/suite"
for i in $(seq 1 "$N"); do
	printf 'name: trivial-%d\ntoolchain: busybox\ncommand: ["true"]\nexpect: not_confirmed\n' "$i" \
		>"$TMP/suite/t$i.yaml"
done

now() { date +%s.%N; }

# Same flags sandrun uses, one container at a time, then -j 1 sandrun.
t0=$(now)
for i in $(seq 1 "$N"); do
	docker run --rm --pull=never --log-driver=none --read-only \
		--tmpfs /tmp:rw,nosuid,nodev,size=67108864,mode=1777 --user 65534:65534 \
		--cap-drop=ALL --security-opt=no-new-privileges --init --memory=536870912 \
		--memory-swap=536870912 --cpus=1 --pids-limit=256 --network=none "$REF" true
done
t1=$(now)
"$SANDRUN" -q run --catalogue "$CAT" -j 1 "$TMP/suite" >/dev/null
t2=$(now)
"$SANDRUN" -q run --catalogue "$CAT" -j 2 "$TMP/suite" >/dev/null
t3=$(now)

bare=$(echo "$t1 - $t0" | bc -l)
sr1=$(echo "$t2 - $t1" | bc -l)
sr2=$(echo "$t3 - $t2" | bc -l)
printf 'bench: %d trivial harnesses\n' "$N"
printf '  bare docker run loop   %6.2f s  (%.0f ms/run)\n' "$bare" "$(echo "$bare * 1000 / $N" | bc -l)"
printf '  sandrun -j 1           %6.2f s  ratio %.2f\n' "$sr1" "$(echo "$sr1 / $bare" | bc -l)"
printf '  sandrun -j 2           %6.2f s  ratio %.2f\n' "$sr2" "$(echo "$sr2 / $bare" | bc -l)"

# Peak memory of the runner itself over the -j 2 run.
/usr/bin/time -f '  sandrun peak RSS %M KiB' "$SANDRUN" -q run --catalogue "$CAT" -j 2 "$TMP/suite" >/dev/null

if [ -x "$ROOT/build/bench/net_bench" ]; then
	"$ROOT/build/bench/net_bench"
fi
