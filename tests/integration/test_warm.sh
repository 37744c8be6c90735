# Warm containers (isolation: harness): one container serves a harness's
# runs, and each run still sees what a fresh container would give it.

# A first payload that leaves everything it can behind; the second reports
# what it finds.
t_warm_second_run_sees_nothing_of_the_first() {
	local s=$TMP/warm1 r=$TMP/warm1.json out
	mkdir -p "$s/work"
	echo pristine >"$s/work/orig.txt"
	write_spec "$s" warm1 <<'EOF'
toolchain: busybox
workdir: ./work
command:
  - sh
  - -c
  - |
    if [ "$SANDRUN_PAYLOAD" = hostile ]; then
      setsid sleep 4242 </dev/null >/dev/null 2>&1 &
      sleep 4243 </dev/null >/dev/null 2>&1 &
      echo left >/tmp/left; mkdir -p /tmp/d/e; echo x >/tmp/d/e/f; chmod 000 /tmp/d
      echo shm >/dev/shm/left
      echo changed >/work/orig.txt; echo new >/work/new.txt
      export SANDRUN_PAYLOAD=overridden; env >/work/env.txt; env >/tmp/env.txt
      echo "first token $SANDRUN_TOKEN"
    else
      echo "payload=$SANDRUN_PAYLOAD file=$(cat /sandrun/payload)"
      for p in /proc/[0-9]*; do tr '\0' ' ' <$p/cmdline 2>/dev/null; echo; done | grep -cx 'sleep 424[23] ' | sed 's/^/sleepers=/'
      echo "tmp=[$(ls -A /tmp)] shm=[$(ls -A /dev/shm)] work=[$(ls -A /work)]"
      echo "orig=$(cat /work/orig.txt)"
    fi
payloads:
  - {name: a, value: hostile}
  - {name: b, value: second}
expect: not_confirmed
isolation: harness
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	assert_eq "first run: a new container" false "$(field_of "$r" warm1 a isolation.container_reused)"
	assert_eq "second run: the same container" true "$(field_of "$r" warm1 b isolation.container_reused)"
	assert_eq "one container for both" "$(field_of "$r" warm1 a container)" "$(field_of "$r" warm1 b container)"
	out=$(field_of "$r" warm1 b evidence.stdout_tail)
	assert_contains "the run's own payload and env" "$out" "payload=second file=second"
	assert_contains "no process of the first run" "$out" "sleepers=0"
	assert_contains "/tmp, /dev/shm empty; /work a fresh copy" "$out" "tmp=[] shm=[] work=[orig.txt]"
	assert_contains "/work file restored" "$out" "orig=pristine"
}

# A run past its deadline ends the container; the next run gets a new one
# and a correct verdict. Exit codes and signals read as with a run's own
# container (128+N from a signal).
t_warm_timeout_signal_and_exit_code() {
	local s=$TMP/warm2 r=$TMP/warm2.json
	write_spec "$s" warm2 <<'EOF'
toolchain: busybox
command: ["sh", "-c", "case $SANDRUN_PAYLOAD in slow) sleep 30;; segv) kill -SEGV $$;; three) exit 3;; esac; exit 0"]
timeout: 1s
payloads:
  - {name: slow, value: slow, expect: timeout}
  - {name: after, value: ok, expect: not_confirmed}
  - {name: segv, value: segv, expect: crash}
  - {name: three, value: three, expect: confirmed}
oracle: {exit_code: [3]}
isolation: harness
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	assert_eq "slow" timeout "$(outcome_of "$r" warm2 slow)"
	assert_eq "after a timeout: a new container" false "$(field_of "$r" warm2 after isolation.container_reused)"
	assert_eq "after" not_confirmed "$(outcome_of "$r" warm2 after)"
	assert_eq "segv" crash "$(outcome_of "$r" warm2 segv)"
	assert_eq "segv signal" 11 "$(field_of "$r" warm2 segv signal)"
	assert_eq "segv reused the container" true "$(field_of "$r" warm2 segv isolation.container_reused)"
	assert_eq "exit 3" confirmed "$(outcome_of "$r" warm2 three)"
	assert_eq "exit code 3" 3 "$(field_of "$r" warm2 three exit_code)"
}

