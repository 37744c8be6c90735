# Stronger walls (issue 20): the runtime choice (runc, gVisor's runsc), the
# strict seccomp profile, and OOM kills read from the kernel's own counter.

FX_WALLS=$ROOT/tests/integration/fixtures/walls

# runsc_registered: the engine knows runsc (ci/setup-runsc.sh), else skip.
runsc_registered() {
	[ "$ENGINE" = docker ] && docker info --format '{{json .Runtimes}}' 2>/dev/null | jq -e 'has("runsc")' >/dev/null && return 0
	skip "runtime runsc is not registered with the engine (ci/setup-runsc.sh)"
	return 1
}

t_walls_runtime_from_catalogue_spec_and_cli() {
	local s=$TMP/rt r=$TMP/rt.json cat=$TMP/rt-cat.toml out rc
	docker_only "runtimes are registered with dockerd here (podman: --runtime PATH)" && return
	not_on_runtime runsc "checks which runtime each level chooses itself" && return
	runsc_registered || return
	# The catalogue's busybox entry says runsc; one spec says runc again.
	awk '{print} /^toolchain_id = "busybox"/ {print "runtime = \"runsc\""}' "$CAT" >"$cat"
	write_spec "$s" from-cat <<'YAML'
toolchain: busybox
command: ["uname", "-r"]
YAML
	write_spec "$s" spec-runc <<'YAML'
toolchain: busybox
runtime: runc
command: ["uname", "-r"]
YAML
	"$SANDRUN" run -q --catalogue "$cat" --report "json:$r" --report "html:$TMP/rt.html" "$s" >/dev/null 2>&1
	assert_eq "catalogue entry's runtime" runsc "$(field_of "$r" from-cat "" isolation.runtime)"
	# gVisor's own kernel answers uname.
	assert_eq "runs under gVisor" 4.4.0 "$(field_of "$r" from-cat "" evidence.stdout_tail | tr -d '\n')"
	assert_eq "spec overrides the catalogue" runc "$(field_of "$r" spec-runc "" isolation.runtime)"
	assert_not_contains "runc runs the host kernel" "$(field_of "$r" spec-runc "" evidence.stdout_tail)" 4.4.0
	assert_eq "seccomp recorded" strict "$(field_of "$r" spec-runc "" isolation.seccomp)"
	assert_contains "html shows the runtime" "$(cat "$TMP/rt.html")" runsc
	out=$("$SANDRUN" --catalogue "$cat" explain "$s/from-cat.yaml" 2>&1)
	assert_contains "explain: --runtime" "$out" "--runtime=runsc"
	assert_contains "explain: the profile" "$out" "--security-opt=seccomp="
	# --runtime overrides both.
	"$SANDRUN" run -q --catalogue "$cat" --runtime runc --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "--runtime overrides the catalogue" runc "$(field_of "$r" from-cat "" isolation.runtime)"
	# An unregistered runtime: an error in phase create that says how.
	out=$("$SANDRUN" run --catalogue "$CAT" --runtime nosuch-rt --report "json:$r" "$s" 2>&1)
	rc=$?
	assert_eq "unregistered runtime: exit 1" 1 "$rc"
	assert_eq "outcome" error "$(outcome_of "$r" spec-runc "")"
	assert_eq "phase" create "$(field_of "$r" spec-runc "" phase)"
	assert_contains "cause names it" "$(field_of "$r" spec-runc "" cause)" "runtime 'nosuch-rt' is not registered"
	assert_contains "cause says how" "$(field_of "$r" spec-runc "" cause)" "/etc/docker/daemon.json"
	# Bad values are usage errors with a position.
	write_spec "$TMP/rt-bad" bad <<'YAML'
toolchain: busybox
runtime: "no way"
seccomp: ../../etc/passwd
command: ["true"]
YAML
	out=$("$SANDRUN" --catalogue "$CAT" check "$TMP/rt-bad" 2>&1)
	assert_eq "bad runtime: exit 2" 2 "$?"
	assert_contains "bad runtime: position" "$out" "bad.yaml:2:10: runtime 'no way' must match"
	out=$("$SANDRUN" run --catalogue "$CAT" --runtime 'a b' "$s" 2>&1)
	assert_eq "--runtime 'a b': exit 2" 2 "$?"
}

# The strict profile refuses each syscall it denies (EPERM, ENOSYS for
# clone3) and `default` lets the ones strict removes through (on runc:
# under gVisor its own kernel refuses several of them anyway).
t_walls_seccomp_probes_strict_and_default() {
	local s=$TMP/probe r=$TMP/probe.json line name v strict_only=1 n=0
	docker_only "the probe compares against Docker's default profile" && return
	mkdir -p "$s/work"
	gcc -static -O1 -o "$s/work/probe" "$FX_WALLS/probe.c" || { fail "cannot build the probe"; return; }
	cp "$ROOT/share/seccomp-strict.json" "$s/profile.json"
	for m in strict default ./profile.json; do
		write_spec "$s" "p-$(basename "$m" .json)" <<YAML
toolchain: busybox
workdir: ./work
command: ["/work/probe"]
seccomp: $m
YAML
	done
	write_spec "$s" p-unset <<'YAML'
toolchain: busybox
workdir: ./work
command: ["/work/probe"]
YAML
	"$SANDRUN" run -q -j 2 --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "unset is strict" strict "$(field_of "$r" p-unset "" isolation.seccomp)"
	assert_eq "a path is recorded" "$s/profile.json" "$(field_of "$r" p-profile "" isolation.seccomp)"
	for h in p-strict p-unset p-profile; do
		assert_contains "$h ran the probe" "$(field_of "$r" "$h" "" evidence.stdout_tail)" "refused="
		while IFS== read -r name v; do
			case $name in --|refused|"") continue ;; esac
			case $v in EPERM|ENOSYS) ;; *) fail "$h: $name=$v, want EPERM or ENOSYS" ;; esac
		done < <(field_of "$r" "$h" "" evidence.stdout_tail)
	done
	if [ "$RUNTIME" = runsc ]; then
		echo "    (runsc: gVisor's own kernel refuses some of strict's syscalls under default too; not compared)"
		return
	fi
	while IFS== read -r name v; do
		[ "$name" = -- ] && strict_only=0
		[ "$strict_only" = 1 ] && [ -n "$v" ] || continue
		n=$((n + 1))
		assert_eq "default lets $name through" OK "$v"
	done < <(field_of "$r" p-default "" evidence.stdout_tail)
	assert_eq "syscalls strict removes from the default" 8 "$n"
	assert_eq "default's record" default "$(field_of "$r" p-default "" isolation.seccomp)"
}

