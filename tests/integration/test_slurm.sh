# Scale-out on Slurm (DESIGN §2, §9): the bundled suite as an array job of
# shards plus a merge job (ci/slurm/submit.sh) on the one-node cluster that
# ci/setup-slurm.sh runs, against the same engine and registry.

SLURM_WAIT=${SANDRUN_TEST_SLURM_WAIT:-300} # seconds for an array and its merge

slurm_up() {
	if ! command -v sbatch >/dev/null || ! timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'; then
		fail "Slurm is not running: ci/setup.sh (ci/setup-slurm.sh) sets it up"
		return 1
	fi
}

# Until sandrun has --shard auto, the scripts pass the K/N they compute.
slurm_shard_mode() {
	if SANDRUN_SHARD=1/1 "$SANDRUN" --catalogue "$CAT" --engine /nonexistent/engine run \
		--shard auto --report "json:$TMP/slurm-probe.json" "$ROOT/harnesses" 2>&1 >/dev/null |
		grep -q -- '--shard needs'; then
		echo explicit
	else
		echo auto
	fi
}

# The harnesses shard K/N holds, one a line: an engine that cannot be reached
# still leaves one error record per selected run in the report.
slurm_shard_harnesses() {
	"$SANDRUN" --catalogue "$CAT" --engine /nonexistent/engine run -q --shard "$1" \
		--report "json:$TMP/slurm-members.json" "$ROOT/harnesses" >/dev/null 2>&1
	jq -r '[.records[].harness] | unique | .[]' "$TMP/slurm-members.json"
}

# One single-machine run of the suite, shared by the tests of this file.
slurm_baseline() {
	if [ ! -s "$TMP/slurm-single.json" ]; then
		"$SANDRUN" --catalogue "$CAT" run -q --report "json:$TMP/slurm-single.json" \
			"$ROOT/harnesses" >"$TMP/slurm-single.log" 2>&1
		echo "$?" >"$TMP/slurm-single.rc"
	fi
	[ -s "$TMP/slurm-single.json" ] || fail "the single-machine run wrote no report: $(tail -n 5 "$TMP/slurm-single.log")"
}

# The comparable part of each record, sorted: which run it is and its outcome.
slurm_keys() {
	jq -S '[.records[] | {harness, payload, repeat, outcome}] | sort_by(.harness, .payload, .repeat)' "$@"
}

# slurm_submit OUT N [SBATCH ARGS]: sets ARRAY_JOB, MERGE_JOB, OUT.
slurm_submit() {
	local sub
	sub=$(cd "$TMP" && SANDRUN_BIN=$SANDRUN SANDRUN_CATALOGUE=$CAT SANDRUN_OUT=$1 \
		SANDRUN_SHARD_MODE=$(slurm_shard_mode) SANDRUN_SBATCH_ARGS=${3:-} \
		"$ROOT/ci/slurm/submit.sh" "$ROOT/harnesses" "$2") || {
		fail "submit.sh failed"
		return 1
	}
	ARRAY_JOB=$(printf '%s\n' "$sub" | sed -n 's/^ARRAY_JOB=//p')
	MERGE_JOB=$(printf '%s\n' "$sub" | sed -n 's/^MERGE_JOB=//p')
	OUT=$(printf '%s\n' "$sub" | sed -n 's/^OUT=//p')
	if [ -z "$ARRAY_JOB" ] || [ -z "$MERGE_JOB" ]; then
		fail "submit.sh printed no job ids: $sub"
		return 1
	fi
}

slurm_state() {
	scontrol show job -o "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | sort -u | tr '\n' ' '
}