# A run that hits the memory limit is an oom and ends the container.
t_warm_oom_ends_the_container() {
	local s=$TMP/warm3 r=$TMP/warm3.json
	write_spec "$s" warm3 <<'EOF'
toolchain: busybox
command: ["sh", "-c", "[ $SANDRUN_PAYLOAD = hog ] && x=$(head -c 400000000 /dev/zero | tr '\\000' a); echo done"]
timeout: 30s
limits: {memory: 48m}
payloads:
  - {name: hog, value: hog, expect: oom}
  - {name: after, value: ok, expect: not_confirmed}
isolation: harness
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	assert_eq "hog" oom "$(outcome_of "$r" warm3 hog)"
	assert_eq "after" not_confirmed "$(outcome_of "$r" warm3 after)"
	assert_eq "after an oom: a new container" false "$(field_of "$r" warm3 after isolation.container_reused)"
}

# The bundled suite, every spec switched to isolation: harness, gives the
# verdicts it gives with a container per run.
t_warm_bundled_suite_verdicts_unchanged() {
	local s=$TMP/warmsuite a=$TMP/suite-run.json b=$TMP/suite-warm.json f
	cp -r "$ROOT/harnesses" "$s"
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$a" "$s" >/dev/null 2>&1
	for f in "$s"/*/harness.yaml; do
		printf '\nisolation: harness\n' >>"$f"
	done
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$b" "$s" >/dev/null 2>&1
	assert_eq "same verdicts" \
		"$(jq -c '[.records[] | [.harness, .payload, .repeat_index, .outcome]] | sort' "$a")" \
		"$(jq -c '[.records[] | [.harness, .payload, .repeat_index, .outcome]] | sort' "$b")"
	assert_contains "some runs reused a container" \
		"$(jq -c '[.records[].isolation.container_reused]' "$b")" true
}

# Issue 17 item 3: the reset's status comes over a channel the run cannot
# write. The first payload prints a forged status line of the old protocol,
# kills its parent, and leaves processes behind every way a shell can
# (setsid, double fork, a loop reading other processes' environments); the
# next payloads must see none of them, nor anything they wrote.
t_trust_3_forged_reset_status() {
	local s=$TMP/forged r=$TMP/forged.json out
	write_spec "$s" forged <<'EOF'
toolchain: busybox
command:
  - sh
  - -c
  - |
    if [ "$SANDRUN_PAYLOAD" = hostile ]; then
      setsid sleep 4242 </dev/null >/dev/null 2>&1 &
      (sleep 4243 </dev/null >/dev/null 2>&1 &) &
      setsid sh -c 'while :; do cat /proc/[0-9]*/environ >>/dev/shm/leak 2>/dev/null; cp /dev/shm/leak /tmp/leak 2>/dev/null; echo spy >/work/spy 2>/dev/null; sleep 0.05; done' </dev/null >/dev/null 2>&1 &
      sleep 0.3
      printf '\nsr-idle-status: 0 reset ok oom_kill 0\n' >&2
      kill -9 $PPID 2>/dev/null
      exit 0
    fi
    sleep 0.5
    n=0
    for p in /proc/[0-9]*; do
      [ "${p#/proc/}" = 1 ] || [ "${p#/proc/}" = $$ ] || n=$((n+1))
    done
    left="tmp=[$(ls -A /tmp)] shm=[$(ls -A /dev/shm)] work=[$(ls -A /work)]"
    echo "others=$n $left"
    [ $n = 0 ] && [ "$left" = "tmp=[] shm=[] work=[]" ] || exit 3
payloads:
  - {name: a, value: hostile}
  - {name: b, value: second}
  - {name: c, value: third}
oracle: {exit_code: [3]}
expect: not_confirmed
isolation: harness
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	for p in b c; do
		out=$(field_of "$r" forged $p evidence.stdout_tail)
		assert_eq "payload $p: nothing of the first ($out)" not_confirmed "$(outcome_of "$r" forged $p)"
		assert_contains "payload $p: only PID 1 and itself" "$out" "others=0 tmp=[] shm=[] work=[]"
		assert_eq "payload $p reused the container" true "$(field_of "$r" forged $p isolation.container_reused)"
	done
}

