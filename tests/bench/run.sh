#!/usr/bin/env bash
# make bench: sandrun's throughput and overhead, every figure a ratio against
# a baseline measured in the same invocation, rounds alternating baseline and
# sandrun so drift on a shared machine hits both, medians of BENCH_ROUNDS.
#
#   1. trivial harnesses: sandrun -j 1 / -j 2 against a bare hardened
#      `docker run --rm` loop at the same parallelism (P=1 loop, P=2 xargs);
#      the bare command is sandrun's own (`sandrun explain`) minus names,
#      labels and environment, so the hardening flags are the same by
#      construction;
#   1b. timeout: a 2 s-timeout harness (`sleep 60`) run TIMEOUT_N times, one
#       invocation each: the median of the record's duration (from the start
#       of the run to its verdict) and of the whole `sandrun run` process,
#       against the issue's 2.6 s and as a ratio to the 2 s budget;
#   2. warm containers: 20 payloads with `isolation: run` / `isolation: harness`,
#      and 10 of a `network: oob` harness that each call back;
#      and 100 different harnesses of one toolchain with `isolation: pool`
#      at -j 2 against the bare `docker run --rm` loop at P=2 (section pool);
#   3. loading: 20,000 specs with two payloads and an oracle each, `run --filter`
#      matching nothing and `check`, wall time and peak RSS;
#   4. fuzzing: libFuzzer exec/s inside sandrun against the host pinned to
#      one CPU, plus bare docker with and without the CPU quota and seccomp;
#   5. the OOB listener benchmark (build/bench/net_bench);
#   6. walls (issue 20): per-run cost under runsc against runc (trivial
#      harnesses, sandrun -j 1), the strict seccomp profile against the
#      engine's default, and libFuzzer exec/s under runsc against runc.
#   7. pin (BENCH_ONLY=pin, issue 22): a >= 200 MB image pinned through the
#      registry API against the pull-based --via-engine path (image removed
#      from the engine before each pull), and a catalogue of 50 tags pinned in
#      one invocation against 50 sequential `curl -I` requests.
#   7. non-root: NONROOT_N `network: oob` harnesses (DNS + HTTP hit) at -j 2
#      as the docker-group account sandrun-test (the DNS relay,
#      tests/integration/lib_nonroot.sh) against the same runs as root.
#
# Environment: SANDRUN (binary), SANDRUN_BENCH_CATALOGUE (images.toml),
# BENCH_NS ("16 64"), BENCH_ROUNDS (3), BENCH_FUZZ_SECONDS (5),
# BENCH_QUICK=1 (N=16, 1 round, 2 s fuzzing), BENCH_NET_BENCH (net_bench path),
# BENCH_NONROOT_N (8), BENCH_TIMEOUT_N (5), BENCH_ONLY (sections).
# The docker daemon is shared: run the whole bench under the engine lock.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SANDRUN=${SANDRUN:-$ROOT/sandrun}
CAT=${SANDRUN_BENCH_CATALOGUE:-$ROOT/ci/local/images.toml}
NET_BENCH=${BENCH_NET_BENCH:-$ROOT/build/bench/net_bench}
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	NS=${BENCH_NS:-16} ROUNDS=${BENCH_ROUNDS:-1} FUZZ_SECONDS=${BENCH_FUZZ_SECONDS:-2}
else
	NS=${BENCH_NS:-16 64} ROUNDS=${BENCH_ROUNDS:-3} FUZZ_SECONDS=${BENCH_FUZZ_SECONDS:-5}
fi
WARM_PAYLOADS=20 WARM_OOB_PAYLOADS=10 POOL_HARNESSES=100
LOAD_SMALL=1 LOAD_BIG=20000
FUZZ_SRC=$ROOT/harnesses/fuzz-clean/fuzz_target.c
FUZZ_BIN=$ROOT/harnesses/fuzz-clean/work/fuzz_target
ONLY=${BENCH_ONLY:-trivial timeout warm pool load fuzz net pin walls nonroot}
NONROOT_N=${BENCH_NONROOT_N:-8}
TIMEOUT_N=${BENCH_TIMEOUT_N:-5}
for sec in $ONLY; do
	case $sec in
	trivial | timeout | warm | pool | load | fuzz | net | pin | walls | nonroot) ;;
	*) echo "bench: BENCH_ONLY takes trivial timeout warm pool load fuzz net pin walls nonroot, got '$sec'" >&2 && exit 2 ;;
	esac
done

die()
{
	echo "bench: $*" >&2
	exit 1
}

for v in $NS $ROUNDS $FUZZ_SECONDS $TIMEOUT_N; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "BENCH_NS, BENCH_ROUNDS, BENCH_FUZZ_SECONDS and BENCH_TIMEOUT_N take positive integers, got '$v'"
done
[[ -x $SANDRUN ]] || die "no sandrun binary at $SANDRUN (make sandrun, or set SANDRUN)"
[[ -r $CAT ]] || die "no catalogue at $CAT (make setup, or set SANDRUN_BENCH_CATALOGUE)"
[[ -x /usr/bin/time ]] || die "needs /usr/bin/time (apt-get install time) for the peak RSS"

