# Trust II (issue 17): hostile specs, reports and runs cannot touch the host.
# Each test reproduces an attack the issue describes and checks the host
# stayed as it was.

# A 40-deep directory in /work, a link l -> d/d/.../d and a glob of 40
# ".[.]" components: glob() expanded them to the real "..", the source
# climbed back into /work while the destination climbed out of the
# artifacts directory, writing /tmp/<marker> on the host as root.
trust_dotdot_spec() {
	local dir=$1 marker=$2 pat="l" deep="d" i
	for i in $(seq 39); do deep="$deep/d"; done
	for i in $(seq 40); do pat="$pat/.[.]"; done
	write_spec "$dir" dotdot <<EOF
toolchain: busybox
command: ["sh", "-c", "mkdir -p $deep tmp && ln -s $deep l && echo owned > tmp/$marker"]
collect: ["$pat/tmp/$marker"]
EOF
}

t_trust_1_collect_glob_dotdot() {
	local s=$TMP/trust1 marker="PWNED-sandrun-trust1-$$" out rc r=$TMP/trust1.json
	trust_dotdot_spec "$s" "$marker"
	rm -f "/tmp/$marker"
	out=$("$SANDRUN" --catalogue "$CAT" check "$s" 2>&1)
	rc=$?
	assert_eq "check refuses a glob that can match '..'" 2 "$rc"
	assert_contains "check names the key" "$out" "'collect' items must be globs under /work"
	assert_contains "check gives the position" "$out" "dotdot.yaml:"
	out=$("$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" 2>&1)
	assert_eq "run refuses it too" 2 "$?"
	[ -e "/tmp/$marker" ] && fail "the run wrote /tmp/$marker on the host"
	rm -f "/tmp/$marker"
	# Patterns that validation lets through cannot be steered either: a
	# link into the tree, "*" through a link to the host's /, a link to a
	# host file.
	rm -f "$s/dotdot.yaml"
	write_spec "$s" links <<'EOF'
toolchain: busybox
command: ["sh", "-c", "mkdir -p a/b && echo in > a/b/f && ln -s a/b la && ln -s / root && ln -s /etc/passwd pw"]
collect: ["la/*", "root/etc/*", "pw", "a/*/f"]
expect: not_confirmed
EOF
	out=$("$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" 2>&1)
	rc=$?
	assert_eq "run exit code" 0 "$rc"
	[ "$rc" = 0 ] || echo "$out" | tail -5 >&2
	assert_eq "only the physical match is collected" '["a/b/f"]' \
		"$(jq -c '.records[0].evidence.artifacts' "$r")"
}
