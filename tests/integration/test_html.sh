# The HTML report opened in a real browser (headless chromium): what the
# harness printed stays text, the counts and rows match the JSON report, and
# the filter follows the URL fragment.

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

# dump_dom FILE-URL — the DOM after the page's script ran.
dump_dom() {
	local prof
	prof=$(mktemp -d "$TMP/chromium.XXXXXX")
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$prof" --virtual-time-budget=2000 \
		--dump-dom "$1" 2>/dev/null
}

# The verdict rows of a dumped DOM that are not hidden, one a line.
visible_rows() {
	grep -o '<tr class="verdict[^>]*>' | grep -v ' hidden=' || true
}

t_html_report_in_chromium() {
	local s=$ROOT/tests/integration/fixtures/hostile-html
	local h=$TMP/html/r.html j=$TMP/html/r.json dom rid nv k n flaky
	[ -x "$CHROMIUM" ] || {
		fail "no $CHROMIUM (ci/setup.sh installs chromium)"
		return
	}
	mkdir -p "$TMP/html"
	"$SANDRUN" run --catalogue "$CAT" -j 2 -q --report "html:$h" --report "json:$j" "$s" \
		>/dev/null 2>&1
	assert_eq "exit code (one mismatch)" 1 "$?"
	[ -s "$h" ] || {
		fail "no HTML report"
		return
	}
	assert_not_contains "no outside URL" "$(cat "$h")" "http://"
	assert_not_contains "no outside URL" "$(cat "$h")" "https://"

	dom=$(dump_dom "file://$h")
	rid=$(jq -r .run.run_id "$j")
	assert_eq "title unchanged" "<title>sandrun report $rid</title>" \
		"$(printf '%s' "$dom" | grep -o '<title>[^<]*</title>')"
	assert_not_contains "no injected script" "$dom" "<script>document.title"
	assert_not_contains "no injected img" "$dom" "<img src=x"
	assert_contains "markup shown as text" "$dom" \
		"&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;/pre&gt;"
	assert_contains "invalid UTF-8 shown as U+FFFD" "$dom" $'bad-utf8 \xef\xbf\xbd\xef\xbf\xbd end'
	assert_contains "text before a NUL kept" "$dom" "before-nul"
	assert_contains "token redacted" "$dom" "tok=&lt;token&gt;"

	nv=$(jq '[.records[] | [.harness, .payload]] | unique | length' "$j")
	assert_eq "verdicts" 4 "$nv"
	assert_eq "one row per verdict" "$nv" "$(printf '%s' "$dom" | grep -c '<tr class="verdict')"
	assert_eq "all rows shown" "$nv" "$(printf '%s' "$dom" | visible_rows | wc -l)"
	assert_contains "timeout count" "$dom" 'id="count-timeout" data-count="1"'
	assert_contains "run count" "$dom" "id=\"nruns\" data-count=\"$(jq '.records | length' "$j")\""
	assert_contains "mismatch count" "$dom" 'id="mismatches" data-count="1"'

	k=$(jq '[.records[] | select(.harness == "coin" and .outcome == "confirmed")] | length' "$j")
	n=$(jq '[.records[] | select(.harness == "coin")] | length' "$j")
	flaky=0
	[ "$k" -gt 0 ] && [ "$k" -lt "$n" ] && flaky=1
	assert_contains "flaky mark ($k/$n)" "$dom" "data-flaky=\"$flaky\" data-name=\"coin\""

	dom=$(dump_dom "file://$h#outcome=timeout")
	assert_contains "filter from the URL" "$dom" 'data-visible="1"'
	assert_eq "timeout rows" 1 "$(printf '%s' "$dom" | visible_rows | grep -c 'data-name="slow"')"
	assert_eq "only timeout rows" 1 "$(printf '%s' "$dom" | visible_rows | wc -l)"

	dom=$(dump_dom "file://$h#match=mismatch&q=WRO")
	assert_eq "mismatch rows" 'data-name="wrong"' \
		"$(printf '%s' "$dom" | visible_rows | grep -o 'data-name="[^"]*"')"

	dom=$(dump_dom "file://$h#q=%3Cscript%3E")
	assert_eq "no row for a name that is not there" 0 "$(printf '%s' "$dom" | visible_rows | wc -l)"
}
