# sandrun — see README.md. `make` builds, `make test` runs every test.
CC ?= cc
PKGS := yaml-0.1 libgit2 libxxhash libcurl libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wvla -Wstrict-prototypes
CFLAGS ?= -O2 -g
# `override` keeps these when CFLAGS is given on the command line.
override CFLAGS += -std=gnu11 -I. $(WARN) -D_GNU_SOURCE -fno-strict-aliasing $(PKG_CFLAGS)
override LDLIBS += $(PKG_LIBS) -lpthread

ifneq ($(SANITIZE),)
override CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
override LDFLAGS += -fsanitize=$(SANITIZE)
endif

BUILD ?= build
PREFIX ?= /usr/local

# Three libraries, linked in this order: runner/ and catalogue/ both sit on
# lib/ (the foundations); catalogue/ never includes a file under runner/.
CORE_SRCS := $(wildcard lib/*.c)
# runner/helper/ is left out: its programs are static and have their own main.
RUNNER_SRCS := $(filter-out runner/cli/main.c,$(wildcard $(addsuffix /*.c,$(filter-out runner/helper,$(wildcard runner/*)))))
CAT_SRCS := $(wildcard catalogue/*.c)
CORE_LIB := $(BUILD)/libsrcore.a
CAT_LIB := $(BUILD)/libsrcatalogue.a
RUNNER_LIB := $(BUILD)/libsrrunner.a
LIBS_ALL := $(RUNNER_LIB) $(CAT_LIB) $(CORE_LIB)
MAIN_OBJ := $(BUILD)/runner/cli/main.o
SCHEMAS := schema/harness.schema.json schema/images.schema.json
SCHEMA_OBJ := $(BUILD)/gen/schema_data.o

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

# The DNS relay a non-root run starts on its network (runner/helper/sr-dnsfwd.c,
# image by ci/images/helper.sh); built by its own rule below.
HELPER := $(BUILD)/helper/sr-dnsfwd

.PHONY: all test unit integration integration-podman integration-runsc install clean demo bench fuzz fuzz-hostile format check check-workflows setup asan deb test-package
all: sandrun sandrun.1 $(HELPER)

# Its own flags: static, no libraries, no sanitizers (-static cannot take
# them); the wildcards above skip runner/helper/ (it has its own main).
$(HELPER): runner/helper/sr-dnsfwd.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE -Os -static -s -o $@ $<

# The man page, from scdoc source (ci/setup.sh installs scdoc).
sandrun.1: doc/sandrun.1.scd
	scdoc < $< > $@.tmp && mv $@.tmp $@

sandrun: $(BUILD)/sandrun $(BUILD)/helper/sr-idle $(HELPER)
	cp $< $@

# Static helpers mounted into containers (no libc in the image needed);
# sandrun finds them next to itself (warm.c).
$(BUILD)/helper/%: runner/helper/%.c
	@mkdir -p $(dir $@)
	$(CC) -static -Os -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -o $@ $<

$(BUILD)/helper/sr-idle: runner/helper/idle_proto.h

# The JSON Schemas, compiled into libsrrunner.a for `sandrun schema`
# (runner/cmd/cmd_schema.c); SCHEMAS and SCHEMA_OBJ are set above.
$(BUILD)/gen/schema_data.c: $(SCHEMAS) schema/embed.sh
	@mkdir -p $(dir $@)
	sh schema/embed.sh $@ sr_schema_harness=schema/harness.schema.json sr_schema_images=schema/images.schema.json
$(SCHEMA_OBJ): $(BUILD)/gen/schema_data.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/sandrun: $(MAIN_OBJ) $(LIBS_ALL)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(CORE_LIB): $(CORE_SRCS:%.c=$(BUILD)/%.o)
	rm -f $@
	ar rcs $@ $^

$(CAT_LIB): $(CAT_SRCS:%.c=$(BUILD)/%.o)
	rm -f $@
	ar rcs $@ $^

$(RUNNER_LIB): $(RUNNER_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/seccomp_strict.o $(SCHEMA_OBJ)
	rm -f $@
	ar rcs $@ $^

# The strict seccomp profile (share/seccomp-strict.json) travels inside the
# binary: a run writes it into its own directory (runner/spec/walls.c).
$(BUILD)/gen/seccomp_strict.c: share/seccomp-strict.json
	@mkdir -p $(dir $@)
	{ echo '/* Generated from $< by the Makefile. */'; \
	  echo 'extern const char sr_seccomp_strict_json[];'; \
	  echo 'const char sr_seccomp_strict_json[] = {'; \
	  od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '0};'; } >$@.tmp && mv $@.tmp $@
$(BUILD)/gen/seccomp_strict.o: $(BUILD)/gen/seccomp_strict.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# Every test gets tests/unit/testutil.h first: shared helpers and the TEST
# filter (TEST=pattern make unit runs the matching cases only).
$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -include tests/unit/testutil.h -MMD -MP -o $@ $< $(LIBS_ALL) $(LDFLAGS) $(LDLIBS) $(CMOCKA_LIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Machine set-up: packages, engine, registry, test images, local catalogue.
setup:
	ci/setup.sh

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: sandrun $(BUILD)/bench/api_bench
	SANDRUN=$(CURDIR)/sandrun tests/integration/run.sh

# The engine-facing subset once more on podman (issue 13); a test that
# podman cannot pass says why in a SKIP line, the README lists each one.
PODMAN_TESTS = t_bundled_suite t_every_outcome t_exit_1_on_mismatch t_exit_2_bad_specs \
	't_interrupt_*' t_sigterm_143_and_timeout_scale 't_fault_sighup*' \
	't_fault_sigterm_during_grace*' 't_net_*' 't_gc_*' 't_cwd_*' t_workdir_isolated_and_bounded \
	t_symlinks_copied_as_links t_secret_env_not_on_command_lines t_hostile_harness_is_contained \
	t_pinned_digest_missing_is_pull_error t_zz_engine_stopped_mid_run
integration-podman: sandrun
	SANDRUN=$(CURDIR)/sandrun SANDRUN_TEST_ENGINE=podman tests/integration/run.sh $(PODMAN_TESTS)

# The escape, network-policy and outcome tests once more under gVisor's runsc
# (issue 20; ci/setup.sh registers it): every `sandrun run` gets --runtime
# runsc. A test gVisor cannot pass says why in a SKIP line.
RUNSC_TESTS = t_bundled_suite t_every_outcome t_exit_1_on_mismatch t_hostile_harness_is_contained \
	t_workdir_isolated_and_bounded t_secret_env_not_on_command_lines t_net_bundled_network_harnesses \
	t_net_oob_each_protocol_and_token t_net_egress_filter_blocks_other_host_ports t_net_stubs_record_real_clients \
	t_net_open_policy_recorded t_fuzz_crash_record_and_repro 't_walls_*'
integration-runsc: sandrun
	SANDRUN=$(CURDIR)/sandrun SANDRUN_TEST_RUNTIME=runsc tests/integration/run.sh $(RUNSC_TESTS)

# Everything: set-up, unit + integration tests, then both again under
# ASan+UBSan, and a gcc/clang warning build.
test: setup
	$(MAKE) unit test-package integration integration-podman integration-runsc
	$(MAKE) BUILD=build/asan SANITIZE=address,undefined CFLAGS="-O1 -g" build/asan/sandrun build/asan/helper/sr-idle unit-asan
	SANDRUN=$(CURDIR)/build/asan/sandrun ASAN_OPTIONS=detect_leaks=1 tests/integration/run.sh
	$(MAKE) check

unit-asan: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Build with both compilers, warnings as errors; the code is formatted.
# Workflow files are linted with npm's action-validator (installed locally).
AV := build/node/node_modules/.bin/action-validator
$(AV):
	npm install --prefix build/node --no-audit --no-fund @action-validator/cli@0.6.0 >/dev/null
check-workflows: $(AV)
	set -e; for f in ci/workflows/*.yml action.yml; do $(AV) $$f; done

check: sandrun.1 check-workflows
	clang-format --dry-run -Werror $(FORMAT_SRCS)
	python3 tests/tools/house.py
	@out=$$(groff -ww -z -man -Tutf8 sandrun.1 2>&1); [ -z "$$out" ] || { echo "$$out"; exit 1; }
	bash -n doc/sandrun.bash
	$(MAKE) BUILD=build/gcc CC=gcc build/gcc/sandrun
	$(MAKE) BUILD=build/clang CC=clang build/clang/sandrun build/clang/helper/sr-dnsfwd

# setup may install the libraries: build in a fresh make that sees them.
# The HTML report of the bundled suite, and a screenshot of it next to it.
DEMO_OUT ?= build/demo
CHROMIUM ?= chromium
demo: setup
	$(MAKE) sandrun
	@mkdir -p $(DEMO_OUT)
	./sandrun run --catalogue ci/local/images.toml --report html:$(DEMO_OUT)/report.html \
		--report json:$(DEMO_OUT)/report.json harnesses; rc=$$?; \
	prof=$$(mktemp -d); \
	timeout 60 $(CHROMIUM) --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --user-data-dir=$$prof --hide-scrollbars \
		--window-size=1280,1600 --virtual-time-budget=2000 \
		--screenshot=$(CURDIR)/$(DEMO_OUT)/report.png file://$(CURDIR)/$(DEMO_OUT)/report.html \
		2>/dev/null; rm -rf $$prof; \
	echo "demo: $(DEMO_OUT)/report.html, $(DEMO_OUT)/report.png"; exit $$rc

bench: setup
	$(MAKE) sandrun $(BUILD)/bench/net_bench
	BENCH_NET_BENCH=$(BUILD)/bench/net_bench tests/bench/run.sh

$(BUILD)/bench/api_bench: tests/bench/api_bench.c $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIBS_ALL) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/net_bench: tests/bench/net_bench.c $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIBS_ALL) $(LDFLAGS) $(LDLIBS)

FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
# Always relinked (FORCE): they depend on libraries a sub-make builds.
FORCE:
.PHONY: FORCE
build/fuzz/%: tests/fuzz/%.c FORCE
	$(MAKE) BUILD=build/fuzzlib CC=clang SANITIZE=address,undefined,fuzzer-no-link CFLAGS="-O1 -g" build/fuzzlib/libsrrunner.a build/fuzzlib/libsrcatalogue.a build/fuzzlib/libsrcore.a
	@mkdir -p build/fuzz
	clang -std=gnu11 -I. -D_GNU_SOURCE -O1 -g -fsanitize=address,undefined,fuzzer $(PKG_CFLAGS) -o $@ $< build/fuzzlib/libsrrunner.a build/fuzzlib/libsrcatalogue.a build/fuzzlib/libsrcore.a $(PKG_LIBS) -lpthread

# Builds every fuzz target and runs each for FUZZ_SECONDS (default 20),
# then a long pass of the hostile-spec/report generator on the real engine
# (tests/hostile/gen.py; counts and seed: HOSTILE_*).
FUZZ_SECONDS ?= 20
HOSTILE_SPECS ?= 96
HOSTILE_RACES ?= 32
HOSTILE_REPORTS ?= 300
HOSTILE_SEED ?= $(shell date +%s)
fuzz: $(FUZZ_BINS) fuzz-hostile
	@set -e; for f in $(FUZZ_BINS); do echo "== $$f"; mkdir -p build/fuzz/corpus-$$(basename $$f); \
	  $$f -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$$(basename $$f) tests/fuzz/corpus/$$(basename $$f) 2>&1 | tail -3; done

fuzz-hostile: sandrun
	flock /tmp/sandrun-engine.lock python3 tests/hostile/gen.py --sandrun $(CURDIR)/sandrun \
	  --catalogue $(CURDIR)/ci/local/images.toml --seed $(HOSTILE_SEED) --specs $(HOSTILE_SPECS) \
	  --races $(HOSTILE_RACES) --reports $(HOSTILE_REPORTS)

FORMAT_SRCS = lib/*.[ch] runner/*/*.[ch] catalogue/*.[ch] tests/unit/*.c tests/fuzz/*.c tests/bench/*.c
format:
	clang-format -i $(FORMAT_SRCS)

install: sandrun sandrun.1 $(HELPER)
	install -D -m 0755 sandrun $(DESTDIR)$(PREFIX)/bin/sandrun
	install -D -m 0644 sandrun.1 $(DESTDIR)$(PREFIX)/share/man/man1/sandrun.1
	install -D -m 0644 doc/sandrun.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sandrun
	install -D -m 0755 $(BUILD)/helper/sr-idle $(DESTDIR)$(PREFIX)/libexec/sandrun/sr-idle
	install -D -m 0644 share/seccomp-strict.json $(DESTDIR)$(PREFIX)/share/sandrun/seccomp-strict.json
	install -D -m 0755 $(HELPER) $(DESTDIR)$(PREFIX)/libexec/sandrun/sr-dnsfwd
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/sandrun/schema $(SCHEMAS)

# The Debian package (debian/), built with dpkg-buildpackage from a copy of
# the tree in build/debsrc (its outputs land beside that copy, never above
# the repository), then linted: lintian errors fail the target.
DEB_VERSION := $(shell dpkg-parsechangelog -S Version 2>/dev/null || echo 0)
DEB := build/sandrun_$(DEB_VERSION)_$(shell dpkg --print-architecture 2>/dev/null).deb
deb: $(DEB)
$(DEB): $(shell git ls-files 2>/dev/null)
	rm -rf build/debsrc && mkdir -p build/debsrc/sandrun
	tar -c --exclude=./build --exclude=./.git --exclude=./sandrun --exclude=./sandrun.1 \
		--exclude='./harnesses/*/work/fuzz_target' . | tar -x -C build/debsrc/sandrun
	cd build/debsrc/sandrun && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -30 ../build.log; exit 1; }
	lintian --fail-on error build/debsrc/sandrun_*.changes
	cp build/debsrc/sandrun_*.deb build/

# The package installed into a clean directory (dpkg -x): the binary runs,
# checks the bundled suite with the schema line, and finds its files.
test-package: $(DEB)
	@set -e; d=$$(mktemp -d); trap 'rm -rf $$d' EXIT; dpkg -x $(DEB) $$d; \
	$$d/usr/bin/sandrun --version; \
	$$d/usr/bin/sandrun --catalogue ci/local/images.toml check harnesses; \
	$$d/usr/bin/sandrun schema spec | cmp - $$d/usr/share/sandrun/schema/harness.schema.json; \
	test -x $$d/usr/libexec/sandrun/sr-idle && test -x $$d/usr/libexec/sandrun/sr-dnsfwd; \
	test -f $$d/usr/share/man/man1/sandrun.1.gz; \
	test -f $$d/usr/share/bash-completion/completions/sandrun; \
	(cd $$d && ./usr/bin/sandrun --catalogue $(CURDIR)/ci/local/images.toml new pkg-h --kind exit >/dev/null && \
	 ./usr/bin/sandrun --catalogue $(CURDIR)/ci/local/images.toml check pkg-h && \
	 head -1 pkg-h/harness.yaml | grep -q "$$d/usr/share/sandrun/schema/harness.schema.json"); \
	dpkg-deb -f $(DEB) Depends Recommends; echo "test-package: ok"

clean:
	rm -rf build sandrun sandrun.1 harnesses/*/work/fuzz_target
