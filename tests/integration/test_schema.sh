# shellcheck shell=bash
# JSON Schemas (issue 23): `sandrun schema` prints the files under schema/,
# and a real validator (python3-jsonschema) agrees with `sandrun check` on
# every valid spec and catalogue of the repository, `sandrun new`'s output
# and the invalid corpus (tests/integration/schema_agree.py prints counts).

t_schema_printed_is_the_file() {
	assert_eq "spec" "$(cat "$ROOT/schema/harness.schema.json")" "$("$SANDRUN" schema spec)"
	assert_eq "catalogue" "$(cat "$ROOT/schema/images.schema.json")" "$("$SANDRUN" schema catalogue)"
	"$SANDRUN" schema nope >/dev/null 2>&1
	assert_eq "unknown: exit 2" 2 "$?"
}

t_schema_and_check_agree() {
	local d=$TMP/schema-new k out
	/usr/bin/python3 -c 'import jsonschema, yaml, tomllib' 2>/dev/null ||
		{ fail "needs python3-jsonschema and python3-yaml (ci/setup.sh installs them)"; return; }
	mkdir -p "$d"
	for k in exit stdout oob stub fuzz; do
		(cd "$d" && "$SANDRUN" --catalogue "$CAT" new "s-$k" --kind "$k" >/dev/null 2>&1)
	done
	out=$(SCHEMA_NEW_DIR=$d /usr/bin/python3 "$ROOT/tests/integration/schema_agree.py" \
		"$SANDRUN" "$CAT" "$ROOT" 2>&1)
	assert_eq "agreement exit code" 0 "$?"
	echo "    $(tail -1 <<<"$out")"
	assert_contains "counts" "$out" " 0 disagreement(s)"
}
