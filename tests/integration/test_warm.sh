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
