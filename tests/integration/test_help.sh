# Per-verb help (sandrun VERB --help, sandrun help VERB) from the same option
# tables the parsers use, and `sandrun check` (no engine involved).

# The verbs `sandrun help` lists, "report merge" as "report".
help_verbs() {
	"$SANDRUN" help | sed -n '/^verbs:/,/^$/p' | grep -oE '^  [a-z]+' | tr -d ' '
}

# The options a help text lists, one a line: "--name" or "--name ARG".
help_options() {
	grep -E '^  (-[a-zA-Z], )?--[a-z-]+' | grep -v -- '--help' |
		sed -E 's/^  (-[a-zA-Z], )?(--[a-z-]+)( ([^ ]+))?.*/\2\3/'
}

# A value the parser takes for an option whose help shows ARG.
example_value() {
	case $1 in
	N | F) echo 1 ;;
	K/N*) echo 1/1 ;;
	FMT:PATH) echo json:/dev/null ;;
	DURATION) echo 1s ;;
	FROM=TO) echo a=b ;;
	*'|'*) echo "${1%%|*}" ;;
	*) echo x ;;
	esac
}

t_help_every_verb_and_its_options_parse() {
	local v out name arg val rc n=0 man=$ROOT/doc/sandrun.1.scd comp
	for v in $(help_verbs); do
		out=$("$SANDRUN" "$v" --help 2>&1)
		assert_eq "$v --help exit code" 0 "$?"
		assert_contains "$v --help usage" "$out" "usage: sandrun $v"
		assert_eq "help $v same as $v --help" "$out" "$("$SANDRUN" help "$v" 2>&1)"
		# Completion reads the same lines (doc/sandrun.bash).
		comp=$(printf '%s\n' "$out" | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | sort)
		assert_eq "$v: completion sees every option" \
			"$(printf '%s\n' "$out" | help_options | cut -d' ' -f1 | sort)" \
			"$(printf '%s\n' "$comp" | grep -vx -- '--help')"
		while read -r name arg; do
			[ -n "$name" ] || continue
			n=$((n + 1))
			# Accepted by the parser: it reaches the --help after it.
			val=${arg:+$(example_value "$arg")}
			if [ "$v" = report ]; then
				"$SANDRUN" report merge "$name" ${val:+"$val"} --help >/dev/null 2>&1
			else
				"$SANDRUN" "$v" "$name" ${val:+"$val"} --help >/dev/null 2>&1
			fi
			rc=$?
			assert_eq "$v $name $val --help accepted" 0 "$rc"
			assert_contains "$v $name in the man page" "$(cat "$man")" "*$name*"
		done < <(printf '%s\n' "$out" | help_options)
	done
	[ "$n" -ge 15 ] || fail "only $n options walked"
	out=$("$SANDRUN" run --no-such-option 2>&1)
	assert_eq "unknown option exit code" 2 "$?"
	assert_contains "names the verb's help" "$out" "(see 'sandrun run --help')"
	out=$("$SANDRUN" help no-such-verb 2>&1)
	assert_eq "help of an unknown verb" 2 "$?"
}

t_help_check_validates_without_engine() {
	local s=$TMP/check out rc t0 t1 i
	write_spec "$s" good <<'EOF'
toolchain: busybox
command: ["true"]
EOF
	out=$(SANDRUN_ENGINE=/nonexistent "$SANDRUN" check --catalogue "$CAT" "$s" 2>&1)
	assert_eq "valid suite" 0 "$?"
	assert_contains "summary" "$out" "checked 1 spec: 1 valid, 0 invalid"
	out=$(SANDRUN_ENGINE=/nonexistent "$SANDRUN" check --catalogue "$CAT" \
		"$ROOT/tests/integration/bad-specs" "$s" 2>&1)
	assert_eq "invalid specs" 2 "$?"
	assert_eq "every error listed" "$(ls "$ROOT"/tests/integration/bad-specs/*.yaml | wc -l)" \
		"$(printf '%s\n' "$out" | grep -c '\.yaml:[0-9]*:[0-9]*: ')"
	assert_contains "toolchain checked against the catalogue" "$out" "unknown-toolchain.yaml:2:12: toolchain 'no-such-toolchain' is not in catalogue"
	printf 'not = [toml' >"$TMP/bad.toml"
	out=$("$SANDRUN" check --catalogue "$TMP/bad.toml" "$s" 2>&1)
	assert_eq "invalid catalogue" 2 "$?"
	# 10,000 specs (their speed is measured by make bench, BENCH_ONLY=load).
	mkdir -p "$TMP/many"
	for i in $(seq 1 10000); do
		printf 'toolchain: busybox\ncommand: ["true"]\n' >"$TMP/many/s$i.yaml"
	done
	out=$("$SANDRUN" check --catalogue "$CAT" "$TMP/many" 2>&1)
	rc=$?
	assert_eq "10,000 specs valid" 0 "$rc"
	assert_contains "10,000 specs counted" "$out" "checked 10000 specs"
}