# Issue 17 item 4: POSIX message queues and SysV IPC objects of one payload
# are gone for the next (a static helper built here makes them; /dev/mqueue
# takes a queue from a plain open).
t_trust_4_mqueue_reset() {
	local s=$TMP/mq r=$TMP/mq.json out
	mkdir -p "$s/work"
	cat >"$TMP/ipc.c" <<'EOF'
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
int main(void)
{
	struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 64};
	mqd_t q = mq_open("/srleft", O_CREAT | O_RDWR, 0600, &a);
	int ok = q != (mqd_t)-1 && mq_send(q, "secret", 6, 0) == 0;
	ok &= shmget(0x5172, 4096, IPC_CREAT | 0600) >= 0;
	ok &= msgget(0x5173, IPC_CREAT | 0600) >= 0;
	ok &= semget(0x5174, 1, IPC_CREAT | 0600) >= 0;
	printf("made=%d\n", ok);
	return !ok;
}
EOF
	cc -static -O1 -o "$s/work/ipc" "$TMP/ipc.c" -lrt 2>/dev/null ||
		{ skip "no static C toolchain on the host for the IPC helper"; return; }
	# seccomp: default: the strict profile refuses msgget, and this test
	# needs the queues made to show the reset removes them.
	write_spec "$s" mq <<'EOF'
toolchain: busybox
seccomp: default
workdir: ./work
command:
  - sh
  - -c
  - |
    if [ "$SANDRUN_PAYLOAD" = hostile ]; then
      ./ipc; touch /dev/mqueue/plain; ls -A /dev/mqueue; exit 0
    fi
    n=$(cat /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem | grep -vc key)
    echo "mq=[$(ls -A /dev/mqueue)] sysv=$n"
    [ -z "$(ls -A /dev/mqueue)" ] && [ "$n" = 0 ] || exit 3
payloads:
  - {name: a, value: hostile}
  - {name: b, value: second}
oracle: {exit_code: [3]}
expect: not_confirmed
isolation: harness
repeat: 2
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	assert_contains "the first payload made them" "$(field_of "$r" mq a evidence.stdout_tail)" "made=1"
	out=$(field_of "$r" mq b evidence.stdout_tail)
	assert_contains "no queue, no SysV object left" "$out" "mq=[] sysv=0"
	assert_eq "b" not_confirmed "$(outcome_of "$r" mq b)"
	assert_eq "b reused the container" true "$(field_of "$r" mq b isolation.container_reused)"
}

# Issue 17 item 4: PID 1 runs as its own uid: a payload can neither signal
# it, nor read its environment or descriptors, nor reach the control
# socket's directory; PID 1 goes on serving the next payload.
t_trust_4_pid1_out_of_reach() {
	local s=$TMP/pid1 r=$TMP/pid1.json out
	write_spec "$s" pid1 <<'EOF'
toolchain: busybox
command:
  - sh
  - -c
  - |
    echo "me=$(id -u) pid1=$(awk '/^Uid/ {print $2}' /proc/1/status)"
    for sig in STOP TERM KILL HUP; do kill -$sig 1 2>/dev/null && echo "signalled=$sig"; done
    cat /proc/1/environ >/dev/null 2>&1 && echo environ=readable
    ls /proc/1/fd >/dev/null 2>&1 && echo fds=readable
    ls /sandrun/ctl >/dev/null 2>&1 && echo ctl=listable
    echo done
payloads:
  - {name: a, value: a}
  - {name: b, value: b}
expect: not_confirmed
isolation: harness
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	out=$(field_of "$r" pid1 a evidence.stdout_tail)
	assert_contains "the payload runs as the run user" "$out" "me=65534 "
	assert_not_contains "PID 1 is another uid" "$out" "pid1=65534"
	assert_not_contains "no signal reaches PID 1" "$out" "signalled="
	assert_not_contains "PID 1's environment is closed" "$out" "environ=readable"
	assert_not_contains "PID 1's descriptors are closed" "$out" "fds=readable"
	assert_not_contains "the control directory is closed" "$out" "ctl=listable"
	assert_contains "the payload ran to its end" "$out" "done"
	assert_eq "PID 1 serves the next payload" true "$(field_of "$r" pid1 b isolation.container_reused)"
}

