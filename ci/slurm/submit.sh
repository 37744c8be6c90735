#!/usr/bin/env bash
# Run a sandrun suite as a Slurm array of N shards plus one merge job:
#   ci/slurm/submit.sh SUITE_DIR N [RUN OPTIONS...]
# Prints ARRAY_JOB=<id>, MERGE_JOB=<id> and OUT=<dir> (shell assignments).
# The merge job runs once every array task has ended, whatever its state
# (afterany), and leaves OUT/sandrun.{json,xml,sarif} and OUT/merge.rc.
#
# Environment: SANDRUN_BIN (default: sandrun on PATH, else this checkout's
# ./sandrun), SANDRUN_CATALOGUE (default: ./images.toml when present),
# SANDRUN_OUT (default: ./sandrun-slurm-<UTC time>; must be on a file system
# every node sees), SANDRUN_SBATCH_ARGS (extra sbatch options for the array,
# e.g. "--partition=x --time=2:00:00"), plus those of shard.sbatch.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die()
{
	printf 'submit.sh: %s\n' "$*" >&2
	exit 2
}

[[ $# -ge 2 ]] || die "usage: $0 SUITE_DIR N [RUN OPTIONS...]"
[[ -d $1 ]] || die "no suite directory '$1'"
suite=$(cd "$1" && pwd)
n=$2
shift 2
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, got '$n'"

bin=${SANDRUN_BIN:-$(command -v sandrun || echo "$HERE/../../sandrun")}
[[ -x $bin ]] || die "no sandrun binary at '$bin' (set SANDRUN_BIN)"
bin=$(realpath "$bin")
cat=${SANDRUN_CATALOGUE:-}
[[ -z $cat && -f images.toml ]] && cat=images.toml
[[ -z $cat ]] || cat=$(realpath "$cat")
out=${SANDRUN_OUT:-$PWD/sandrun-slurm-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(realpath "$out")
export SANDRUN_BIN=$bin SANDRUN_OUT=$out
[[ -z $cat ]] || export SANDRUN_CATALOGUE=$cat

# shellcheck disable=SC2086 # SANDRUN_SBATCH_ARGS is a list of options
array=$(sbatch --parsable --array=1-"$n" --output="$out/slurm-%A_%a.log" \
	${SANDRUN_SBATCH_ARGS:-} "$HERE/shard.sbatch" "$suite" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --dependency=afterany:"$array" --kill-on-invalid-dep=no \
	--output="$out/slurm-%j-merge.log" "$HERE/merge.sbatch" "$out" "$n")
merge=${merge%%;*}
printf 'ARRAY_JOB=%s\nMERGE_JOB=%s\nOUT=%s\n' "$array" "$merge" "$out"
