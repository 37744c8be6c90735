#!/bin/sh
# Regenerate the captured sanitizer and libFuzzer reports in ../ from the
# sources here (clang 14 on Debian bookworm was used for the checked-in
# files). Each case NAME gives NAME.stdout and NAME.stderr; cases ending in
# -2 are a second run of the same binary (other pid, other addresses), cases
# with -nosym are the same binary with symbolize=0.
# The OOM cases and the campaigns use up to ~500 MB of memory for a few
# seconds; the whole run takes under a minute.
#   tests/unit/data/crash/gen/gen.sh [build-dir]
set -u
here=$(cd "$(dirname "$0")" && pwd)
data=$(dirname "$here")
b=${1:-/tmp/sandrun-crashgen}
mkdir -p "$b"
cd "$b" || exit 1

# build COMPILER ARGS...: -O0 keeps every function its own frame.
build()
{
	compiler=$1
	shift
	"$compiler" -g -O0 -fno-omit-frame-pointer "$@" || exit 1
}
build clang -fsanitize=address -o asan "$here/bugs.c"
build clang -fsanitize=undefined -o ubsan "$here/bugs.c"
build clang -fsanitize=undefined -fno-sanitize-recover=all -o ubsan-abort "$here/bugs.c"
build clang -fsanitize=memory -o msan "$here/bugs.c"
build clang -fsanitize=leak -o lsan "$here/bugs.c"
build clang++ -fsanitize=address -o asan-cxx "$here/cxx.cc"
build clang -fsanitize=address,fuzzer -o fuzz_target "$here/target.c"

# run NAME ENV... -- ARGV...: capture stdout and stderr of one run.
run()
{
	name=$1
	shift
	env_args=
	while [ "$1" != -- ]; do
		env_args="$env_args $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	env $env_args "$@" >"$data/$name.stdout" 2>"$data/$name.stderr"
	echo "$name: exit $?"
}

for bug in heap-overflow stack-overflow global-overflow use-after-free double-free segv leak; do
	run asan-$bug ASAN_OPTIONS=detect_leaks=1 -- ./asan $bug
	run asan-$bug-2 ASAN_OPTIONS=detect_leaks=1 -- ./asan $bug
	run asan-$bug-nosym ASAN_OPTIONS=detect_leaks=1:symbolize=0 -- ./asan $bug
done
run asan-heap-overflow-nosym-2 ASAN_OPTIONS=symbolize=0 -- ./asan heap-overflow
run asan-cxx -- -- ./asan-cxx
run asan-cxx-nosym ASAN_OPTIONS=symbolize=0 -- ./asan-cxx
run lsan-leak -- -- ./lsan leak
run lsan-leak-nosym LSAN_OPTIONS=symbolize=0 -- ./lsan leak
run ubsan-int-overflow -- -- ./ubsan int-overflow
run ubsan-int-overflow-stack UBSAN_OPTIONS=print_stacktrace=1 -- ./ubsan int-overflow
run ubsan-shift-abort UBSAN_OPTIONS=print_stacktrace=1 -- ./ubsan-abort shift
run ubsan-shift-abort-2 UBSAN_OPTIONS=print_stacktrace=1 -- ./ubsan-abort shift
run ubsan-shift-abort-nosym UBSAN_OPTIONS=print_stacktrace=1:symbolize=0 -- ./ubsan-abort shift
run msan-uninit -- -- ./msan uninit
run msan-uninit-2 -- -- ./msan uninit
run msan-uninit-nosym MSAN_OPTIONS=symbolize=0 -- ./msan uninit

for input in crash abort loop oom exit big; do
	printf '%s-input' $input >"input-$input"
done
run fuzz-heap-overflow -- -- ./fuzz_target input-crash
run fuzz-heap-overflow-2 -- -- ./fuzz_target input-crash
run fuzz-heap-overflow-nosym ASAN_OPTIONS=symbolize=0 -- ./fuzz_target input-crash
run fuzz-deadly-signal -- -- ./fuzz_target input-abort
run fuzz-deadly-signal-2 -- -- ./fuzz_target input-abort
run fuzz-deadly-signal-nosym ASAN_OPTIONS=symbolize=0 -- ./fuzz_target input-abort
run fuzz-deadly-signal-nosym-2 ASAN_OPTIONS=symbolize=0 -- ./fuzz_target input-abort
run fuzz-timeout -- -- ./fuzz_target -timeout=1 input-loop
run fuzz-oom -- -- ./fuzz_target -rss_limit_mb=256 input-oom
run fuzz-oom-malloc -- -- ./fuzz_target -rss_limit_mb=256 -malloc_limit_mb=256 input-big
run fuzz-exited -- -- ./fuzz_target input-exit
# Fuzzing proper: a short campaign from an empty corpus that finds nothing
# (the bugs need a 3-5 byte prefix) and prints final stats, and one that
# does find the abort() from a seed one byte away.
# Inputs and crash artifacts stay in the build directory.
rm -rf corpus-a corpus-b corpus-seed
mkdir -p corpus-a corpus-b corpus-seed
printf 'abor' >corpus-seed/seed
run fuzz-stats TARGET_BUGS= -- ./fuzz_target -max_total_time=3 -seed=1 -print_final_stats=1 corpus-a
run fuzz-stats-nofinal TARGET_BUGS= -- ./fuzz_target -max_total_time=3 -seed=2 corpus-b
run fuzz-found-abort TARGET_BUGS=abort -- ./fuzz_target -seed=1 -max_total_time=30 -print_final_stats=1 -only_ascii=1 corpus-seed
