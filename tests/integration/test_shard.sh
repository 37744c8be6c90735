# Past one machine (DESIGN §2): --shard auto from the batch system's
# variables, shard-named reports in one shared directory, and a report merge
# that refuses shards of other suites, duplicates and mixed counts and turns
# a lost shard into error records.


# The harnesses shard K/N of suite S holds, space-separated (no engine needed:
# an unreachable engine still leaves one error record per selected run).
shard_members() {
	"$SANDRUN" --catalogue "$CAT" --engine /nonexistent/engine run -q --shard "$2" \
		--report "json:$TMP/members.json" "$1" >/dev/null 2>&1
	jq -r '[.records[].harness] | unique | join(" ")' "$TMP/members.json"
}

t_shard_auto_without_a_source_is_a_usage_error() {
	local out rc
	out=$(env -u SANDRUN_SHARD -u SLURM_ARRAY_TASK_ID -u SLURM_JOB_ID -u JOB_COMPLETION_INDEX \
		"$SANDRUN" --catalogue "$CAT" run --shard auto "$ROOT/harnesses" 2>&1)
	rc=$?
	assert_eq "exit code" 2 "$rc"
	assert_contains "names SANDRUN_SHARD" "$out" "SANDRUN_SHARD=K/N"
	assert_contains "names Slurm" "$out" "SLURM_ARRAY_TASK_ID"
	assert_contains "names Kubernetes" "$out" "JOB_COMPLETION_INDEX"
	out=$("$SANDRUN" --catalogue "$CAT" run --shard 3/2 "$ROOT/harnesses" 2>&1)
	assert_eq "exit code of --shard 3/2" 2 "$?"
	assert_contains "K/N message" "$out" "1 <= K <= N"
}

t_shard_slurm_array_shards_share_a_directory_and_merge() {
	local s=$TMP/sh-suite d=$TMP/sh-out id rc
	six_harness_suite "$s"
	# An array submitted as --array=0-2: tasks 0, 1, 2 are shards 1, 2, 3.
	for id in 0 1 2; do
		env -u SANDRUN_SHARD SLURM_JOB_ID=77 SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=0 \
			SLURM_ARRAY_TASK_MAX=2 SLURM_ARRAY_TASK_COUNT=3 \
			"$SANDRUN" --catalogue "$CAT" run -q --shard auto --report "json:$d/" \
			--report "junit:$d/" "$s" >/dev/null 2>&1
		assert_eq "exit code of task $id" 0 "$?"
	done
	assert_eq "report files" \
		"sandrun-1of3.json sandrun-1of3.xml sandrun-2of3.json sandrun-2of3.xml sandrun-3of3.json sandrun-3of3.xml" \
		"$(cd "$d" && ls | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "shard of task 1" '{"index":2,"count":3}' "$(jq -c .run.shard "$d/sandrun-2of3.json")"
	assert_eq "one fingerprint" 1 \
		"$(jq -r .run.fingerprint "$d"/sandrun-*.json | sort -u | grep -c '^[0-9a-f]\{16\}$')"
	assert_eq "shards partition the suite" "h1 h2 h3 h4 h5 h6" \
		"$(jq -r '.records[].harness' "$d"/sandrun-*.json | sort | tr '\n' ' ' | sed 's/ $//')"
	"$SANDRUN" --catalogue "$CAT" report merge --suite "$s" -o "json:$d/merged/" \
		-o "junit:$d/merged/" -o "sarif:$d/merged/" "$d"/sandrun-*.json 2>"$TMP/sh-merge.err"
	rc=$?
	assert_eq "merge exit code ($(cat "$TMP/sh-merge.err"))" 0 "$rc"
	assert_eq "merged confirmed" 6 "$(jq .run.counts.confirmed "$d/merged/sandrun.json")"
	assert_eq "merged shards" '{"count":3,"missing":[]}' "$(jq -c .run.shards "$d/merged/sandrun.json")"
	assert_eq "JUnit testcases" 6 "$(grep -c '<testcase' "$d/merged/sandrun.xml")"
	assert_eq "SARIF version" 2.1.0 "$(jq -r .version "$d/merged/sandrun.sarif")"
}