# Issue 17 item 4: --keep stops a warm container before keeping it: no
# process of it runs after sandrun exits.
t_trust_4_keep_retires_warm() {
	local s=$TMP/keepw r=$TMP/keepw.json name running work out
	write_spec "$s" keepw <<'EOF'
toolchain: busybox
command: ["sh", "-c", "setsid sleep 4245 </dev/null >/dev/null 2>&1 & echo ok"]
payloads:
  - {name: a, value: a}
  - {name: b, value: b}
expect: not_confirmed
isolation: harness
EOF
	out=$("$SANDRUN" run --catalogue "$CAT" --keep --report "json:$r" "$s" 2>&1)
	assert_eq "exit code" 0 "$?"
	name=$(field_of "$r" keepw b container)
	running=$(engine inspect --format '{{.State.Running}}' "$name" 2>&1)
	assert_eq "the kept container is stopped" false "$running"
	work=$(printf '%s\n' "$out" | sed -n 's/.*--keep: warm container .* kept with \/work at \([^ ]*\).*/\1/p' | head -1)
	[ -n "$work" ] || fail "no --keep line for the warm container in: $out"
	engine rm -f "$name" >/dev/null 2>&1
	if [ -n "$work" ]; then
		umount "$work" 2>/dev/null
		mountpoint -q "$work" && fail "cannot unmount the kept /work at $work"
		# The run's temp root (sandrun-<run id>) goes with it.
		case $(dirname "$(dirname "$work")") in
		*/sandrun-*) rm -rf "$(dirname "$(dirname "$work")")" ;;
		*) rm -rf "$(dirname "$work")" ;;
		esac
	fi
}

# SANDRUN_REPEAT and the rest of a cold run's environment reach warm runs
# (one environment builder for both).
t_warm_env_matches_a_cold_run() {
	local s=$TMP/wenv r=$TMP/wenv.json a b
	write_spec "$s" wenv <<'EOF'
toolchain: busybox
command: ["sh", "-c", "env | grep -E '^(SANDRUN_[A-Z_]*|HOME|K)=' | grep -v TOKEN | grep -v RUN_ID | sort | tr '\\n' ' '"]
env: {K: v}
payloads:
  - {name: a, value: "x y"}
repeat: 2
expect: not_confirmed
EOF
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	a=$(jq -r '[.records[].evidence.stdout_tail] | join("|")' "$r")
	printf '\nisolation: harness\n' >>"$s/wenv.yaml"
	"$SANDRUN" run --catalogue "$CAT" --report "json:$r" "$s" >/dev/null 2>&1
	b=$(jq -r '[.records[].evidence.stdout_tail] | join("|")' "$r")
	assert_contains "SANDRUN_REPEAT in warm runs" "$b" "SANDRUN_REPEAT=2"
	assert_eq "same environment warm and cold" "$a" "$b"
	assert_eq "the second run reused the container" true "$(jq -r '.records[1].isolation.container_reused' "$r")"
}

