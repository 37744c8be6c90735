# Nights that build on each other (issue 21): `report diff`, `run --baseline`
# with PR mode and SARIF baselineState, corpora that persist between runs.

# asan_report FUNC — a sanitizer report whose top frame is FUNC (its signature).
nights_asan() {
	printf '%s' "echo '==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1 at pc 0x2' >&2; echo 'READ of size 1 at 0x1 thread T0' >&2; echo '    #0 0x4a in $1 /src/proj/$1.c:7:3' >&2; echo 'SUMMARY: AddressSanitizer: heap-buffer-overflow /src/proj/$1.c:7:3 in $1' >&2; exit 1"
}

# nights_suite DIR N — night N (1 or 2) of a suite where each harness shows
# one diff category between the nights:
#   nc  not_confirmed -> confirmed, expect not_confirmed  (new confirmed, regression)
#   fx  confirmed -> not_confirmed                         (fixed)
#   fl  confirmed 2/2 -> 1/2                               (newly flaky)
#   oc  not_confirmed -> timeout                           (outcome changed)
#   rm  night 1 only                                       (removed)
#   ad  night 2 only                                       (added)
#   cr  crash in parse_a -> crash in parse_b               (new and gone signature)
#   er  not_confirmed -> error                             (new error, regression)
#   st  confirmed both nights                              (unchanged)
nights_suite() {
	local s=$1 n=$2 nc fx fl oc cr er
	rm -rf "$s"
	mkdir -p "$s"
	if [ "$n" = 1 ]; then
		nc='echo quiet' fx='echo HIT' fl='echo HIT' oc='exit 0'
		cr=$(nights_asan parse_a) er='["sh", "-c", "exit 0"]'
	else
		nc="echo HIT; echo 'evil <b>x</b> | [l](http://e) @team \`c\`' >&2" fx='echo quiet'
		fl='[ "$SANDRUN_REPEAT" = 2 ] || echo HIT' oc='sleep 30'
		cr=$(nights_asan parse_b) er='["/no/such/binary"]'
	fi
	write_spec "$s" nc <<EOF
toolchain: busybox
command: ["sh", "-c", "$nc"]
oracle: {stdout: "HIT"}
expect: not_confirmed
EOF
	write_spec "$s" fx <<EOF
toolchain: busybox
command: ["sh", "-c", "$fx"]
oracle: {stdout: "HIT"}
EOF
	write_spec "$s" fl <<EOF
toolchain: busybox
command: ["sh", "-c", "$(printf '%s' "$fl" | sed 's/"/\\"/g')"]
oracle: {stdout: "HIT"}
repeat: {runs: 2, confirm: 1}
EOF
	write_spec "$s" oc <<EOF
toolchain: busybox
command: ["sh", "-c", "$oc"]
oracle: {stdout: "HIT"}
timeout: 2s
EOF
	write_spec "$s" cr <<EOF
toolchain: busybox
command: ["sh", "-c", "$cr"]
oracle: {crash: true}
EOF
	write_spec "$s" er <<EOF
toolchain: busybox
command: $er
oracle: {stdout: "HIT"}
EOF
	write_spec "$s" st <<EOF
toolchain: busybox
command: ["sh", "-c", "echo HIT"]
oracle: {stdout: "HIT"}
expect: confirmed
EOF
	if [ "$n" = 1 ]; then
		write_spec "$s" rm <<EOF
toolchain: busybox
command: ["sh", "-c", "echo HIT"]
oracle: {stdout: "HIT"}
EOF
	else
		write_spec "$s" ad <<EOF
toolchain: busybox
command: ["sh", "-c", "printf 'error: evil <b>x</b> | [l](http://e) @team \\\\033]0;T\\\\007\\\\n' >&2; exit 3"]
oracle: {stdout: "HIT"}
EOF
	fi
}

