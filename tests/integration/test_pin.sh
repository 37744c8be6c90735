# Pins (issue 4): pin, verify, drift, independent failures, byte-preserving
# rewrites and the commit the nightly bot pushes — against the local registry.

# push_variant TAG CONTENT: a one-file image pushed under TAG; prints its digest.
push_variant() {
	local d ref=$REG/sandrun/$1
	d=$(mktemp -d)
	mkdir -p "$d/etc"
	printf '%s\n' "$2" >"$d/etc/variant"
	tar -C "$d" -c . | docker import - "$ref" >/dev/null
	rm -rf "$d"
	docker push "$ref" >/dev/null || return 1
	docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$ref" |
		grep "^${ref%:*}@" | head -1 | cut -d@ -f2
}

write_pin_catalogue() {
	cat >"$1" <<EOF
# pin test catalogue — comments, odd spacing and quoting must survive
[[image]]
toolchain_id = "pt"      # the entry under test
base = '$REG/sandrun/pintest:latest'
toolchain = "pin test"
packages = { }

[[image]]
  toolchain_id = "missing"
  base = "$REG/sandrun/no-such-image:latest"
  digest = ""
EOF
}

# Every line that differs between two files is a digest line.
only_digest_lines_differ() {
	local bad
	bad=$(diff "$1" "$2" | grep '^[<>]' | grep -v -E '^[<>] *(platform_)?digest *= ')
	[ -z "$bad" ] || fail "lines other than digests changed: $bad"
}

t_pin_unpinned_entry_and_broken_entry_alone() {
	local c=$TMP/pin.toml orig=$TMP/pin.orig out rc d1
	d1=$(push_variant pintest:latest "one-$RANDOM") || { fail "cannot push"; return; }
	write_pin_catalogue "$c"
	cp "$c" "$orig"
	out=$("$SANDRUN" pin --catalogue "$c" --all 2>&1)
	rc=$?
	assert_eq "exit code with one broken entry" 1 "$rc"
	assert_contains "change printed" "$out" "pt: (none) -> $d1"
	assert_contains "broken entry reported" "$out" "missing"
	assert_eq "pinned in file" "$d1" "$("$SANDRUN" list --catalogue "$c" --format json | jq -r '.[] | select(.toolchain_id == "pt") | .digest')"
	only_digest_lines_differ "$orig" "$c"
	assert_contains "digest inserted after base with its quoting kept" "$(sed -n '5,6p' "$c")" "digest = \"$d1\""
	out=$("$SANDRUN" pin --catalogue "$c" pt 2>&1)
	assert_eq "re-pin exit" 0 "$?"
	assert_contains "unchanged" "$out" "pt: unchanged"
}

t_pin_drift_detected_then_repinned() {
	local c=$TMP/drift.toml before=$TMP/drift.before out rc d1 d2
	d1=$(push_variant pintest:latest "first-$RANDOM") || { fail "cannot push"; return; }
	printf '[[image]]\r\ntoolchain_id = "pt"\r\nbase = "%s/sandrun/pintest:latest"\r\ndigest = "%s" # pinned\r\n' \
		"$REG" "$d1" >"$c"
	out=$("$SANDRUN" verify --catalogue "$c" --pull 2>&1)
	assert_eq "verify clean" 0 "$?"
	d2=$(push_variant pintest:latest "second-$RANDOM") || { fail "cannot push"; return; }
	[ "$d1" != "$d2" ] || fail "the new image has the same digest"
	out=$("$SANDRUN" verify --catalogue "$c" --pull 2>&1)
	rc=$?
	assert_eq "verify exit on drift" 1 "$rc"
	assert_contains "drift names the pin" "$out" "$d1"
	assert_contains "drift names the new digest" "$out" "$d2"
	cp "$c" "$before"
	out=$("$SANDRUN" pin --catalogue "$c" --all 2>&1)
	assert_eq "pin exit" 0 "$?"
	assert_contains "old -> new" "$out" "pt: $d1 -> $d2"
	only_digest_lines_differ "$before" "$c"
	assert_eq "CRLF and comment kept" "digest = \"$d2\" # pinned"$'\r' "$(sed -n 4p "$c")"
	"$SANDRUN" verify --catalogue "$c" --pull >/dev/null 2>&1
	assert_eq "verify after re-pin" 0 "$?"
}

t_pin_unpinned_fails_verify() {
	local c=$TMP/unpinned.toml out
	printf '[[image]]\ntoolchain_id = "u"\nbase = "%s/sandrun/busybox:latest"\n' "$REG" >"$c"
	out=$("$SANDRUN" verify --catalogue "$c" 2>&1)
	assert_eq "exit code" 1 "$?"
	assert_contains "says unpinned" "$out" "unpinned"
}

