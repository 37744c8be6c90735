# The user's working directory (issue 13): nothing but the documented
# sandrun-artifacts/ may appear there, on either engine. Podman's conmon
# writes an `oom` mark into its working directory, so an OOM kill, a crash
# with artifacts and a network run are all in the mix.

t_cwd_only_artifacts_appear() {
	local d=$TMP/cwd r=$TMP/cwd.json rc
	mkdir -p "$d"
	(cd "$d" && env -u SANDRUN_ARTIFACTS "$SANDRUN" run --catalogue "$CAT" -j 2 \
		--report "json:$r" "$ROOT/harnesses/oom-hog" "$ROOT/harnesses/fuzz-crash" \
		"$ROOT/harnesses/cmdi-oob-http" "$ROOT/harnesses/cmdi-echo" >/dev/null 2>&1)
	rc=$?
	assert_eq "exit code" 0 "$rc"
	assert_eq "oom on $ENGINE" oom "$(outcome_of "$r" oom-hog "")"
	assert_eq "crash on $ENGINE" crash "$(outcome_of "$r" fuzz-crash "")"
	assert_eq "oob on $ENGINE" confirmed "$(outcome_of "$r" cmdi-oob-http exploit)"
	assert_eq "only sandrun-artifacts/ in the working directory" "sandrun-artifacts" \
		"$(ls -A "$d" | tr '\n' ' ' | sed 's/ $//')"
}
