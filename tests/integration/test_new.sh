# shellcheck shell=bash
# sandrun new (issue 23): each kind writes a harness that passes check and,
# run as is on the real engine with the local catalogue, gives the verdicts
# its comments promise; an existing directory is never overwritten.

t_new_each_kind_runs_as_promised() {
	local d=$TMP/new r=$TMP/new.json k rc
	mkdir -p "$d"
	for k in exit stdout oob stub fuzz; do
		(cd "$d" && "$SANDRUN" --catalogue "$CAT" new "n-$k" --kind "$k" >/dev/null 2>&1)
		assert_eq "new --kind $k" 0 "$?"
		assert_contains "$k: schema line" "$(head -1 "$d/n-$k/harness.yaml")" \
			'# yaml-language-server: $schema='
		assert_contains "$k: comment promises" "$(cat "$d/n-$k/harness.yaml")" "Run as is: exploit ->"
	done
	"$SANDRUN" --catalogue "$CAT" check "$d" >/dev/null 2>&1
	assert_eq "check passes" 0 "$?"
	"$SANDRUN" --catalogue "$CAT" run -q -j 2 --report "json:$r" "$d" >/dev/null 2>&1
	rc=$?
	assert_eq "run exit code" 0 "$rc"
	for k in exit stdout oob stub; do
		assert_eq "$k exploit" confirmed "$(outcome_of "$r" "n-$k" exploit)"
		assert_eq "$k benign" not_confirmed "$(outcome_of "$r" "n-$k" benign)"
	done
	assert_eq "fuzz exploit" crash "$(outcome_of "$r" n-fuzz exploit)"
	assert_eq "fuzz benign" not_confirmed "$(outcome_of "$r" n-fuzz benign)"
}

t_new_refuses_to_overwrite_and_bad_input() {
	local d=$TMP/new2 rc
	mkdir -p "$d/taken"
	echo keep >"$d/taken/harness.yaml"
	(cd "$d" && "$SANDRUN" --catalogue "$CAT" new taken --kind exit >/dev/null 2>&1)
	assert_eq "existing dir: exit 2" 2 "$?"
	assert_eq "file kept" keep "$(cat "$d/taken/harness.yaml")"
	(cd "$d" && "$SANDRUN" --catalogue "$CAT" new x --kind nope >/dev/null 2>&1)
	assert_eq "bad kind: exit 2" 2 "$?"
	(cd "$d" && "$SANDRUN" --catalogue "$CAT" new y --kind exit --toolchain no-such >/dev/null 2>&1)
	rc=$?
	assert_eq "unknown toolchain: exit 2" 2 "$rc"
	[ ! -e "$d/y" ] || fail "y was created"
	(cd "$d" && "$SANDRUN" --catalogue "$CAT" new z --kind exit --toolchain psql >/dev/null 2>&1)
	assert_eq "--toolchain chosen" "toolchain: psql" "$(grep '^toolchain:' "$d/z/harness.yaml")"
}
