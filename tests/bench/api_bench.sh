#!/usr/bin/env bash
# Engine API routes against a bare loop of hardened `docker run --rm` at the
# same parallelism (issue 9). Each round runs the CLI loop and every API
# route once per (N, P) under the shared engine lock, in an order that
# alternates between rounds; the summary is the median over rounds of route/bare.
# Usage: tests/bench/api_bench.sh [ROUNDS]
#   (env: API_BENCH, IMAGE, SIZES, JOBS, LOCK_ROUNDS)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${API_BENCH:-$ROOT/build/bench/api_bench}
IMAGE=${IMAGE:-127.0.0.1:5000/sandrun/busybox:latest}
ROUNDS=${1:-3}
SIZES=${SIZES:-16 64}
JOBS=${JOBS:-1 2}
LOCK=${SANDRUN_BENCH_LOCK:-/tmp/sandrun-engine.lock}
OUT=$(mktemp /tmp/sandrun-apibench.XXXXXX.log)
WORK=$(mktemp -d /tmp/sandrun-apibench-cli.XXXXXX)
chmod 777 "$WORK"
trap 'rm -rf "$WORK"' EXIT
[ -x "$BIN" ] || { echo "api_bench.sh: build $BIN first" >&2; exit 1; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The flags runner/exec/runargs.c gives a run (network none, no payload mounts).
cli_loop() {
	seq "$1" | xargs -P "$2" -I{} docker run --rm --pull=never --log-driver=none --read-only \
		--tmpfs /tmp:rw,nosuid,nodev,size=67108864,mode=1777 --user 65534:65534 \
		--cap-drop=ALL --security-opt=no-new-privileges --init --memory=536870912 \
		--memory-swap=536870912 --cpus=1 --pids-limit=256 --ulimit=core=0 --network=none \
		--label=sandrun.run=sandrun-apibench-cli --label=sandrun.harness=api_bench \
		--mount "type=bind,source=$WORK,target=/work" --workdir=/work --env=HOME=/tmp \
		-- "$IMAGE" true
}

route() { # NAME N J ARGS...
	local name=$1 n=$2 j=$3 t0 t1 line
	shift 3
	t0=$(now_ms)
	if [ "$name" = bare ]; then
		cli_loop "$n" "$j"
		line="bare"
	else
		line=$("$BIN" bench -n "$n" -j "$j" "$@" "$IMAGE")
	fi
	t1=$(now_ms)
	echo "n=$n j=$j route=$name ms=$((t1 - t0)) $line" | tee -a "$OUT"
}

ROUTES="bare api api_inspect ahead ahead_bgrm"
args_of() {
	case $1 in
	api) echo "" ;;
	api_inspect) echo "--inspect" ;;
	ahead) echo "--ahead" ;;
	ahead_bgrm) echo "--ahead --bg-rm" ;;
	esac
}

# One measurement round: every (N, P) and every route, the order reversed on
# even rounds.
round() {
	local r=$1 n j x order=$ROUTES
	[ $((r % 2)) = 0 ] && order=$(echo "$ROUTES" | tr ' ' '\n' | tac | tr '\n' ' ')
	for n in $SIZES; do
		for j in $JOBS; do
			for x in $order; do route "$x" "$n" "$j" $(args_of "$x"); done
		done
	done
}

# The engine lock is held for LOCK_ROUNDS rounds at a time (default 1), so
# that other users of the shared engine interleave between holdings.
LOCK_ROUNDS=${LOCK_ROUNDS:-1}
r=1
while [ "$r" -le "$ROUNDS" ]; do
	last=$((r + LOCK_ROUNDS - 1))
	[ "$last" -gt "$ROUNDS" ] && last=$ROUNDS
	flock "$LOCK" bash -c "$(declare -f now_ms cli_loop route args_of round)
		ROUTES='$ROUTES' SIZES='$SIZES' JOBS='$JOBS'
		BIN='$BIN' IMAGE='$IMAGE' OUT='$OUT' WORK='$WORK'
		for k in \$(seq $r $last); do round \$k; done"
	r=$((last + 1))
done

python3 - "$OUT" <<'EOF'
import re, statistics, sys, collections
ms = collections.defaultdict(list)
for line in open(sys.argv[1]):
    m = re.match(r"n=(\d+) j=(\d+) route=(\S+) ms=(\d+)", line)
    if m:
        ms[(int(m[1]), int(m[2]), m[3])].append(int(m[4]))
keys = sorted({(n, j) for n, j, _ in ms})
print("median over rounds of route/bare (lower is better; goal <= 0.95)")
for n, j in keys:
    bare = ms[(n, j, "bare")]
    row = []
    for r in ("api", "api_inspect", "ahead", "ahead_bgrm"):
        v = ms.get((n, j, r))
        if not v or len(v) != len(bare):
            continue
        ratios = [a / b for a, b in zip(v, bare)]
        row.append(f"{r}={statistics.median(ratios):.2f}")
    print(f"N={n} P={j} bare_median_ms={statistics.median(bare)} " + " ".join(row))
EOF
echo "raw: $OUT"
