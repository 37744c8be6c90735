# gc and the start-up sweep: what a killed run leaves (its container, its run
# directory and, as root, the /work tmpfs mounted in it) is removed once its
# owner is gone, and never while the owner lives. Each test uses a private
# TMPDIR so it only ever sees its own runs' directories.

# gc_sleep_spec DIR NAME SECONDS
gc_sleep_spec() {
	write_spec "$1" "$2" <<EOF
toolchain: busybox
command: ["sleep", "$3"]
timeout: 60s
EOF
}

# gc_wait_container HARNESS: until a container of that harness is running.
gc_wait_container() {
	local i
	for i in $(seq 1 150); do
		[ "$(engine ps -q --filter "label=sandrun.harness=$1" | wc -l)" -ge 1 ] && return 0
		sleep 0.2
	done
	fail "no container for $1 started"
	return 1
}

gc_mounts_under() { grep -c " $1/" /proc/self/mountinfo; }

gc_run_dirs() { find "$1" -mindepth 2 -maxdepth 2 -name 'sandrun-*' -type d | wc -l; }

gc_roots() { find "$1" -mindepth 1 -maxdepth 1 -name 'sandrun-*' | wc -l; }

t_gc_removes_a_killed_runs_dir_and_mount() {
	local d=$TMP/gc-killed s=$TMP/gc-killed-suite pid
	mkdir -p "$d"
	gc_sleep_spec "$s" gckilled 60
	TMPDIR=$d "$SANDRUN" run --catalogue "$CAT" "$s" >/dev/null 2>&1 &
	pid=$!
	gc_wait_container gckilled || { kill -KILL "$pid"; return; }
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	assert_eq "the killed run left its run dir" 1 "$(gc_run_dirs "$d")"
	if [ "$(id -u)" = 0 ]; then
		assert_eq "the killed run left its /work mount" 1 "$(gc_mounts_under "$d")"
	fi
	TMPDIR=$d "$SANDRUN" gc >"$TMP/gc-killed.out" 2>&1
	assert_eq "gc exit code" 0 "$?"
	assert_contains "gc says what it removed" "$(cat "$TMP/gc-killed.out")" "removing run directory"
	assert_eq "run dirs left" 0 "$(gc_roots "$d")"
	assert_eq "mounts left" 0 "$(gc_mounts_under "$d")"
	assert_eq "container left" 0 "$(engine ps -aq --filter label=sandrun.harness=gckilled | wc -l)"
}

t_gc_run_startup_sweeps_a_killed_runs_dir() {
	local d=$TMP/gc-startup s=$TMP/gc-startup-suite q=$TMP/gc-startup-quick pid
	mkdir -p "$d"
	gc_sleep_spec "$s" gcstartup 60
	gc_sleep_spec "$q" gcquick 0
	TMPDIR=$d "$SANDRUN" run --catalogue "$CAT" "$s" >/dev/null 2>&1 &
	pid=$!
	gc_wait_container gcstartup || { kill -KILL "$pid"; return; }
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	assert_eq "the killed run left its run dir" 1 "$(gc_run_dirs "$d")"
	TMPDIR=$d "$SANDRUN" run --catalogue "$CAT" "$q" >/dev/null 2>&1
	assert_eq "next run's exit code" 0 "$?"
	assert_eq "run dirs left" 0 "$(gc_roots "$d")"
	assert_eq "mounts left" 0 "$(gc_mounts_under "$d")"
	assert_eq "container left" 0 "$(engine ps -aq --filter label=sandrun.harness=gcstartup | wc -l)"
}

t_gc_keeps_a_live_runs_dir_and_mount() {
	local d=$TMP/gc-live s=$TMP/gc-live-suite r=$TMP/gc-live.json pid rc
	mkdir -p "$d"
	gc_sleep_spec "$s" gclive 4
	TMPDIR=$d "$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1 &
	pid=$!
	gc_wait_container gclive || { wait "$pid"; return; }
	TMPDIR=$d "$SANDRUN" gc >/dev/null 2>&1
	assert_eq "gc exit code" 0 "$?"
	assert_eq "live run dir kept" 1 "$(gc_run_dirs "$d")"
	if [ "$(id -u)" = 0 ]; then
		assert_eq "live /work mount kept" 1 "$(gc_mounts_under "$d")"
	fi
	assert_eq "live container kept" 1 "$(engine ps -q --filter label=sandrun.harness=gclive | wc -l)"
	wait "$pid"
	rc=$?
	assert_eq "the live run finished normally" 0 "$rc"
	assert_eq "its outcome" not_confirmed "$(outcome_of "$r" gclive "")"
	assert_eq "its own cleanup ran" 0 "$(gc_roots "$d")"
}