# nights_reports — night 1's and night 2's JSON reports ($TMP/n1.json,
# $TMP/n2.json; night 2 also with --baseline n1 and SARIF), made once.
nights_reports() {
	[ -f "$TMP/n2.json" ] && return 0
	nights_suite "$TMP/night1" 1
	nights_suite "$TMP/night2" 2
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$TMP/n1.json" "$TMP/night1" \
		>"$TMP/n1.out" 2>&1
	assert_eq "night 1 exit code" 0 "$?"
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$TMP/n2.json" \
		--report "sarif:$TMP/n2.sarif" --baseline "$TMP/n1.json" "$TMP/night2" \
		>"$TMP/n2.out" 2>&1
	assert_eq "night 2 exit code (mismatches, no --fail-on)" 1 "$?"
}

# change_of DIFF.json HARNESS — the change the diff gives the verdict.
change_of() {
	jq -r --arg h "$2" '.verdicts[] | select(.harness == $h) | .change' "$1"
}

t_nights_report_diff_every_category() {
	local d=$TMP/diff out rc c
	nights_reports
	out=$("$SANDRUN" report diff -o "json:$d.json" -o "markdown:$d.md" -o "html:$d.html" \
		"$TMP/n1.json" "$TMP/n2.json" 2>&1)
	rc=$?
	assert_eq "regressions exit 1" 1 "$rc"
	for c in nc:new_confirmed fx:fixed fl:newly_flaky oc:outcome_changed er:outcome_changed \
		rm:removed ad:added st:unchanged cr:unchanged; do
		assert_eq "change of ${c%%:*}" "${c#*:}" "$(change_of "$d.json" "${c%%:*}")"
	done
	assert_eq "nc is a regression (expect said not_confirmed)" true \
		"$(jq -r '.verdicts[] | select(.harness == "nc") | .regression' "$d.json")"
	assert_eq "er is a new error" true \
		"$(jq -r '.verdicts[] | select(.harness == "er") | .new_error' "$d.json")"
	assert_eq "fixed is no regression" false \
		"$(jq -r '.verdicts[] | select(.harness == "fx") | .regression' "$d.json")"
	assert_eq "new signature" "heap-buffer-overflow|parse_b" \
		"$(jq -r '.signatures[] | select(.state == "new") | .signature' "$d.json")"
	assert_eq "gone signature" "heap-buffer-overflow|parse_a" \
		"$(jq -r '.signatures[] | select(.state == "gone") | .signature' "$d.json")"
	assert_eq "regressions: new confirmed, new error, new signature" 3 \
		"$(jq -r .regressions "$d.json")"
	# Console: a headline and no control byte from a harness.
	assert_contains "console headline" "$out" "3 regression(s); 1 new confirmed, 1 fixed"
	assert_contains "console shows the added harness's cause" "$out" "error: evil <b>x</b>"
	assert_not_contains "no ESC on the terminal" "$out" $'\033'
	assert_not_contains "no BEL on the terminal" "$out" $'\a'
	# Markdown: one table row per change; nothing from a report opens markup.
	assert_contains "md headline" "$(cat "$d.md")" "❌ 3 regression(s)"
	assert_contains "md new confirmed row" "$(cat "$d.md")" "| **regression** 🔴 new confirmed | nc |"
	assert_contains "md signature" "$(cat "$d.md")" "heap-buffer-overflow&#124;parse&#95;b"
	assert_contains "md cause escaped" "$(cat "$d.md")" "evil &lt;b&gt;x&lt;/b&gt; &#124;"
	assert_not_contains "md: no raw tag" "$(cat "$d.md")" "<b>"
	assert_not_contains "md: no link" "$(cat "$d.md")" "](http"
	assert_not_contains "md: no mention" "$(cat "$d.md")" "@team"
	# HTML: the report's look, every verdict a filterable row, escaped.
	assert_contains "html rows" "$(cat "$d.html")" 'data-change="new_confirmed" data-regression="1"'
	assert_contains "html CSP" "$(cat "$d.html")" "Content-Security-Policy"
	assert_contains "html escaped" "$(cat "$d.html")" "evil &lt;b&gt;x&lt;/b&gt;"
	assert_not_contains "html: no raw tag" "$(cat "$d.html")" "<b>x"
	# The same report twice: nothing changed, exit 0.
	"$SANDRUN" report diff "$TMP/n2.json" "$TMP/n2.json" >/dev/null 2>&1
	assert_eq "no change exits 0" 0 "$?"
	# Untrusted input: a broken report is a usage error naming the place.
	printf '{"run": {}, "records": [' >"$TMP/broken.json"
	out=$("$SANDRUN" report diff "$TMP/n1.json" "$TMP/broken.json" 2>&1)
	assert_eq "broken report exit 2" 2 "$?"
	assert_contains "file:line:col" "$out" "broken.json:1:"
}

