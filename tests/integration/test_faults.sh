# Faults on the real engine (issue 8): a registry that never answers, the
# engine stopped and started, a full temp root, a full report target,
# signals at every stage, two runners and gc at once. Each test ends with
# nothing left behind (checked by run_test: containers, networks, chains;
# here also mounts and run directories).

# Mounts and run directories a run left under TMPDIR-style roots.
no_run_leftovers() {
	local what=$1 root=${2:-/tmp}
	if grep -q " $root/sandrun-" /proc/mounts; then
		fail "$what: tmpfs mounts left: $(grep " $root/sandrun-" /proc/mounts | awk '{print $2}' | tr '\n' ' ')"
	fi
}

# wait_for_containers LABEL N: until N containers of harness LABEL run (max 20 s).
wait_for_containers() {
	local i
	for i in $(seq 1 100); do
		[ "$(engine ps -q --filter "label=sandrun.harness=$1" | wc -l)" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# A TCP server on 127.0.0.1 that accepts every connection and never answers;
# prints its port. Stopped by the pid in $TMP/blackhole.pid.
start_blackhole() {
	# Its output must not hold a caller's $(...) open.
	python3 - "$TMP/blackhole.port" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept()
    held.append(c)
PY
	echo $! >"$TMP/blackhole.pid"
	local i
	for i in $(seq 1 50); do
		[ -s "$TMP/blackhole.port" ] && break
		sleep 0.1
	done
	cat "$TMP/blackhole.port"
}

stop_blackhole() {
	[ -f "$TMP/blackhole.pid" ] && kill "$(cat "$TMP/blackhole.pid")" 2>/dev/null
	rm -f "$TMP/blackhole.pid" "$TMP/blackhole.port"
}

# A catalogue with one unpinned entry served by the black hole.
blackhole_catalogue() {
	cat >"$TMP/bh.toml" <<EOF
[[image]]
toolchain_id = "hole"
base = "127.0.0.1:$1/sandrun/never:1"
toolchain = "never answers"
packages = {}
digest = ""
EOF
}

t_fault_registry_never_answers_pull_deadline() {
	local port s=$TMP/bh r=$TMP/bh.json rc start el
	start_blackhole >/dev/null
	port=$(cat "$TMP/blackhole.port")
	blackhole_catalogue "$port"
	write_spec "$s" hole <<'EOF'
toolchain: hole
command: ["true"]
EOF
	start=$(date +%s)
	timeout 120 "$SANDRUN" run --catalogue "$TMP/bh.toml" --pull-timeout 3s --report "json:$r" "$s" >/dev/null 2>&1
	rc=$?
	el=$(($(date +%s) - start))
	stop_blackhole
	assert_eq "exit code" 1 "$rc"
	assert_eq "outcome" error "$(outcome_of "$r" hole "")"
	assert_eq "phase" pull "$(field_of "$r" hole "" phase)"
	[ "$el" -le 40 ] || fail "the pull deadline of 3 s took ${el}s"
}

t_fault_sigterm_during_pull_exits_143() {
	local port s=$TMP/bhs r=$TMP/bhs.json pid rc
	start_blackhole >/dev/null
	port=$(cat "$TMP/blackhole.port")
	blackhole_catalogue "$port"
	write_spec "$s" hole <<'EOF'
toolchain: hole
command: ["true"]
EOF
	"$SANDRUN" run --catalogue "$TMP/bh.toml" --pull-timeout 5m --report "json:$r" "$s" >/dev/null 2>&1 &
	pid=$!
	sleep 2
	kill -TERM "$pid"
	timeout 30 tail --pid="$pid" -f /dev/null || fail "sandrun did not exit within 30 s of SIGTERM during a pull"
	wait "$pid"
	rc=$?
	stop_blackhole
	assert_eq "exit code" 143 "$rc"
	assert_eq "report written" 1 "$(jq '.records | length' "$r" 2>/dev/null)"
}

t_fault_sighup_during_run_exits_129() {
	local s=$TMP/hup r=$TMP/hup.json pid rc
	write_spec "$s" slowhup <<'EOF'
toolchain: busybox
command: ["sleep", "60"]
timeout: 120s
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1 &
	pid=$!
	wait_for_containers slowhup 1 || fail "the run did not start"
	kill -HUP "$pid"
	timeout 30 tail --pid="$pid" -f /dev/null || fail "sandrun did not exit within 30 s of SIGHUP"
	wait "$pid"
	rc=$?
	assert_eq "exit code" 129 "$rc"
	assert_eq "record kept" error "$(outcome_of "$r" slowhup "")"
	assert_eq "marked interrupted" true "$(jq .run.interrupted "$r")"
	no_run_leftovers "SIGHUP"
}

t_fault_sigterm_during_grace_wait_is_prompt() {
	local s=$TMP/grace r=$TMP/grace.json pid rc start el
	write_spec "$s" gracewait <<'EOF'
toolchain: busybox
command: ["true"]
network: oob
oracle: {oob: true}
EOF
	start=$(date +%s)
	"$SANDRUN" run --catalogue "$CAT" --oob-grace 60s --report "json:$r" "$s" >/dev/null 2>&1 &
	pid=$!
	# The container is gone within seconds; the runner then waits for callbacks.
	sleep 4
	kill -TERM "$pid"
	timeout 20 tail --pid="$pid" -f /dev/null || fail "sandrun did not exit within 20 s of SIGTERM in the grace wait"
	wait "$pid"
	rc=$?
	el=$(($(date +%s) - start))
	assert_eq "exit code" 143 "$rc"
	[ "$el" -le 30 ] || fail "grace wait not interrupted (${el}s)"
	assert_eq "report written" 1 "$(jq '.records | length' "$r" 2>/dev/null)"
}

t_fault_tmp_root_full() {
	local mnt=$TMP/smalltmp s=$TMP/tmpfull r=$TMP/tmpfull.json rc out
	mkdir -p "$mnt" "$s/w"
	mount -t tmpfs -o size=256k sandrun-test-small "$mnt" || {
		fail "cannot mount a tmpfs (root needed)"
		return
	}
	head -c 300000 /dev/urandom >"$s/w/big.bin"
	dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null
	write_spec "$s" needsroom <<'EOF'
toolchain: busybox
workdir: ./w
command: ["true"]
EOF
	out=$(TMPDIR=$mnt timeout 120 "$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" 2>&1)
	rc=$?
	assert_eq "exit code" 1 "$rc"
	assert_eq "the run is an error" error "$(outcome_of "$r" needsroom "")"
	assert_contains "cause says why" "$(field_of "$r" needsroom "" cause)" "No space"
	umount "$mnt" || fail "the small tmpfs stayed busy: $(grep "$mnt" /proc/mounts)"
	no_run_leftovers "full temp root" "$mnt"
}

t_fault_report_target_on_full_filesystem() {
	local mnt=$TMP/fullrep r rc out
	mkdir -p "$mnt"
	mount -t tmpfs -o size=64k sandrun-test-full "$mnt" || {
		fail "cannot mount a tmpfs (root needed)"
		return
	}
	r=$mnt/report.json
	dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null
	out=$(timeout 120 "$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$ROOT/harnesses/cmdi-echo" 2>&1)
	rc=$?
	[ "$rc" != 0 ] || fail "exit 0 although the report could not be written"
	assert_contains "message names the path" "$out" "$r"
	[ -e "$r" ] && fail "a truncated report was left under the final name"
	assert_eq "no temp files left" "fill" "$(ls "$mnt")"
	umount "$mnt"
}

t_fault_report_dev_full_is_not_success() {
	local out rc
	out=$(timeout 120 "$SANDRUN" run --catalogue "$CAT" --report json:/dev/full "$ROOT/harnesses/cmdi-echo" 2>&1)
	rc=$?
	[ "$rc" != 0 ] || fail "exit 0 writing the report to /dev/full"
	assert_contains "message names /dev/full" "$out" "/dev/full"
	[ -c /dev/full ] || fail "/dev/full was replaced by a regular file"
}

t_fault_report_path_checked_before_any_container() {
	local out rc since
	since=$(date +%s)
	out=$(timeout 60 "$SANDRUN" run --catalogue "$CAT" --report json:/nonexistent-dir/x.json "$ROOT/harnesses/cmdi-echo" 2>&1)
	rc=$?
	assert_eq "exit code" 2 "$rc"
	assert_contains "message names the path" "$out" "/nonexistent-dir"
	assert_eq "no container was started" 0 \
		"$(docker events --since "$since" --until "$(date +%s)" --filter event=create --filter label=sandrun.harness=cmdi-echo 2>/dev/null | wc -l)"
}

t_fault_report_symlink_followed() {
	local d=$TMP/symrep rc
	mkdir -p "$d"
	echo old >"$d/real.json"
	ln -s real.json "$d/link.json"
	timeout 120 "$SANDRUN" run --catalogue "$CAT" --report "json:$d/link.json" "$ROOT/harnesses/cmdi-echo" >/dev/null 2>&1
	rc=$?
	assert_eq "exit code" 0 "$rc"
	[ -L "$d/link.json" ] || fail "the symlink was replaced"
	assert_eq "report through the link" 3 "$(jq '.records | length' "$d/real.json")"
}

t_fault_two_runners_and_gc_while_live() {
	local s1=$TMP/two1 s2=$TMP/two2 r1=$TMP/two1.json r2=$TMP/two2.json p1 p2 rc1 rc2
	write_spec "$s1" twoa <<'EOF'
toolchain: busybox
command: ["sh", "-c", "sleep 4; echo DONE-A"]
oracle: {stdout: "DONE-A"}
expect: confirmed
timeout: 60s
EOF
	write_spec "$s2" twob <<'EOF'
toolchain: busybox
command: ["sh", "-c", "sleep 4; echo DONE-B"]
oracle: {stdout: "DONE-B"}
expect: confirmed
timeout: 60s
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r1" "$s1" >/dev/null 2>&1 &
	p1=$!
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r2" "$s2" >/dev/null 2>&1 &
	p2=$!
	wait_for_containers twoa 1 && wait_for_containers twob 1 || fail "runs did not start"
	"$SANDRUN" gc >/dev/null 2>&1
	"$SANDRUN" run --catalogue "$CAT" --filter nothing-matches "$s1" >/dev/null 2>&1
	wait "$p1"
	rc1=$?
	wait "$p2"
	rc2=$?
	assert_eq "first runner" 0 "$rc1"
	assert_eq "second runner" 0 "$rc2"
	assert_eq "first confirmed" confirmed "$(outcome_of "$r1" twoa "")"
	assert_eq "second confirmed" confirmed "$(outcome_of "$r2" twob "")"
}

t_fault_dev_zero_spec_refused() {
	local out rc
	out=$(timeout 20 "$SANDRUN" run --catalogue "$CAT" /dev/zero 2>&1)
	rc=$?
	assert_eq "exit code" 2 "$rc"
	assert_contains "says why" "$out" "/dev/zero"
}

t_fault_quiet_never_hides_errors() {
	local out rc
	out=$("$SANDRUN" -q list --catalogue /nonexistent/images.toml 2>&1)
	rc=$?
	assert_eq "exit code" 2 "$rc"
	assert_contains "error printed under -q" "$out" "/nonexistent/images.toml"
}
