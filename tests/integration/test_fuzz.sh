# Fuzzing results (issue 11): crash reports parsed into records and grouped by
# signature, full output and libFuzzer's reproducers kept as artifacts,
# `collect`, the artifact budget, `sandrun repro`, --keep, SARIF locations.

t_fuzz_crash_record_and_repro() {
	local r=$TMP/fz.json out rc dir sig
	out=$("$SANDRUN" run --catalogue "$CAT" --report "json:$r" --report "sarif:$TMP/fz.sarif" \
		"$ROOT/harnesses/fuzz-crash" 2>&1)
	rc=$?
	assert_eq "run exit code" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out" | tail -20 >&2
	assert_eq "outcome" crash "$(outcome_of "$r" fuzz-crash "")"
	assert_contains "cause is the SUMMARY line" "$(field_of "$r" fuzz-crash "" cause)" \
		"AddressSanitizer: heap-buffer-overflow"
	assert_eq "crash tool" AddressSanitizer "$(field_of "$r" fuzz-crash "" crash.tool)"
	assert_eq "crash type" heap-buffer-overflow "$(field_of "$r" fuzz-crash "" crash.type)"
	sig=$(field_of "$r" fuzz-crash "" crash.signature)
	assert_contains "signature names the bug type" "$sig" "heap-buffer-overflow|"
	assert_eq "one crash group" 1 "$(jq '.run.crash_groups | length' "$r")"
	assert_eq "group signature" "$sig" "$(jq -r '.run.crash_groups[0].signature' "$r")"
	assert_contains "console groups crashes" "$out" "1 crash, 1 unique"
	# Full output and the reproducer libFuzzer wrote, next to each other.
	dir=$(field_of "$r" fuzz-crash "" evidence.artifact_dir)
	assert_eq "stderr artifact" stderr.txt "$(field_of "$r" fuzz-crash "" evidence.stderr_file)"
	assert_contains "full stderr kept" "$(cat "$dir/stderr.txt" 2>&1)" "ERROR: AddressSanitizer"
	assert_contains "reproducer collected" "$(jq -c '.records[0].evidence.artifacts' "$r")" \
		'"out/crash-'
	assert_eq "repro line" "sandrun repro $r fuzz-crash#1" "$(jq -r '.records[0].repro | join(" ")' "$r")"
	# SARIF: the crash type is the rule, the fingerprint the signature.
	assert_eq "sarif rule" heap-buffer-overflow "$(jq -r '.runs[0].results[0].ruleId' "$TMP/fz.sarif")"
	assert_eq "sarif fingerprint" 1 \
		"$(jq '[.runs[0].results[0].partialFingerprints | keys[] | select(. == "sandrunCrash/v1")] | length' "$TMP/fz.sarif")"
	assert_contains "sarif location is the source line" \
		"$(jq -c '.runs[0].results[0].locations[0].physicalLocation' "$TMP/fz.sarif")" '"startLine":47'
	# Run it again on the saved input: same outcome, same signature.
	out=$("$SANDRUN" --catalogue "$CAT" repro "$r" fuzz-crash#1 2>&1)
	rc=$?
	assert_eq "repro exit code" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out" | tail -20 >&2
	assert_contains "repro used the saved input" "$out" "on its saved input"
	assert_contains "repro says so" "$out" "reproduced"
	assert_contains "repro prints the signature" "$out" "signature $sig"
	# By position, too; a selector that names nothing is a usage error.
	"$SANDRUN" --catalogue "$CAT" repro "$r" nosuch#1 >/dev/null 2>&1
	assert_eq "unknown selector" 2 "$?"
}

t_fuzz_clean_collect_and_keep() {
	local r=$TMP/fc.json out rc work name n
	out=$("$SANDRUN" run --catalogue "$CAT" --keep --report "json:$r" "$ROOT/harnesses/fuzz-clean" 2>&1)
	rc=$?
	assert_eq "run exit code" 0 "$rc"
	assert_eq "outcome" not_confirmed "$(outcome_of "$r" fuzz-clean "")"
	n=$(jq '[.records[0].evidence.artifacts[] | select(startswith("corpus/"))] | length' "$r")
	[ "$n" -gt 2 ] || fail "collect brought $n corpus files out, expected the grown corpus"
	assert_eq "fuzz execs" 20000 "$(field_of "$r" fuzz-clean "" fuzz.execs)"
	assert_eq "no output artifacts for a plain match" null \
		"$(field_of "$r" fuzz-clean "" evidence.stdout_file)"
	# --keep: the final /work and the container stay, and the console says where.
	name=$(field_of "$r" fuzz-clean "" container)
	work=$(printf '%s\n' "$out" | sed -n 's/.*--keep: .* kept \/work at \([^ ]*\).*/\1/p' | head -1)
	[ -n "$work" ] || fail "no --keep line in: $out"
	[ -n "$work" ] && [ "$(ls "$work/corpus" 2>/dev/null | wc -l)" -gt 2 ] ||
		fail "kept /work '$work' lacks the grown corpus"
	docker inspect "$name" >/dev/null 2>&1 || fail "container $name not kept"
	docker rm -f "$name" >/dev/null 2>&1
	if [ -n "$work" ]; then
		umount "$work" 2>/dev/null
		rm -rf "$(dirname "$work")"
	fi
}

t_fuzz_artifact_budget() {
	local d=$TMP/budget r=$TMP/budget.json
	cp -r "$ROOT/harnesses/fuzz-clean" "$d"
	sed -i 's/limits: {memory: 1g}/limits: {memory: 1g, artifacts: 3}/' "$d/harness.yaml"
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$d" >/dev/null 2>&1
	assert_eq "outcome" not_confirmed "$(outcome_of "$r" fuzz-clean "")"
	assert_eq "artifacts capped" 3 "$(jq '.records[0].evidence.artifacts | length' "$r")"
	[ "$(field_of "$r" fuzz-clean "" evidence.artifacts_dropped)" -gt 0 ] ||
		fail "artifacts_dropped not counted"
}