# Every bare container carries this label, so an interrupted bench leaves none.
BENCH_ID=$$-$RANDOM
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sandrun-bench.XXXXXX")
cleanup()
{
	local ids
	ids=$(docker ps -aq --filter "label=sandrun.bench=$BENCH_ID" 2>/dev/null) || true
	# shellcheck disable=SC2086 # container ids, one a word
	[[ -z $ids ]] || docker rm -f -v $ids >/dev/null 2>&1 || true
	"$SANDRUN" -q --catalogue "$CAT" gc >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SUMMARY=()
summary() { SUMMARY+=("bench: $*"); }

now() { date +%s.%N; }
# calc EXPR: a number, 4 decimals.
calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }
# ratio A B: A/B to 2 decimals, "n/a" when either is missing or B is 0.
ratio()
{
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}
# goal VALUE OP BOUND: "met" or "MISSED" ("n/a" when there is no value).
goal()
{
	awk -v v="$1" -v op="$2" -v b="$3" 'BEGIN {
		if (v == "n/a" || v == "") { print "n/a"; exit }
		ok = (op == ">=") ? v >= b : (op == "<=") ? v <= b : (op == "<") ? v < b : v > b
		print ok ? "met" : "MISSED" }'
}
# Per-round samples, KEY -> space-separated values; med KEY is their median.
declare -A S=()
add() { S[$1]="${S[$1]:-} $2"; }
med()
{
	local k
	# shellcheck disable=SC2086 # the samples are numbers, split on purpose
	k=$(printf '%s\n' ${S[$1]:-} | grep -v '^n/a$' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }')
	echo "$k"
}

# bare_cmd VAR SPEC WORK PAYLOAD: VAR (an array) = the engine command line
# sandrun would run for SPEC's first payload, from `sandrun explain`, with
# --rm and the bench label instead of sandrun's name and labels, no -e, and
# its /work and payload mounts pointing at WORK and PAYLOAD.
bare_cmd()
{
	local -n out=$1
	local spec=$2 work=$3 payload=$4 line i
	local -a w
	line=$("$SANDRUN" --catalogue "$CAT" explain "$spec" | grep -m1 -v '^#') ||
		die "sandrun explain $spec failed"
	# runargs_quote output of a spec this script wrote: shell words.
	eval "w=($line)"
	[[ ${#w[@]} -gt 3 && ${w[1]} == run ]] || die "cannot read the engine command from: $line"
	out=("${w[0]}" run --rm "--label=sandrun.bench=$BENCH_ID")
	for ((i = 2; i < ${#w[@]}; i++)); do
		case ${w[i]} in
		--name=* | --label=*) ;;
		-e | --env-file) i=$((i + 1)) ;;
		# The strict profile sandrun writes into the run's directory is
		# share/seccomp-strict.json (for runc).
		--security-opt=seccomp=*/seccomp-strict.json) out+=("--security-opt=seccomp=$ROOT/share/seccomp-strict.json") ;;
		--mount)
			i=$((i + 1))
			case ${w[i]} in
			*target=/work | *target=/work,*) out+=(--mount "type=bind,source=$work,target=/work") ;;
			*target=/sandrun/payload*)
				out+=(--mount "type=bind,source=$payload,target=/sandrun/payload,readonly")
				;;
			esac
			;;
		--) out+=("${w[@]:i}") && break ;;
		*) out+=("${w[i]}") ;;
		esac
	done
}

# trivial_spec FILE NAME
trivial_spec()
{
	printf 'name: %s\ntoolchain: busybox\ncommand: ["true"]\nexpect: not_confirmed\n' "$2" >"$1"
}

# gen_specs DIR N: N trivial specs, written by one awk.
gen_specs()
{
	mkdir -p "$1"
	awk -v d="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++) { f = d "/t" i ".yaml"
		printf "name: trivial-%d\ntoolchain: busybox\ncommand: [\"true\"]\nexpect: not_confirmed\n", i > f
		close(f) } }'
}

sr() { "$SANDRUN" -q --catalogue "$CAT" "$@"; }
sr_run() { sr run -j "$1" "$2" >/dev/null || die "sandrun run -j $1 $2 failed"; }
# bare_p1 N, bare_p2 N: N bare runs of BARE, one at a time or two at once.
bare_p1()
{
	local i
	for ((i = 0; i < $1; i++)); do
		"${BARE[@]}" >/dev/null || die "bare docker run failed"
	done
}
bare_p2() { seq "$1" | xargs -P 2 -I{} "${BARE[@]}" >/dev/null || die "bare docker run (xargs -P 2) failed"; }