# Wait (bounded) until the merge job has ended; every array task has then
# ended too (afterany). Cancels both jobs when time runs out.
slurm_wait_merge() {
	local i st
	for ((i = 0; i < SLURM_WAIT * 5; i++)); do
		st=$(slurm_state "$MERGE_JOB")
		case $st in
		"COMPLETED " | "FAILED " | "CANCELLED " | "TIMEOUT " | "NODE_FAIL " | "OUT_OF_MEMORY ") break ;;
		esac
		sleep 0.2
	done
	case $st in
	"COMPLETED " | "FAILED ") ;;
	*)
		fail "merge job $MERGE_JOB is '$st' after ${SLURM_WAIT}s (array: $(slurm_state "$ARRAY_JOB"))"
		scancel "$ARRAY_JOB" "$MERGE_JOB" 2>/dev/null
		return 1
		;;
	esac
	for ((i = 0; i < 50; i++)); do
		case $(slurm_state "$ARRAY_JOB") in *RUNNING* | *PENDING* | *COMPLETING*) sleep 0.2 ;; *) return 0 ;; esac
	done
}

t_slurm_array_matches_single_machine() {
	slurm_up || return
	slurm_baseline
	slurm_submit "$TMP/slurm-array" 4 || return
	slurm_wait_merge || return
	assert_eq "merge exit code ($(tail -n 3 "$OUT"/slurm-*-merge.log | tr '\n' ' '))" \
		"$(cat "$TMP/slurm-single.rc")" "$(cat "$OUT/merge.rc" 2>/dev/null)"
	for k in 1 2 3 4; do
		[ -s "$OUT/sandrun-${k}of4.json" ] || fail "shard $k wrote no report: $(tail -n 3 "$OUT/slurm-${ARRAY_JOB}_$k.log")"
	done
	[ -s "$OUT/sandrun.json" ] || {
		fail "no merged report in $OUT"
		return
	}
	assert_eq "records of the merged array vs one machine" \
		"$(slurm_keys "$TMP/slurm-single.json")" "$(slurm_keys "$OUT/sandrun.json")"
	assert_eq "counts" "$(jq -c .run.counts "$TMP/slurm-single.json")" "$(jq -c .run.counts "$OUT/sandrun.json")"
	assert_eq "SARIF version of the merge" "2.1.0" "$(jq -r .version "$OUT/sandrun.sarif" 2>/dev/null)"
	assert_contains "JUnit of the merge" "$(cat "$OUT/sandrun.xml" 2>/dev/null)" "<testsuite"
}

t_slurm_cancelled_task_is_error() {
	local k lost=() h all
	slurm_up || return
	slurm_baseline
	# A shard that holds harnesses: losing it must show.
	for k in 1 2 3 4; do
		mapfile -t lost < <(slurm_shard_harnesses "$k/4")
		((${#lost[@]})) && break
	done
	# Held, so the task is cancelled before it starts, whatever the load.
	slurm_submit "$TMP/slurm-cancel" 4 --hold || return
	scancel "${ARRAY_JOB}_$k" || fail "scancel ${ARRAY_JOB}_$k failed"
	scontrol release "$ARRAY_JOB" || fail "scontrol release $ARRAY_JOB failed"
	slurm_wait_merge || return
	[ ! -e "$OUT/sandrun-${k}of4.json" ] || fail "the cancelled shard $k wrote a report"
	assert_eq "merge exit code with a lost shard" 1 "$(cat "$OUT/merge.rc" 2>/dev/null)"
	[ -s "$OUT/sandrun.json" ] || {
		fail "no merged report in $OUT: $(tail -n 3 "$OUT"/slurm-*-merge.log | tr '\n' ' ')"
		return
	}
	for h in "${lost[@]}"; do
		all=$(jq -r --arg h "$h" '[.records[] | select(.harness == $h) | .outcome] | unique | join(",")' "$OUT/sandrun.json")
		assert_eq "outcomes of $h, on the cancelled shard $k" error "$all"
	done
	# The shards that ran keep their own outcomes.
	assert_eq "records of the shards that ran" \
		"$(jq -S --arg l "${lost[*]}" '[.records[] | select(.harness as $h | ($l | split(" ") | index($h)) | not)
			| {harness, payload, repeat, outcome}] | sort_by(.harness, .payload, .repeat)' "$TMP/slurm-single.json")" \
		"$(jq -S --arg l "${lost[*]}" '[.records[] | select(.harness as $h | ($l | split(" ") | index($h)) | not)
			| {harness, payload, repeat, outcome}] | sort_by(.harness, .payload, .repeat)' "$OUT/sandrun.json")"
}
