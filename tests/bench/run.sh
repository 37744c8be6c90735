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

bare_loop() {
	for i in $(seq 1 "$N"); do
		docker run --rm --pull=never --log-driver=none --read-only \
			--tmpfs /tmp:rw,nosuid,nodev,size=67108864,mode=1777 --user 65534:65534 \
			--cap-drop=ALL --security-opt=no-new-privileges --init --memory=536870912 \
			--memory-swap=536870912 --cpus=1 --pids-limit=256 --network=none "$REF" true
	done
}

# Rounds alternate bare and sandrun so drift on a shared machine hits both;
# the median of the per-round ratios is reported.
ROUNDS=${BENCH_ROUNDS:-3}
r1=() r2=()
for k in $(seq 1 "$ROUNDS"); do
	t0=$(now)
	bare_loop
	t1=$(now)
	"$SANDRUN" -q run --catalogue "$CAT" -j 1 "$TMP/suite" >/dev/null
	t2=$(now)
	"$SANDRUN" -q run --catalogue "$CAT" -j 2 "$TMP/suite" >/dev/null
	t3=$(now)
	bare=$(echo "$t1 - $t0" | bc -l)
	a=$(echo "($t2 - $t1) / $bare" | bc -l)
	b=$(echo "($t3 - $t2) / $bare" | bc -l)
	printf '  round %d: bare %.2f s (%.0f ms/run), sandrun -j 1 ratio %.2f, -j 2 ratio %.2f\n' \
		"$k" "$bare" "$(echo "$bare * 1000 / $N" | bc -l)" "$a" "$b"
	r1+=("$a")
	r2+=("$b")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
printf 'bench: %d trivial harnesses, %d rounds: median ratio -j 1 %.2f, -j 2 %.2f (bare docker run = 1)\n' \
	"$N" "$ROUNDS" "$(median "${r1[@]}")" "$(median "${r2[@]}")"

# Peak memory of the runner itself over the -j 2 run.
/usr/bin/time -f '  sandrun peak RSS %M KiB' "$SANDRUN" -q run --catalogue "$CAT" -j 2 "$TMP/suite" >/dev/null

if [ -x "$ROOT/build/bench/net_bench" ]; then
	"$ROOT/build/bench/net_bench"
fi