echo "bench: $("$SANDRUN" version 2>/dev/null | head -1), catalogue $CAT, $ROUNDS round(s), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------ 1. trivial
bench_trivial()
{
	mkdir -p "$TMP/bare/work"
	: >"$TMP/bare/payload"
	trivial_spec "$TMP/one.yaml" trivial-1
	bare_cmd BARE "$TMP/one.yaml" "$TMP/bare/work" "$TMP/bare/payload"
	echo "  bare: ${BARE[*]}"

	for n in $NS; do
		gen_specs "$TMP/trivial-$n" "$n"
	done
	for k in $(seq 1 "$ROUNDS"); do
		for n in $NS; do
			t0=$(now)
			bare_p1 "$n"
			t1=$(now)
			sr_run 1 "$TMP/trivial-$n"
			t2=$(now)
			bare_p2 "$n"
			t3=$(now)
			sr_run 2 "$TMP/trivial-$n"
			t4=$(now)
			b1=$(calc "$t1 - $t0") s1=$(calc "$t2 - $t1") b2=$(calc "$t3 - $t2") s2=$(calc "$t4 - $t3")
			r1=$(ratio "$s1" "$b1") r2=$(ratio "$s2" "$b2")
			add "b1.$n" "$b1"
			add "b2.$n" "$b2"
			add "r1.$n" "$r1"
			add "r2.$n" "$r2"
			printf '  round %d N=%d: bare P=1 %.2f s, sandrun -j 1 %.2f s (%s); bare P=2 %.2f s, sandrun -j 2 %.2f s (%s)\n' \
				"$k" "$n" "$b1" "$s1" "$r1" "$b2" "$s2" "$r2"
		done
	done
	for n in $NS; do
		summary "$(printf 'trivial N=%d: -j1 %s (bare P=1 = 1, %.0f ms/run; goal <= 0.90: %s), -j2 %s (bare P=2 = 1, %.0f ms/run; goal <= 0.90: %s)' \
			"$n" "$(med "r1.$n")" "$(calc "$(med "b1.$n") * 1000 / $n")" "$(goal "$(med "r1.$n")" "<=" 0.90)" \
			"$(med "r2.$n")" "$(calc "$(med "b2.$n") * 1000 / $n")" "$(goal "$(med "r2.$n")" "<=" 0.90)")"
	done
}

# ------------------------------------------------------------ 1b. timeout
# One invocation per run, as `make demo` runs timeout-sleep: the record's
# duration is the run's wall from its start (create, start, the 2 s budget,
# kill, collection); the process wall adds sandrun's own start-up and end.
bench_timeout()
{
	local i t0 t1 d p
	mkdir -p "$TMP/timeout"
	printf 'name: timeout-2s\ntoolchain: busybox\ncommand: ["sh", "-c", "echo started; sleep 60"]\ntimeout: 2s\nexpect: timeout\n' \
		>"$TMP/timeout/t.yaml"
	mkdir -p "$TMP/tbare/work"
	: >"$TMP/tbare/payload"
	trivial_spec "$TMP/tbare/one.yaml" trivial-1
	bare_cmd TBARE "$TMP/tbare/one.yaml" "$TMP/tbare/work" "$TMP/tbare/payload"
	for ((i = 1; i <= TIMEOUT_N; i++)); do
		t0=$(now)
		"${TBARE[@]}" >/dev/null || die "bare docker run failed"
		t1=$(now)
		add to.bare "$(calc "$t1 - $t0")"
		t0=$(now)
		sr run --report "json:$TMP/timeout/r.json" "$TMP/timeout" >/dev/null ||
			die "the 2 s timeout run did not end in a timeout verdict"
		t1=$(now)
		d=$(jq -r '.records[0].duration_ms / 1000' "$TMP/timeout/r.json")
		p=$(calc "$t1 - $t0")
		add to.rec "$d"
		add to.proc "$p"
		printf '  run %d timeout 2 s: record %.2f s, process %.2f s\n' "$i" "$d" "$p"
	done
	d=$(med to.rec) p=$(med to.proc)
	summary "$(printf 'timeout 2 s (%d runs): record %.2f s (%sx the budget; goal <= 2.6 s: %s), process %.2f s (%sx; goal <= 2.6 s: %s); one bare trivial docker run --rm %.2f s' \
		"$TIMEOUT_N" "$d" "$(ratio "$d" 2)" "$(goal "$d" "<=" 2.6)" "$p" "$(ratio "$p" 2)" "$(goal "$p" "<=" 2.6)" "$(med to.bare)")"
}

# ------------------------------------------------------------ 2. warm containers
bench_warm()
{
	warm_spec()
	{
		local i
		{
			printf 'name: warm-%s\ntoolchain: busybox\ncommand: ["true"]\nisolation: %s\nexpect: not_confirmed\npayloads:\n' "$2" "$2"
			for ((i = 1; i <= WARM_PAYLOADS; i++)); do
				printf '  - {name: p%d, value: "%d"}\n' "$i" "$i"
			done
		} >"$1"
	}
	mkdir -p "$TMP/warm-run" "$TMP/warm-harness"
	warm_spec "$TMP/warm-run/warm.yaml" run
	warm_spec "$TMP/warm-harness/warm.yaml" harness
	if ! err=$(sr explain "$TMP/warm-harness/warm.yaml" 2>&1 >/dev/null); then
		echo "  isolation: harness not supported by this build (${err#sandrun: })"
		summary "warm $WARM_PAYLOADS payloads: isolation: harness not supported by this build"
	else
		run_vs_harness warm warm "$TMP/warm-run" "$TMP/warm-harness"
		r=$(med warm)
		summary "warm $WARM_PAYLOADS payloads (-j 1): isolation run/harness $r (warm is ${r}x faster; goal >= 10: $(goal "$r" ">=" 10))"
		bench_warm_oob
	fi
}