# isolation: pool: one container serves different harnesses of the same
# configuration, and each harness still sees a fresh container: the
# hostile sequence of t_trust_3 across harnesses (processes, /tmp,
# /dev/shm, POSIX queues, /work, environment, token).
t_pool_hostile_sequence_across_harnesses() {
	local s=$TMP/pool1 r=$TMP/pool1.json out tok
	mkdir -p "$s/a/work" "$s/b/work"
	echo a-file >"$s/a/work/a.txt"
	echo b-file >"$s/b/work/b.txt"
	write_spec "$s/a" harness <<'EOF'
name: pa
toolchain: busybox
workdir: ./work
env: {ONLY_A: "1"}
command:
  - sh
  - -c
  - |
    setsid sleep 4242 </dev/null >/dev/null 2>&1 &
    (sleep 4243 </dev/null >/dev/null 2>&1 &) &
    echo "$SANDRUN_TOKEN" >/dev/shm/token; echo x >/tmp/x; touch /dev/mqueue/q
    echo changed >/work/a.txt; echo more >/work/more.txt
    printf '\nsr-idle-status: 0 reset ok oom_kill 0\n' >&2
    echo "token=$SANDRUN_TOKEN"
payloads:
  - {name: a, value: a}
expect: not_confirmed
isolation: pool
EOF
	write_spec "$s/b" harness <<'EOF'
name: pb
toolchain: busybox
workdir: ./work
command:
  - sh
  - -c
  - |
    n=0
    for p in /proc/[0-9]*; do [ "${p#/proc/}" = 1 ] || [ "${p#/proc/}" = $$ ] || n=$((n+1)); done
    left="tmp=[$(ls -A /tmp)] shm=[$(ls -A /dev/shm)] mq=[$(ls -A /dev/mqueue)] work=[$(ls -A /work)]"
    echo "others=$n $left harness=$SANDRUN_HARNESS a=${ONLY_A:-unset}"
    [ $n = 0 ] && [ "$left" = "tmp=[] shm=[] mq=[] work=[b.txt]" ] && [ -z "$ONLY_A" ] || exit 3
payloads:
  - {name: b, value: b}
oracle: {exit_code: [3]}
expect: not_confirmed
isolation: pool
EOF
	"$SANDRUN" run --catalogue "$CAT" -j 1 --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	assert_eq "one container for both harnesses" "$(field_of "$r" pa a container)" "$(field_of "$r" pb b container)"
	assert_eq "the second harness reused it" true "$(field_of "$r" pb b isolation.container_reused)"
	out=$(field_of "$r" pb b evidence.stdout_tail)
	assert_contains "nothing of the first harness" "$out" "others=0 tmp=[] shm=[] mq=[] work=[b.txt] harness=pb a=unset"
	assert_eq "b" not_confirmed "$(outcome_of "$r" pb b)"
	tok=$(field_of "$r" pa a token)
	assert_not_contains "the first token is nowhere in the second run" "$out" "$tok"
}

# isolation: pool is bounded by -j, keyed by configuration (another memory
# limit: another container), and a timeout retires the container.
t_pool_bounded_keyed_and_retired() {
	local s=$TMP/pool2 r=$TMP/pool2.json i n
	for i in 1 2 3 4 5; do
		write_spec "$s" "h$i" <<EOF
name: h$i
toolchain: busybox
command: ["sh", "-c", "[ \$SANDRUN_PAYLOAD = slow ] && sleep 30; echo ok"]
timeout: 2s
payloads:
  - {name: a, value: a}
isolation: pool
expect: not_confirmed
EOF
	done
	write_spec "$s" h6 <<'EOF'
name: h6
toolchain: busybox
command: ["sh", "-c", "[ $SANDRUN_PAYLOAD = slow ] && sleep 30; echo ok"]
limits: {memory: 96m}
payloads:
  - {name: a, value: a}
isolation: pool
expect: not_confirmed
EOF
	"$SANDRUN" run --catalogue "$CAT" -j 2 --report "json:$r" "$s" >/dev/null 2>&1
	assert_eq "exit code" 0 "$?"
	n=$(jq -r '[.records[] | select(.harness != "h6") | .container] | unique | length' "$r")
	[ "$n" -le 2 ] || fail "-j 2 but $n containers for the same configuration"
	assert_contains "some harness reused a container" "$(jq -c '[.records[].isolation.container_reused]' "$r")" true
	assert_not_contains "another memory limit: another container" \
		"$(jq -r '[.records[] | select(.harness != "h6") | .container] | join(" ")' "$r")" \
		"$(field_of "$r" h6 a container)"
	# A timeout ends the container: the next harness gets a fresh one.
	sed -i 's/value: a}/value: slow, expect: timeout}/' "$s/h1.yaml"
	"$SANDRUN" run --catalogue "$CAT" -j 1 --report "json:$r" "$s/h1.yaml" "$s/h2.yaml" >/dev/null 2>&1
	assert_eq "timeout" timeout "$(outcome_of "$r" h1 a)"
	assert_eq "after a timeout: a new container" false "$(field_of "$r" h2 a isolation.container_reused)"
}