t_shard_lost_shard_becomes_error_records() {
	local s=$TMP/lost-suite d=$TMP/lost-out k lost h rc
	six_harness_suite "$s"
	lost=$(shard_members "$s" 2/3)
	[ -n "$lost" ] || fail "shard 2/3 of the test suite holds no harness"
	# A Kubernetes Indexed Job whose pod 1 (shard 2) never reported.
	for k in 0 2; do
		env -u SANDRUN_SHARD -u SLURM_ARRAY_TASK_ID JOB_COMPLETION_INDEX=$k SANDRUN_SHARD_COUNT=3 \
			"$SANDRUN" --catalogue "$CAT" run -q --shard auto --report "json:$d/" "$s" \
			>/dev/null 2>&1
		assert_eq "exit code of index $k" 0 "$?"
	done
	# The suite is checked against the catalogue the shards recorded, so a
	# catalogue edited since they ran does not make it another suite.
	{ cat "$CAT"; echo "# edited after the shards ran"; } >"$TMP/lost-cat.toml"
	"$SANDRUN" --catalogue "$TMP/lost-cat.toml" report merge --suite "$s" -o "json:$d/m.json" \
		-o "junit:$d/m.xml" "$d/sandrun-1of3.json" "$d/sandrun-3of3.json" 2>"$TMP/lost.err"
	rc=$?
	assert_eq "merge exit code with a lost shard ($(cat "$TMP/lost.err"))" 1 "$rc"
	for h in $lost; do
		assert_eq "outcome of $h (lost shard)" error "$(outcome_of "$d/m.json" "$h" "")"
		assert_contains "cause of $h" "$(field_of "$d/m.json" "$h" "" cause)" \
			"shard 2/3 wrote no report"
	done
	assert_eq "every harness once" "h1 h2 h3 h4 h5 h6" \
		"$(jq -r '.records[].harness' "$d/m.json" | sort | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "confirmed: the shards that ran" "$((6 - $(echo "$lost" | wc -w)))" \
		"$(jq .run.counts.confirmed "$d/m.json")"
	assert_contains "JUnit error of the lost shard" "$(cat "$d/m.xml")" "<error"
	# Without the suite the merge still fails, with one record naming the shard.
	"$SANDRUN" report merge -o "$d/n.json" "$d/sandrun-1of3.json" "$d/sandrun-3of3.json" 2>/dev/null
	rc=$?
	assert_eq "merge exit code without --suite" 1 "$rc"
	assert_eq "the lost shard's record" error "$(outcome_of "$d/n.json" shard-2of3 "")"
}

t_shard_merge_refuses_other_suites_duplicates_and_mixed_counts() {
	local a=$TMP/ref-a b=$TMP/ref-b d=$TMP/ref-out out e=/nonexistent/engine
	six_harness_suite "$a"
	six_harness_suite "$b"
	sed -i 's/run-6/run-six/' "$b/h6.yaml"
	mkdir -p "$d"
	# No engine needed: the records are errors, the shard metadata is real.
	"$SANDRUN" --catalogue "$CAT" --engine $e run -q --shard 1/2 --report "json:$d/a1.json" "$a" \
		>/dev/null 2>&1
	"$SANDRUN" --catalogue "$CAT" --engine $e run -q --shard 2/2 --report "json:$d/b2.json" "$b" \
		>/dev/null 2>&1
	"$SANDRUN" --catalogue "$CAT" --engine $e run -q --shard 2/3 --report "json:$d/a23.json" "$a" \
		>/dev/null 2>&1
	out=$("$SANDRUN" report merge -o "$d/m.json" "$d/a1.json" "$d/b2.json" 2>&1)
	assert_eq "exit code, other suite" 2 "$?"
	assert_contains "other suite" "$out" "are shards of different suites"
	out=$("$SANDRUN" report merge -o "$d/m.json" "$d/a1.json" "$d/a1.json" 2>&1)
	assert_eq "exit code, duplicate" 2 "$?"
	assert_contains "duplicate" "$out" "both hold shard 1/2"
	out=$("$SANDRUN" report merge -o "$d/m.json" "$d/a1.json" "$d/a23.json" 2>&1)
	assert_eq "exit code, mixed counts" 2 "$?"
	assert_contains "mixed counts" "$out" "shards of one run share N"
	out=$("$SANDRUN" --catalogue "$CAT" report merge --suite "$b" -o "$d/m.json" "$d/a1.json" 2>&1)
	assert_eq "exit code, not the --suite" 2 "$?"
	assert_contains "not the --suite" "$out" "ran another suite than --suite"
	[ ! -e "$d/m.json" ] || fail "a refused merge wrote a report"
}