# run_vs_harness KEY LABEL RUN_DIR HARNESS_DIR: ROUNDS rounds of the same
# suite with isolation run, then harness, at -j 1; each round's ratio goes
# to KEY (med KEY).
run_vs_harness()
{
	local key=$1 label=$2 k a b r t0 t1 t2
	for k in $(seq 1 "$ROUNDS"); do
		t0=$(now)
		sr_run 1 "$3"
		t1=$(now)
		sr_run 1 "$4"
		t2=$(now)
		a=$(calc "$t1 - $t0") b=$(calc "$t2 - $t1") r=$(ratio "$a" "$b")
		add "$key" "$r"
		printf '  round %d %s: isolation run %.2f s, harness %.2f s, run/harness %s\n' "$k" "$label" "$a" "$b" "$r"
	done
}

# 2a. A `network: oob` harness of WARM_OOB_PAYLOADS payloads that each call
# back (HTTP and DNS in turn, with their token), isolation run against
# harness: cold, every payload pays a network, listeners, firewall and a
# container; warm, only the first. (A payload that does not call back waits
# the OOB grace in both modes.)
bench_warm_oob()
{
	local i r d
	for d in run harness; do
		mkdir -p "$TMP/woob-$d"
		{
			printf 'name: woob-%s\ntoolchain: busybox\nnetwork: oob\nisolation: %s\n' "$d" "$d"
			printf 'command: ["sh", "-c", "if [ $SANDRUN_PAYLOAD = http ]; then wget -qO- $SANDRUN_OOB_URL; else nslookup $SANDRUN_TOKEN.$SANDRUN_OOB_DOMAIN; fi >/dev/null"]\n'
			printf 'oracle: {oob: true}\nexpect: confirmed\npayloads:\n'
			for ((i = 1; i <= WARM_OOB_PAYLOADS; i++)); do
				printf '  - {name: p%d, value: %s}\n' "$i" "$([[ $((i % 2)) == 1 ]] && echo http || echo dns)"
			done
		} >"$TMP/woob-$d/woob.yaml"
	done
	run_vs_harness woob "warm oob" "$TMP/woob-run" "$TMP/woob-harness"
	r=$(med woob)
	summary "warm oob $WARM_OOB_PAYLOADS payloads (-j 1, each calls back): isolation run/harness $r (goal >= 4: $(goal "$r" ">=" 4))"
}

# ------------------------------------------------------------ 2b. pool
# POOL_HARNESSES different harnesses (names, env, payloads differ; image,
# limits, user and network none are the same) with isolation: pool at -j 2,
# against the bare command of one of them (`explain` of its isolation: run
# twin) run POOL_HARNESSES times at P=2.
bench_pool()
{
	mkdir -p "$TMP/bare/work" "$TMP/pool"
	: >"$TMP/bare/payload"
	trivial_spec "$TMP/one.yaml" trivial-1
	bare_cmd BARE "$TMP/one.yaml" "$TMP/bare/work" "$TMP/bare/payload"
	awk -v d="$TMP/pool" -v n="$POOL_HARNESSES" 'BEGIN { for (i = 1; i <= n; i++) { f = d "/p" i ".yaml"
		printf "name: pool-%d\ntoolchain: busybox\ncommand: [\"true\"]\nenv: {N: \"%d\"}\n", i, i > f
		printf "isolation: pool\nexpect: not_confirmed\npayloads:\n  - {name: a, value: \"%d\"}\n", i > f
		close(f) } }'
	if ! err=$(sr explain "$TMP/pool/p1.yaml" 2>&1 >/dev/null); then
		summary "pool: isolation: pool not supported by this build (${err#sandrun: })"
		return
	fi
	for k in $(seq 1 "$ROUNDS"); do
		t0=$(now)
		bare_p2 "$POOL_HARNESSES"
		t1=$(now)
		sr_run 2 "$TMP/pool"
		t2=$(now)
		a=$(calc "$t1 - $t0") b=$(calc "$t2 - $t1") r=$(ratio "$b" "$a")
		add pool "$r"
		printf '  round %d pool: bare P=2 %.2f s, sandrun -j 2 isolation: pool %.2f s, pool/bare %s\n' "$k" "$a" "$b" "$r"
	done
	r=$(med pool)
	summary "pool: $POOL_HARNESSES harnesses, one toolchain, network none, -j 2: pool/bare P=2 $r (goal <= 0.25: $(goal "$r" "<=" 0.25))"
}

# ------------------------------------------------------------ 3. loading
# gen_load_specs DIR N: N specs with two payloads and an oracle each.
gen_load_specs()
{
	mkdir -p "$1"
	awk -v d="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++) { f = d "/t" i ".yaml"
		printf "name: load-%d\ntoolchain: busybox\ncommand: [\"sh\", \"-c\", \"cat /sandrun/payload\"]\n", i > f
		printf "expect: not_confirmed\npayloads:\n  - {name: a, value: \"hello %d\"}\n", i > f
		printf "  - {name: b, value: \"world %d\"}\noracle:\n  stdout: \"PWNED-%d\"\n", i, i > f
		close(f) } }'
}