# Sanitizers and libFuzzer under the strict profile (the default): ASan in
# a libFuzzer target (plain and -fork=1), -merge=1, LeakSanitizer (it stops
# the world with ptrace), MemorySanitizer, UBSan.
t_walls_sanitizers_and_libfuzzer_under_strict() {
	local s=$TMP/san r=$TMP/san.json b
	mkdir -p "$s/work"
	cp -r "$ROOT/harnesses/fuzz-crash/work/." "$s/work/" || { fail "no fuzz-crash target (ci/setup.sh builds it)"; return; }
	rm -rf "$s/work/out"
	clang -g -O0 -fsanitize=address -o "$s/work/leak" "$FX_WALLS/leak.c" &&
		clang -g -O0 -fsanitize=memory -o "$s/work/msan" "$FX_WALLS/msan.c" &&
		clang -g -O0 -fsanitize=undefined -fno-sanitize-recover=all -o "$s/work/ubsan" "$FX_WALLS/ubsan.c" ||
		{ fail "cannot build the sanitizer programs"; return; }
	for b in leak msan ubsan; do
		write_spec "$s" "$b" <<YAML
toolchain: libfuzzer
workdir: ./work
command: ["/work/$b"]
oracle: {crash: true}
expect: crash
YAML
	done
	write_spec "$s" fuzz <<'YAML'
toolchain: libfuzzer
workdir: ./work
command: ["/work/fuzz_target", "-artifact_prefix=/tmp/", "-max_total_time=30", "/work/corpus"]
timeout: 60s
limits: {memory: 1g}
oracle: {crash: true}
expect: crash
YAML
	write_spec "$s" fork <<'YAML'
toolchain: libfuzzer
workdir: ./work
command: ["/work/fuzz_target", "-fork=1", "-ignore_crashes=0", "-artifact_prefix=/tmp/", "-max_total_time=30", "/work/corpus"]
timeout: 60s
limits: {memory: 1g}
oracle: {crash: true}
expect: crash
YAML
	write_spec "$s" merge <<'YAML'
toolchain: libfuzzer
workdir: ./work
command: ["sh", "-c", "mkdir -p /tmp/m && /work/fuzz_target -merge=1 /tmp/m /work/corpus 2>&1"]
timeout: 60s
limits: {memory: 1g}
oracle: {stdout: "MERGE-OUTER: "}
expect: confirmed
YAML
	"$SANDRUN" run -q -j 2 --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	for b in leak msan ubsan fuzz fork merge; do
		assert_eq "$b: seccomp" strict "$(field_of "$r" "$b" "" isolation.seccomp)"
	done
	assert_eq "leak: crash" crash "$(outcome_of "$r" leak "")"
	assert_eq "leak: LeakSanitizer" LeakSanitizer "$(field_of "$r" leak "" crash.tool)"
	assert_contains "leak: the report" "$(field_of "$r" leak "" evidence.stderr_tail)" "ERROR: LeakSanitizer: detected memory leaks"
	assert_eq "msan: MemorySanitizer" MemorySanitizer "$(field_of "$r" msan "" crash.tool)"
	assert_eq "ubsan: UBSan" UndefinedBehaviorSanitizer "$(field_of "$r" ubsan "" crash.tool)"
	assert_eq "libFuzzer finds the bug" heap-buffer-overflow "$(field_of "$r" fuzz "" crash.type)"
	assert_eq "-fork=1 finds it too" heap-buffer-overflow "$(field_of "$r" fork "" crash.type)"
	assert_eq "-merge=1 runs" confirmed "$(outcome_of "$r" merge "")"
}

# A hog that is its container's last process reads `oom` 20 of 20 times
# while another suite runs beside it: the kernel's counter in the memory
# cgroup, not dockerd's OOM event, decides.
t_walls_oom_last_process_20_of_20_under_load() {
	local s=$TMP/hog r=$TMP/hog.json bg
	docker_only "the kernel counter is read on the Docker Engine API route" && return
	write_spec "$s" hog <<'YAML'
toolchain: busybox
command: ["awk", "BEGIN { s = \"a\"; while (1) s = s s }"]
timeout: 30s
limits: {memory: 48m}
expect: oom
YAML
	"$SANDRUN" run -q -j 2 --catalogue "$CAT" --report "json:$TMP/load.json" "$ROOT/harnesses" >/dev/null 2>&1 &
	bg=$!
	"$SANDRUN" run -q -j 2 --repeat 20 --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	wait "$bg"
	assert_eq "20 of 20 read oom" 20 "$(jq '[.records[] | select(.outcome == "oom")] | length' "$r")"
	jq -r '.records[] | select(.outcome != "oom") | "    not oom: \(.outcome) exit \(.exit_code) \(.cause)"' "$r"
	assert_eq "the bundled oom-hog beside it" oom "$(outcome_of "$TMP/load.json" oom-hog "")"
}
