# The live progress line: on a terminal only, redrawn in place on stderr.

t_progress_line_on_a_tty_only() {
	local s=$TMP/progress out err
	write_spec "$s" p <<'EOF'
toolchain: busybox
command: ["sh", "-c", "echo FIRED"]
oracle: {stdout: "FIRED"}
payloads: [{name: a, value: "1"}, {name: b, value: "2"}, {name: c, value: "3"}]
EOF
	# script(1) gives sandrun a pseudo-terminal; its stderr then shows the line.
	out=$(script -qec "'$SANDRUN' run --catalogue '$CAT' -j 2 '$s'" /dev/null 2>&1)
	assert_contains "redrawn in place" "$out" $'\r\e[K['
	assert_contains "final count" "$out" "[3/3] 0 running  3 confirmed  0 crash  0 mismatch"
	assert_contains "per-run lines unchanged" "$out" "p[a]#1"
	out=$(NO_COLOR=1 script -qec "'$SANDRUN' run --catalogue '$CAT' -j 2 '$s'" /dev/null 2>&1)
	assert_not_contains "NO_COLOR: no escape codes" "$out" $'\e'
	assert_contains "NO_COLOR: still a line" "$out" "[3/3]"
	err=$("$SANDRUN" run --catalogue "$CAT" -j 2 "$s" 2>&1 >/dev/null)
	assert_not_contains "not a terminal: no line" "$err" "[3/3]"
	assert_not_contains "not a terminal: no escape codes" "$err" $'\e'
}