# LOAD_BIG specs with two payloads and an oracle each (issue "Speed II"):
# `sandrun run --filter` matching nothing and `sandrun check`, wall time and
# the peak RSS of both (/usr/bin/time %M). The run talks to the engine as
# configured: an empty selection still probes it and sweeps stale objects
# (exit 3 when it is down), a fixed part printed per round as the same run
# over LOAD_SMALL spec(s).
bench_load()
{
	gen_load_specs "$TMP/load-big" "$LOAD_BIG"
	gen_load_specs "$TMP/load-small" "$LOAD_SMALL"
	# load_once DIR VERB...: elapsed seconds; peak RSS (KiB) in $TMP/rss.
	load_once()
	{
		local dir=$1 t0 t1 rc=0
		shift
		t0=$(now)
		/usr/bin/time -o "$TMP/rss" -f %M \
			"$SANDRUN" -q --catalogue "$CAT" "$@" "$dir" >/dev/null 2>"$TMP/load.err" || rc=$?
		t1=$(now)
		# 0, or 3 for a run whose engine is down; nothing else on stderr.
		if [[ $rc -ne 0 && ($1 != run || $rc -ne 3) ]] || grep -v 'engine' "$TMP/load.err" | grep -q .; then
			cat "$TMP/load.err" >&2
			die "sandrun $* $dir exited $rc"
		fi
		calc "$t1 - $t0"
	}
	# The files just written are flushed and read once before timing:
	# the writeback of 20,000 fresh files is the generator's cost.
	sync
	load_once "$TMP/load-big" check >/dev/null
	rss=0
	for k in $(seq 1 "$ROUNDS"); do
		r=$(load_once "$TMP/load-big" run --filter no-such-harness)
		m=$(tail -1 "$TMP/rss")
		((m > rss)) && rss=$m
		c=$(load_once "$TMP/load-big" check)
		m=$(tail -1 "$TMP/rss")
		((m > rss)) && rss=$m
		e=$(load_once "$TMP/load-small" run --filter no-such-harness)
		add load.run "$r"
		add load.check "$c"
		printf '  round %d loading %d specs: run --filter (nothing) %.3f s, check %.3f s, peak RSS %d KiB; the same run over %d spec(s) %.3f s\n' \
			"$k" "$LOAD_BIG" "$r" "$c" "$rss" "$LOAD_SMALL" "$e"
	done
	r=$(med load.run) c=$(med load.check) mb=$(calc "$rss / 1024")
	summary "$(printf 'loading %d specs (2 payloads + oracle each): run --filter matching nothing %.2f s (goal < 0.6 s: %s), check %.2f s (goal < 0.5 s: %s), peak RSS %.1f MB (goal < 64 MB: %s)' \
		"$LOAD_BIG" "$r" "$(goal "$r" "<" 0.6)" "$c" "$(goal "$c" "<" 0.5)" "$mb" "$(goal "$mb" "<" 64)")"
}

