# Run options and the smaller verbs: shards and merge, filters, the result
# cache, pull policies, pull, version.


t_cli_shards_cover_the_suite_and_merge() {
	local s=$TMP/shards a=$TMP/s1.json b=$TMP/s2.json m=$TMP/merged.json
	six_harness_suite "$s"
	"$SANDRUN" run --catalogue "$CAT" --shard 1/2 --report "json:$a" "$s" >/dev/null 2>&1
	assert_eq "shard 1 exit" 0 "$?"
	"$SANDRUN" run --catalogue "$CAT" --shard 2/2 --report "json:$b" "$s" >/dev/null 2>&1
	assert_eq "shard 2 exit" 0 "$?"
	assert_eq "shard label" "1/2" "$(jq -r '.run.shard | "\(.index)/\(.count)"' "$a")"
	assert_eq "shards partition the suite" "h1 h2 h3 h4 h5 h6" \
		"$(jq -r '.records[].harness' "$a" "$b" | sort | tr '\n' ' ' | sed 's/ $//')"
	"$SANDRUN" report merge -o "$m" "$a" "$b"
	assert_eq "merge exit" 0 "$?"
	assert_eq "merged records" 6 "$(jq '.records | length' "$m")"
	assert_eq "merged counts" 6 "$(jq .run.counts.confirmed "$m")"
	echo '{"run": {}, "records": [' >"$TMP/broken.json"
	"$SANDRUN" report merge -o "$TMP/x.json" "$a" "$TMP/broken.json" 2>"$TMP/merge.err"
	assert_eq "merge of a broken report" 2 "$?"
	assert_contains "merge error position" "$(cat "$TMP/merge.err")" "broken.json:2:"
}

t_cli_filter_selects_harnesses() {
	local s=$TMP/filter r=$TMP/filter.json
	six_harness_suite "$s"
	"$SANDRUN" run --catalogue "$CAT" --filter 'h[12]' --filter h6 --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit" 0 "$?"
	assert_eq "selected" "h1 h2 h6" "$(jq -r '.records[].harness' "$r" | sort | tr '\n' ' ' | sed 's/ $//')"
}

t_cli_cache_reuses_results_without_containers() {
	local s=$TMP/cache r1=$TMP/c1.json r2=$TMP/c2.json since n
	six_harness_suite "$s"
	"$SANDRUN" run --catalogue "$CAT" --cache "$TMP/cachedir" --report "json:$r1" "$s" >/dev/null 2>&1
	assert_eq "first exit" 0 "$?"
	assert_eq "first run not cached" 0 "$(jq '[.records[] | select(.cached)] | length' "$r1")"
	since=$(date +%s)
	"$SANDRUN" run --catalogue "$CAT" --cache "$TMP/cachedir" --report "json:$r2" "$s" >/dev/null 2>&1
	assert_eq "second exit" 0 "$?"
	assert_eq "second run cached" 6 "$(jq '[.records[] | select(.cached and .outcome == "confirmed")] | length' "$r2")"
	# Events of this invocation only: its run id labels anything it starts.
	n=$(docker events --since "$since" --until "$(($(date +%s) + 1))" --filter event=create \
		--filter "label=sandrun.run=$(jq -r .run.run_id "$r2")" --format '{{.ID}}' | wc -l)
	assert_eq "no container started" 0 "$n"
	# A changed spec is a different key.
	sed -i 's/echo run-1/echo run-1 changed/' "$s/h1.yaml"
	"$SANDRUN" run --catalogue "$CAT" --cache "$TMP/cachedir" --report "json:$r2" "$s" >/dev/null 2>&1
	assert_eq "changed spec re-runs" false "$(field_of "$r2" h1 "" cached)"
}

t_cli_pull_policy_never_and_pull_verb() {
	local s=$TMP/never c=$TMP/never.toml r=$TMP/never.json img=$REG/sandrun/nevertest:latest out
	docker tag "$REG/sandrun/busybox:latest" "$img" && docker push -q "$img" >/dev/null
	docker rmi "$img" >/dev/null 2>&1
	printf '[[image]]\ntoolchain_id = "nt"\nbase = "%s"\n' "$img" >"$c"
	write_spec "$s" never <<'EOF'
toolchain: nt
command: ["true"]
EOF
	"$SANDRUN" run --catalogue "$c" --pull never --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit" 1 "$?"
	assert_eq "pull error" pull "$(field_of "$r" never "" phase)"
	out=$("$SANDRUN" pull --catalogue "$c" --all)
	assert_eq "pull verb exit" 0 "$?"
	assert_contains "pulled" "$out" "nt: pulled"
	out=$("$SANDRUN" pull --catalogue "$c" nt)
	assert_contains "then present" "$out" "nt: present"
	"$SANDRUN" pull --catalogue "$c" no-such-id >/dev/null 2>&1
	assert_eq "unknown id" 2 "$?"
	docker rmi "$img" >/dev/null 2>&1
}

t_cli_usage_errors() {
	"$SANDRUN" run --catalogue "$CAT" --shard 3/2 "$ROOT/harnesses/cmdi-echo" >/dev/null 2>&1
	assert_eq "bad shard" 2 "$?"
	"$SANDRUN" run --catalogue "$CAT" --report yaml:x "$ROOT/harnesses/cmdi-echo" >/dev/null 2>&1
	assert_eq "bad report format" 2 "$?"
	"$SANDRUN" frobnicate >/dev/null 2>&1
	assert_eq "unknown verb" 2 "$?"
	"$SANDRUN" run --catalogue "$TMP/missing.toml" >/dev/null 2>&1
	assert_eq "missing catalogue" 2 "$?"
	"$SANDRUN" run --catalogue "$CAT" "$TMP/no-such-dir" >/dev/null 2>&1
	assert_eq "missing spec path" 2 "$?"
	assert_contains "version" "$("$SANDRUN" version)" "sandrun "
}