t_pin_commit_touches_only_the_catalogue() {
	local repo=$TMP/repo head before_index out d
	d=$(push_variant pintest:latest "commit-$RANDOM") || { fail "cannot push"; return; }
	mkdir -p "$repo"
	git -C "$repo" init -q -b main
	git -C "$repo" config user.name "Pin Tester"
	git -C "$repo" config user.email "pin@test.invalid"
	printf '[[image]]\ntoolchain_id = "pt"\nbase = "%s/sandrun/pintest:latest"\ndigest = ""\n' "$REG" >"$repo/images.toml"
	echo "keep me" >"$repo/other.txt"
	git -C "$repo" add . && git -C "$repo" commit -qm init
	echo "local edit" >>"$repo/other.txt"
	head=$(git -C "$repo" rev-parse HEAD)
	before_index=$(git -C "$repo" ls-files -s)
	out=$(cd "$repo" && "$SANDRUN" pin --all --commit --branch sandrun/pin-test 2>&1)
	assert_eq "exit code" 0 "$?"
	assert_eq "HEAD unchanged" "$head" "$(git -C "$repo" rev-parse HEAD)"
	assert_eq "current branch" main "$(git -C "$repo" symbolic-ref --short HEAD)"
	assert_eq "index unchanged" "$before_index" "$(git -C "$repo" ls-files -s)"
	assert_eq "other file's local edit kept" "keep me
local edit" "$(cat "$repo/other.txt")"
	assert_eq "commit touches only the catalogue" "images.toml" \
		"$(git -C "$repo" diff --name-only main sandrun/pin-test)"
	assert_eq "parent is HEAD" "$head" "$(git -C "$repo" rev-parse sandrun/pin-test^)"
	assert_eq "subject" "Pin 1 toolchain images" "$(git -C "$repo" log -1 --format=%s sandrun/pin-test)"
	assert_contains "body lists the change" "$(git -C "$repo" log -1 --format=%b sandrun/pin-test)" "pt: (none) -> $d"
	assert_eq "author from git config" "Pin Tester" "$(git -C "$repo" log -1 --format=%an sandrun/pin-test)"
	assert_eq "committed bytes are the file's" "$(cat "$repo/images.toml")" \
		"$(git -C "$repo" show sandrun/pin-test:images.toml)"
}

t_pin_list_formats() {
	local out
	out=$("$SANDRUN" list --catalogue "$ROOT/images.toml")
	assert_eq "exit code" 0 "$?"
	assert_contains "unpinned shown" "$out" "unpinned"
	assert_eq "json entries" 11 "$("$SANDRUN" list --catalogue "$ROOT/images.toml" --format json | jq length)"
	assert_contains "platform shown" "$out" "linux/amd64"
	assert_eq "json says unpinned" false \
		"$("$SANDRUN" list --catalogue "$ROOT/images.toml" --format json | jq '.[0].pinned')"
}

# A manifest list: digest is the list's own, platform_digest the entry for
# the platform, and the two belong together.
t_pin_platform_digest_from_manifest_list() {
	local c=$TMP/multi.toml list=$REG/sandrun/multi-test:latest out amd arm listd
	amd=$(push_variant multi-amd:latest "amd-$RANDOM") || { fail "cannot push"; return; }
	arm=$(push_variant multi-arm:latest "arm-$RANDOM") || { fail "cannot push"; return; }
	docker manifest rm "$list" >/dev/null 2>&1
	docker manifest create --insecure "$list" "$REG/sandrun/multi-amd:latest" \
		"$REG/sandrun/multi-arm:latest" >/dev/null || { fail "manifest create"; return; }
	docker manifest annotate "$list" "$REG/sandrun/multi-arm:latest" --os linux --arch arm64
	listd=$(docker manifest push --purge --insecure "$list" | tail -1)
	printf '[[image]]\ntoolchain_id = "m"\nbase = "%s"\nplatform = "linux/arm64"\n' "$list" >"$c"
	out=$("$SANDRUN" pin --catalogue "$c" --all 2>&1)
	assert_eq "exit code" 0 "$?"
	assert_eq "list digest" "$listd" "$("$SANDRUN" list --catalogue "$c" --format json | jq -r '.[0].digest')"
	assert_eq "platform digest" "$arm" "$("$SANDRUN" list --catalogue "$c" --format json | jq -r '.[0].platform_digest')"
	[ "$listd" != "$arm" ] || fail "list and platform digests must differ"
}