# ------------------------------------------------------------ 4. fuzzing
bench_fuzz()
{
	# The same way ci/setup.sh builds it.
	if [[ ! -x $FUZZ_BIN || $FUZZ_SRC -nt $FUZZ_BIN ]]; then
		echo "  compiling ${FUZZ_BIN#"$ROOT"/}"
		mkdir -p "$(dirname "$FUZZ_BIN")"
		clang -g -O1 -fsanitize=fuzzer,address,undefined -o "$FUZZ_BIN.tmp" "$FUZZ_SRC" ||
			die "cannot compile $FUZZ_SRC"
		mv -f "$FUZZ_BIN.tmp" "$FUZZ_BIN"
	fi
	# No corpus directory: nothing is written, so every run starts alike.
	FUZZ_ARGS=("-max_total_time=$FUZZ_SECONDS" -print_final_stats=1 -seed=1)
	mkdir -p "$TMP/fuzz/work" "$TMP/fuzzhost"
	cp "$FUZZ_BIN" "$TMP/fuzz/work/fuzz_target"
	{
		printf 'name: bench-fuzz\ntoolchain: libfuzzer\nworkdir: ./work\n'
		printf 'command: ["/work/fuzz_target"'
		printf ', "%s"' "${FUZZ_ARGS[@]}"
		printf ']\ntimeout: %ds\nlimits: {memory: 1g, cpus: 1}\noracle:\n  crash: true\nexpect: not_confirmed\n' \
			$((FUZZ_SECONDS * 3 + 30))
	} >"$TMP/fuzz/fuzz.yaml"
	bare_cmd FBARE "$TMP/fuzz/fuzz.yaml" "$TMP/fuzz/work" "$TMP/bare/payload"
	FNOCPU=() FUNCONF=()
	for a in "${FBARE[@]}"; do
		[[ $a == --cpus=* ]] || FNOCPU+=("$a")
	done
	FUNCONF=("${FBARE[@]:0:2}" --security-opt=seccomp=unconfined "${FBARE[@]:2}")

	# exec_per_sec FILE: libFuzzer's final average, from a sandrun JSON report
	# (a parsed field if the runner has one, else its stderr tail) or raw output.
	exec_per_sec()
	{
		local v
		v=$(grep -o '"[a-z_]*exec_per_sec": *[0-9.]*' "$1" | head -1 | sed 's/.*: *//') || true
		[[ -n $v ]] || v=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$1" | tail -1 | sed 's/.*: *//') || true
		echo "${v:-n/a}"
	}
	for k in $(seq 1 "$ROUNDS"); do
		(cd "$TMP/fuzzhost" && taskset -c 0 "$FUZZ_BIN" "${FUZZ_ARGS[@]}" >"$TMP/f.host" 2>&1) ||
			die "host fuzz run failed: $(tail -3 "$TMP/f.host")"
		sr run -j 1 --report "json:$TMP/f.json" "$TMP/fuzz" >/dev/null ||
			echo "  warning: sandrun fuzz run exited $? (see the figures)"
		"${FBARE[@]}" >"$TMP/f.bare" 2>&1 || die "bare docker fuzz run failed: $(tail -3 "$TMP/f.bare")"
		"${FNOCPU[@]}" >"$TMP/f.nocpu" 2>&1 || die "bare docker fuzz run failed: $(tail -3 "$TMP/f.nocpu")"
		"${FUNCONF[@]}" >"$TMP/f.unconf" 2>&1 || die "bare docker fuzz run failed: $(tail -3 "$TMP/f.unconf")"
		h=$(exec_per_sec "$TMP/f.host") s=$(exec_per_sec "$TMP/f.json") b=$(exec_per_sec "$TMP/f.bare")
		q=$(exec_per_sec "$TMP/f.nocpu") u=$(exec_per_sec "$TMP/f.unconf")
		add f.s "$(ratio "$s" "$h")"
		add f.b "$(ratio "$b" "$h")"
		add f.q "$(ratio "$q" "$h")"
		add f.u "$(ratio "$u" "$h")"
		add f.quota "$(ratio "$b" "$q")"
		add f.seccomp "$(ratio "$b" "$u")"
		add f.sr "$(ratio "$s" "$b")"
		printf '  round %d fuzz exec/s: host (taskset -c 0) %s, sandrun %s, bare docker --cpus=1 %s, no --cpus %s, --cpus=1 seccomp=unconfined %s\n' \
			"$k" "$h" "$s" "$b" "$q" "$u"
	done
	r=$(med f.s)
	summary "fuzz exec/s (${FUZZ_SECONDS}s runs): sandrun/host $r (goal >= 0.9: $(goal "$r" ">=" 0.9)); bare docker --cpus=1 $(med f.b), no quota $(med f.q), seccomp unconfined $(med f.u) (host taskset -c 0 = 1)"
	costs=()
	for c in "quota:the cpu quota (--cpus=1)" "seccomp:seccomp" "sr:sandrun over bare docker"; do
		v=$(med "f.${c%%:*}")
		[[ $(goal "$v" "<" 0.9) == met ]] && costs+=("${c#*:} costs $(awk -v v="$v" 'BEGIN { printf "%.0f", (1 - v) * 100 }') %")
	done
	if [[ ${#costs[@]} -gt 0 ]]; then
		summary "fuzz: more than 10 % lost to: $(
			IFS=';'
			echo "${costs[*]}"
		)"
	else
		summary "fuzz: neither the cpu quota, seccomp nor sandrun costs more than 10 %"
	fi
}

# ------------------------------------------------------------ 5. OOB listener
bench_net()
{
	if [[ -x $NET_BENCH ]]; then
		"$NET_BENCH" | tee "$TMP/net.out"
		summary "OOB listener: $(head -1 "$TMP/net.out" | sed 's/^net_bench: //')"
	else
		summary "OOB listener: $NET_BENCH not built (make ${NET_BENCH#"$ROOT"/})"
	fi
}

# ------------------------------------------------------------ 6. walls
bench_walls()
{
	local n=${NS%% *} k m t0 t1 a b c d e f w_strict w_runsc w_default
	if ! docker info --format '{{json .Runtimes}}' | jq -e 'has("runsc")' >/dev/null; then
		summary "walls: runtime runsc not registered (ci/setup-runsc.sh)"
		return
	fi
	gen_specs "$TMP/walls-$n" "$n"
	mkdir -p "$TMP/wfuzz/work"
	cp "$FUZZ_BIN" "$TMP/wfuzz/work/fuzz_target" 2>/dev/null || die "no $FUZZ_BIN (make bench builds it in the fuzz part)"
	printf 'name: walls-fuzz\ntoolchain: libfuzzer\nworkdir: ./work\ncommand: ["/work/fuzz_target", "-max_total_time=%d", "-print_final_stats=1", "-seed=1"]\ntimeout: %ds\nlimits: {memory: 1g, cpus: 1}\noracle: {crash: true}\nexpect: not_confirmed\n' \
		"$FUZZ_SECONDS" $((FUZZ_SECONDS * 3 + 30)) >"$TMP/wfuzz/fuzz.yaml"
	for k in $(seq 1 "$ROUNDS"); do
		# runc (strict, the default), runsc, runc with the engine's default
		# profile; odd rounds the other way round, so drift hits all alike.
		local order="strict runsc default"
		((k % 2)) || order="default runsc strict"
		for m in $order; do
			t0=$(now)
			case $m in
			strict) sr run -j 1 --runtime runc "$TMP/walls-$n" >/dev/null ;;
			runsc) sr run -j 1 --runtime runsc "$TMP/walls-$n" >/dev/null ;;
			default) sr run -j 1 --runtime runc --seccomp default "$TMP/walls-$n" >/dev/null ;;
			esac || die "$m trivial runs failed"
			t1=$(now)
			printf -v "w_$m" '%s' "$(calc "($t1 - $t0) / $n")"
		done
		a=$w_strict b=$w_runsc c=$w_default
		add w.run "$(ratio "$b" "$a")"
		add w.sec "$(ratio "$a" "$c")"
		sr run -j 1 --runtime runc --report "json:$TMP/wf-runc.json" "$TMP/wfuzz" >/dev/null || true
		sr run -j 1 --runtime runsc --report "json:$TMP/wf-runsc.json" "$TMP/wfuzz" >/dev/null || true
		d=$(jq -r '.records[0].fuzz.exec_per_s // empty' "$TMP/wf-runc.json")
		e=$(jq -r '.records[0].fuzz.exec_per_s // empty' "$TMP/wf-runsc.json")
		f=$(ratio "$e" "$d")
		add w.fuzz "$f"
		printf '  round %d walls: per run runc %.3f s, runsc %.3f s (%s), runc+seccomp default %.3f s (strict/default %s); fuzz exec/s runc %s, runsc %s (%s)\n' \
			"$k" "$a" "$b" "$(ratio "$b" "$a")" "$c" "$(ratio "$a" "$c")" "${d:-n/a}" "${e:-n/a}" "$f"
	done
	summary "walls: per-run cost runsc/runc $(med w.run), strict/default seccomp $(med w.sec) (N=$n, -j 1); libFuzzer exec/s runsc/runc $(med w.fuzz) (${FUZZ_SECONDS}s runs)"
}

