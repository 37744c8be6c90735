# k-of-n verdicts (DESIGN §7): runs of one harness x payload aggregate into
# one verdict that `expect`, the exit code and every report judge.

# A harness that fires in every run but the second (SANDRUN_REPEAT is the
# 1-based repeat index), so each verdict's k is known in advance.
write_flaky() {
	write_spec "$1" "$2" <<EOF
toolchain: busybox
command: ["sh", "-c", "[ \"\$SANDRUN_REPEAT\" = 2 ] || echo FIRED"]
oracle: {stdout: "FIRED"}
repeat: $3
expect: confirmed
EOF
}

t_verdicts_k_of_n_meets_confirm() {
	local s=$TMP/kofn r=$TMP/kofn.json x=$TMP/kofn.xml f=$TMP/kofn.sarif out rc
	write_flaky "$s" flaky "{runs: 3, confirm: 2}"
	out=$("$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$r" --report "junit:$x" \
		--report "sarif:$f" "$s" 2>&1)
	rc=$?
	assert_eq "exit code (2 of 3 fired, K=2)" 0 "$rc"
	assert_eq "runs" 3 "$(jq '.records | length' "$r")"
	assert_eq "one verdict" 1 "$(jq '.verdicts | length' "$r")"
	assert_eq "verdict outcome" confirmed "$(jq -r '.verdicts[0].outcome' "$r")"
	assert_eq "verdict fired" 2/3 "$(jq -r '.verdicts[0].fired' "$r")"
	assert_eq "verdict confirm" 2 "$(jq -r '.verdicts[0].confirm' "$r")"
	assert_eq "verdict flaky" true "$(jq -r '.verdicts[0].flaky' "$r")"
	assert_eq "verdict match" true "$(jq -r '.verdicts[0].match' "$r")"
	assert_eq "verdict seq" "1,2,3" "$(jq -r '.verdicts[0].seq | map(tostring) | join(",")' "$r")"
	assert_eq "second run did not fire" not_confirmed \
		"$(jq -r '.records[] | select(.repeat == 2) | .outcome' "$r")"
	assert_contains "summary counts verdicts" "$out" "3 runs, 1 flaky verdict"
	assert_not_contains "no failed verdict" "$out" "failed verdicts"
	assert_eq "one JUnit testcase" 1 "$(grep -c '<testcase ' "$x")"
	assert_contains "JUnit has every run" "$(cat "$x")" "--- run #2 (seq 2): not_confirmed"
	assert_not_contains "JUnit: no failure" "$(cat "$x")" "<failure"
	assert_eq "one SARIF result" 1 "$(jq '.runs[0].results | length' "$f")"
}

t_verdicts_k_of_n_below_confirm_fails() {
	local s=$TMP/kofn3 r=$TMP/kofn3.json out rc
	write_flaky "$s" strict "{runs: 3, confirm: 3}"
	out=$("$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$r" "$s" 2>&1)
	rc=$?
	assert_eq "exit code (2 of 3 fired, K=3)" 1 "$rc"
	assert_eq "verdict outcome" not_confirmed "$(jq -r '.verdicts[0].outcome' "$r")"
	assert_eq "verdict match" false "$(jq -r '.verdicts[0].match' "$r")"
	assert_contains "failed verdict listed" "$out" \
		"strict  expected confirmed, got not_confirmed (fired 2/3, confirm 3)"
	# --repeat N overrides N; K above it is clamped to N.
	out=$("$SANDRUN" run --catalogue "$CAT" --repeat 1 --report "json:$r" "$s" 2>&1)
	assert_eq "exit code (--repeat 1: 1 of 1)" 0 "$?"
	assert_eq "--repeat 1" 1/1 "$(jq -r '.verdicts[0].fired' "$r")"
}

t_verdicts_repeat_mapping_errors_have_position() {
	local s=$TMP/kofnbad out rc
	write_spec "$s" bad <<'EOF'
toolchain: busybox
command: ["true"]
repeat: {runs: 2, confirm: 5}
EOF
	out=$("$SANDRUN" run --catalogue "$CAT" "$s" 2>&1)
	rc=$?
	assert_eq "exit code" 2 "$rc"
	assert_contains "file:line:col" "$out" "bad.yaml:3:28: repeat.confirm (5) must not exceed repeat.runs (2)"
}

t_verdicts_cause_says_why_and_untokened_is_the_runs() {
	local s=$TMP/why r=$TMP/why.json out
	write_spec "$s" why <<'EOF'
toolchain: busybox
network: oob
command: ["sh", "-c", "timeout 5 wget -qO- \"http://$SANDRUN_OOB_HOST:$SANDRUN_OOB_PORT/no-token-here\" 2>/dev/null; echo noise >&2; echo \"fatal: strange hostname '-oProxyCommand=x' blocked\" >&2; exit 128"]
oracle: {oob: true}
timeout: 20s
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "outcome" not_confirmed "$(outcome_of "$r" why "")"
	assert_eq "cause ends with the last stderr line" \
		"no oracle fired (exit code 128: fatal: strange hostname '-oProxyCommand=x' blocked)" \
		"$(field_of "$r" why "" cause)"
	assert_eq "untokened evidence" 1 "$(field_of "$r" why "" 'evidence.untokened | length')"
	assert_contains "untokened hit" "$(field_of "$r" why "" 'evidence.untokened[0].summary')" \
		"/no-token-here"
	assert_eq "never confirms" 0 "$(field_of "$r" why "" 'evidence.oob | length')"
	assert_contains "still in run.unattributed" "$(jq -c .run.unattributed "$r")" "no-token-here"
}

t_verdicts_shards_merge_to_every_format() {
	local s=$TMP/kmerge d=$TMP/kmerge-out k
	write_flaky "$s" f1 "{runs: 2, confirm: 1}"
	write_flaky "$s" f2 "{runs: 2, confirm: 2}"
	mkdir -p "$d"
	for k in 1 2; do
		"$SANDRUN" run --catalogue "$CAT" -q --shard "$k/2" --report "json:$d/s$k.json" "$s" \
			>/dev/null 2>&1
	done
	"$SANDRUN" report merge -o "html:$d/m.html" -o "junit:$d/m.xml" -o "json:$d/m.json" \
		"$d/s1.json" "$d/s2.json"
	# f1 met its K (a flaky run does not fail it), f2 did not: exit 1 as `run` would.
	assert_eq "merge exit code (one verdict fails)" 1 "$?"
	assert_eq "runs" 4 "$(jq '.records | length' "$d/m.json")"
	assert_eq "verdicts" 2 "$(jq '.verdicts | length' "$d/m.json")"
	# Every verdict's seq points at its own runs in the merged order.
	assert_eq "seq follows the merge" "true" \
		"$(jq '[.verdicts[] as $v | $v.seq[] | . as $s | $v.harness == $ROOT.records[$s - 1].harness] | all' \
			--argjson ROOT "$(cat "$d/m.json")" "$d/m.json")"
	assert_eq "JUnit testcases" 2 "$(grep -c '<testcase ' "$d/m.xml")"
	assert_eq "JUnit: f2 (1 of 2, K=2) fails" 1 "$(grep -c '<failure ' "$d/m.xml")"
	assert_eq "HTML rows" 2 "$(grep -c '<tr class="verdict' "$d/m.html")"
}