t_nights_baseline_marks_and_sarif_schema() {
	local r=$TMP/n2.json f=$TMP/n2.sarif
	nights_reports
	assert_eq "verdict marks" "ad=new cr=unchanged er=new fl=new fx=fixed nc=new oc=new st=unchanged" \
		"$(jq -r '[.verdicts[] | "\(.harness)=\(.baseline)"] | sort | join(" ")' "$r")"
	assert_eq "removed verdict in run.baseline" fixed \
		"$(jq -r '.run.baseline.verdicts[] | select(.harness == "rm") | .baseline' "$r")"
	assert_eq "crash groups marked" "heap-buffer-overflow|parse_b=new heap-buffer-overflow|parse_a=fixed" \
		"$(jq -r '[.run.crash_groups[] | "\(.signature)=\(.baseline)"] | join(" ")' "$r")"
	assert_eq "SARIF baselineState" "cr=new fl=unchanged fx=absent nc=new rm=absent st=unchanged" \
		"$(jq -r '[.runs[0].results[] | "\(.message.text | split(" ")[0] | rtrimstr(":"))=\(.baselineState)"] | sort | join(" ")' "$f")"
	python3 "$ROOT/tests/integration/sarif_validate.py" "$f"
	assert_eq "SARIF valid against the schema" 0 "$?"
	# The check can fail: a state SARIF does not know is refused.
	jq '.runs[0].results[0].baselineState = "gone"' "$f" >"$TMP/bad.sarif"
	python3 "$ROOT/tests/integration/sarif_validate.py" "$TMP/bad.sarif" 2>/dev/null
	assert_eq "schema refuses an unknown baselineState" 1 "$?"
	assert_contains "console diff after the run" "$(cat "$TMP/n2.out")" "diff: 3 regression(s)"
}

t_nights_pr_mode_exit_codes() {
	local out rc
	nights_reports
	# Against night 1: new confirmed, new error, new signature -> 1.
	"$SANDRUN" run --catalogue "$CAT" -j 2 --baseline "$TMP/n1.json" --fail-on new \
		--report "json:$TMP/pr1.json" "$TMP/night2" >/dev/null 2>&1
	assert_eq "PR mode with regressions" 1 "$?"
	# Against night 2 itself: its mismatches are old news -> 0, where a
	# plain run fails.
	out=$("$SANDRUN" run --catalogue "$CAT" -j 2 --baseline "$TMP/n2.json" --fail-on new \
		"$TMP/night2" 2>&1)
	rc=$?
	assert_eq "PR mode without regressions" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out" | tail -20 >&2
	assert_contains "still says what failed" "$out" "failed verdicts:"
	assert_contains "and that nothing is new" "$out" "diff: 0 regression(s)"
	"$SANDRUN" run --catalogue "$CAT" --fail-on new "$TMP/night2" >/dev/null 2>&1
	assert_eq "--fail-on new needs --baseline" 2 "$?"
	"$SANDRUN" run --catalogue "$CAT" --fail-on maybe --baseline "$TMP/n1.json" "$TMP/night2" \
		>/dev/null 2>&1
	assert_eq "--fail-on takes new or any" 2 "$?"
	printf 'nope' >"$TMP/nope.json"
	out=$("$SANDRUN" run --catalogue "$CAT" --baseline "$TMP/nope.json" "$TMP/night2" 2>&1)
	assert_eq "a broken baseline is refused before any run" 2 "$?"
	assert_contains "names the place" "$out" "nope.json:1:1"
}