# ------------------------------------------------------------ 6. pin
PIN_REG=${SANDRUN_REGISTRY_PORT:+127.0.0.1:$SANDRUN_REGISTRY_PORT}
PIN_REG=${PIN_REG:-127.0.0.1:5000}
PIN_REPO=sandrun/bench-big
PIN_MB=${BENCH_PIN_MB:-208}
# The big image: 4 layers of deterministic incompressible bytes (AES-CTR of
# zeros), so a second bench run pushes nothing new; built with the engine,
# pushed to the loopback registry once.
pin_image()
{
	local d=$TMP/pin-img i per=$((PIN_MB / 4))
	if curl -sf -o /dev/null -I "http://$PIN_REG/v2/$PIN_REPO/manifests/latest"; then
		return 0
	fi
	mkdir -p "$d"
	printf 'FROM scratch\n' >"$d/Dockerfile"
	for i in 1 2 3 4; do
		head -c $((per << 20)) /dev/zero |
			openssl enc -aes-128-ctr -nosalt -K "0000000000000000000000000000000$i" -iv 00000000000000000000000000000000 >"$d/r$i"
		touch -d @0 "$d/r$i"
		printf 'COPY r%d /r%d\n' "$i" "$i" >>"$d/Dockerfile"
	done
	DOCKER_BUILDKIT=0 docker build -q -t "$PIN_REG/$PIN_REPO:latest" "$d" >/dev/null || die "cannot build the pin image"
	docker push -q "$PIN_REG/$PIN_REPO:latest" >/dev/null || die "cannot push the pin image"
	docker rmi "$PIN_REG/$PIN_REPO:latest" >/dev/null 2>&1 || true
	rm -rf "$d"
}

# pin_time CATALOGUE CONTENT ARGS...: seconds of one `sandrun pin --all` on a
# fresh copy of CONTENT.
pin_time()
{
	local c=$1 text=$2 t0 t1
	shift 2
	printf '%s' "$text" >"$c"
	t0=$(now)
	"$SANDRUN" -q --catalogue "$c" pin --all "$@" >/dev/null || die "sandrun pin $* failed"
	t1=$(now)
	calc "$t1 - $t0"
}