# nights_fuzz DIR — the bundled clean fuzzer with `corpus: nightly-corpus`.
nights_fuzz() {
	rm -rf "$1"
	mkdir -p "$1"
	cp -r "$ROOT/harnesses/fuzz-clean" "$1/"
	printf 'corpus: nightly-corpus\n' >>"$1/fuzz-clean/harness.yaml"
}

# digests DIR... — the sha256 of every regular file under DIR, sorted, unique.
digests() {
	find "$@" -type f -exec sha256sum {} + 2>/dev/null | awk '{print $1}' | sort -u
}

t_nights_corpus_grows_across_two_runs() {
	local s=$TMP/fz c r1=$TMP/fz1.json r2=$TMP/fz2.json n1 n2 rc
	nights_fuzz "$s"
	c=$s/fuzz-clean/nightly-corpus
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r1" "$s" >/dev/null 2>&1
	assert_eq "night 1 exit code" 0 "$?"
	# Night 1 starts from the workdir's one seed; its corpus is kept.
	assert_eq "night 1 started from the seed" 1 "$(field_of "$r1" fuzz-clean "" fuzz.seed_files)"
	n1=$(find "$c" -type f | wc -l)
	[ "$n1" -gt 2 ] || fail "night 1 kept $n1 inputs in $c"
	assert_eq "only content-addressed names" 0 "$(find "$c" -type f ! -name '????????????????' | wc -l)"
	assert_eq "the grown corpus is all there" "" \
		"$(comm -23 <(digests "$(field_of "$r1" fuzz-clean "" evidence.artifact_dir)/corpus") <(digests "$c"))"
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r2" --baseline "$r1" "$s" >/dev/null 2>&1
	rc=$?
	assert_eq "night 2 exit code" 0 "$rc"
	# Night 2 starts from night 1's corpus: its stats say so.
	assert_eq "night 2 read night 1's corpus (+ the seed)" "$((n1 + 1))" \
		"$(field_of "$r2" fuzz-clean "" fuzz.seed_files)"
	[ "$(field_of "$r2" fuzz-clean "" fuzz.initial_corpus)" -gt 1 ] ||
		fail "night 2's initial corpus is $(field_of "$r2" fuzz-clean "" fuzz.initial_corpus)"
	n2=$(find "$c" -type f | wc -l)
	[ "$n2" -ge "$n1" ] || fail "the corpus shrank from $n1 to $n2"
	# The diff shows the fuzzers' progress.
	assert_contains "diff compares corpus size" \
		"$("$SANDRUN" report diff -o markdown:- "$r1" "$r2")" "| fuzz-clean |"
	assert_eq "diff: night 2 started from night 1's corpus" \
		"$(field_of "$r2" fuzz-clean "" fuzz.initial_corpus)" \
		"$("$SANDRUN" report diff -o json:- "$r1" "$r2" | jq '.verdicts[0].fuzz.new.initial_corpus')"
	# Nothing of the harness reached the corpus directory but inputs.
	assert_eq "no temp file left" 0 "$(find "$c" -name '.*' | wc -l)"
}

t_nights_concurrent_corpus_merges_lose_nothing() {
	local s=$TMP/fzc c r=$TMP/fzc.json a b
	nights_fuzz "$s"
	# Two harnesses, one corpus, run at once.
	sed 's/^name: fuzz-clean/name: fuzz-clean-b/; s/-runs=20000/-runs=20000", "-seed=7/' \
		"$s/fuzz-clean/harness.yaml" >"$s/fuzz-clean/harness-b.yaml"
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	c=$s/fuzz-clean/nightly-corpus
	a=$(field_of "$r" fuzz-clean "" evidence.artifact_dir)
	b=$(field_of "$r" fuzz-clean-b "" evidence.artifact_dir)
	[ -d "$a/corpus" ] && [ -d "$b/corpus" ] || fail "no collected corpora in $a, $b"
	assert_eq "every input of both runs is in the corpus" "" \
		"$(comm -23 <(digests "$a/corpus" "$b/corpus") <(digests "$c"))"
	assert_eq "one file per distinct input" "$(digests "$a/corpus" "$b/corpus" | wc -l)" \
		"$(find "$c" -type f | wc -l)"
}