bench_pin()
{
	local big tags="" i k a b mt size accept t c=$TMP/pin.toml
	accept="application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json"
	pin_image
	size=$(curl -sf -H "Accept: $accept" "http://$PIN_REG/v2/$PIN_REPO/manifests/latest" |
		jq '[.layers[].size] | add / 1048576 | floor')
	big=$(printf '[[image]]\ntoolchain_id = "big"\nbase = "%s/%s:latest"\n' "$PIN_REG" "$PIN_REPO")
	for k in $(seq 1 "$ROUNDS"); do
		docker rmi "$PIN_REG/$PIN_REPO:latest" >/dev/null 2>&1 || true
		a=$(pin_time "$c" "$big" --via-engine)
		b=$(pin_time "$c" "$big")
		add pin.r "$(ratio "$a" "$b")"
		add pin.a "$a"
		add pin.b "$b"
		printf '  round %d pin %s MB: pull-based %.2f s, registry %.3f s, ratio %s\n' "$k" "$size" "$a" "$b" "$(ratio "$a" "$b")"
	done
	docker rmi "$PIN_REG/$PIN_REPO:latest" >/dev/null 2>&1 || true
	summary "pin of a $size MB image: pull-based/registry $(med pin.r) ($(med pin.a) s vs $(med pin.b) s; goal >= 10: $(goal "$(med pin.r)" ">=" 10))"
	# 50 tags of the same repository (the manifest PUT under each tag).
	mt=$(curl -sf -H "Accept: $accept" "http://$PIN_REG/v2/$PIN_REPO/manifests/latest" -o "$TMP/m.json" -w '%{content_type}')
	for i in $(seq -w 1 50); do
		curl -sf -X PUT -H "Content-Type: $mt" --data-binary @"$TMP/m.json" \
			"http://$PIN_REG/v2/$PIN_REPO/manifests/t$i" >/dev/null || die "cannot tag t$i"
		tags+=$(printf '[[image]]\ntoolchain_id = "t%s"\nbase = "%s/%s:t%s"' "$i" "$PIN_REG" "$PIN_REPO" "$i")$'\n\n'
	done
	for k in $(seq 1 "$ROUNDS"); do
		t=$(now)
		for i in $(seq -w 1 50); do
			curl -sf -o /dev/null -I -H "Accept: $accept" "http://$PIN_REG/v2/$PIN_REPO/manifests/t$i"
		done
		a=$(calc "$(now) - $t")
		b=$(pin_time "$c" "$tags")
		grep -c '^digest = "sha256:' "$c" | grep -qx 50 || die "pin of 50 tags did not pin 50 entries"
		add pin50.r "$(ratio "$b" "$a")"
		add pin50.b "$b"
		printf '  round %d 50 tags: sandrun pin %.3f s, 50 sequential curl -I %.3f s, ratio %s\n' "$k" "$b" "$a" "$(ratio "$b" "$a")"
	done
	summary "pin of 50 tags in one invocation: $(med pin50.b) s, sandrun/sequential-curl $(med pin50.r) (goal <= 1: $(goal "$(med pin50.r)" "<=" 1))"
}

# ------------------------------------------------------------ 7. non-root
bench_nonroot()
{
	local i k t0 t1 t2 a b r suite
	# shellcheck source=tests/integration/lib_nonroot.sh
	. "$ROOT/tests/integration/lib_nonroot.sh"
	if ! nonroot_setup >/dev/null; then
		summary "nonroot: cannot set up the docker-group account (needs root and a docker group)"
		return
	fi
	mkdir -p "$NR_DIR/bin/helper" "$NR_DIR/suite/oob"
	cp "$ROOT/build/helper/sr-dnsfwd" "$NR_DIR/bin/helper/" || die "no build/helper/sr-dnsfwd"
	suite=$NR_DIR/suite/oob
	for ((i = 1; i <= NONROOT_N; i++)); do
		printf '%s\n' 'toolchain: busybox' 'network: oob' \
			'command: ["sh", "-c", "nslookup $SANDRUN_TOKEN.$SANDRUN_OOB_DOMAIN >/dev/null; timeout 5 wget -qO- $SANDRUN_OOB_URL"]' \
			'oracle: {oob: true}' 'expect: confirmed' >"$suite/oob$i.yaml"
	done
	# The account's catalogue has no sandrun-helper entry: the relay is
	# sr-dnsfwd mounted into busybox.
	grep -v '^#' "$CAT" | awk '/^\[\[image\]\]/ { if (blk !~ /sandrun-helper/) printf "%s", blk; blk = "" }
		{ blk = blk $0 "\n" } END { if (blk !~ /sandrun-helper/) printf "%s", blk }' >"$NR_DIR/images.toml"
	chown -R "$NR_USER:" "$NR_DIR"
	for k in $(seq 1 "$ROUNDS"); do
		t0=$(now)
		sr run -j 2 "$suite" >/dev/null || die "root oob run failed"
		t1=$(now)
		nonroot_sandrun run -q -j 2 suite/oob >/dev/null 2>&1 || die "non-root oob run failed"
		t2=$(now)
		a=$(calc "$t1 - $t0") b=$(calc "$t2 - $t1") r=$(ratio "$b" "$a")
		add nonroot "$r"
		printf '  round %d nonroot: %d oob runs -j 2, root %.2f s, non-root %.2f s, non-root/root %s\n' \
			"$k" "$NONROOT_N" "$a" "$b" "$r"
	done
	nonroot_teardown
	r=$(med nonroot)
	summary "nonroot $NONROOT_N oob runs (-j 2): non-root/root $r (goal <= 1.3: $(goal "$r" "<=" 1.3))"
}

for sec in $ONLY; do
	case $sec in
	trivial | timeout | warm | pool | fuzz | walls | nonroot) [[ -n ${PULLED:-} ]] || { sr pull busybox libfuzzer >/dev/null ||
		die "sandrun pull busybox libfuzzer failed"; PULLED=1; } ;;
	esac
	"bench_$sec"
done

"$SANDRUN" -q --catalogue "$CAT" gc >/dev/null || true
left=$(docker ps -aq --filter "label=sandrun.bench=$BENCH_ID")
[[ -z $left ]] || die "bare containers left behind: $left"
echo
echo "bench: medians of $ROUNDS round(s), $(nproc) CPUs, $("$SANDRUN" version 2>/dev/null | head -1); every ratio against a baseline from the same run"
printf '%s\n' "${SUMMARY[@]}"
