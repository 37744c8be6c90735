/* The engine adapter and the image singleflight, against a fake engine
 * script (error paths and counting only; the real engine is exercised by the
 * integration tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/engine/imgcache.h"

static char dir[] = "/tmp/sandrun-fake-engine-XXXXXX";
static char engine_path[256], log_path[256];

/* A fake engine: `version` answers unless DEAD is set, `image inspect`
 * fails with "No such image", `pull` sleeps then logs one line per call. */
static int setup(void **state)
{
	FILE *f;
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(engine_path, sizeof(engine_path), "%s/engine", dir);
	snprintf(log_path, sizeof(log_path), "%s/pulls.log", dir);
	f = fopen(engine_path, "w");
	if (!f)
		return -1;
	fprintf(
	    f,
	    "#!/bin/sh\n"
	    "case \"$1\" in\n"
	    "version) [ -e %s/DEAD ] && { echo 'Cannot connect to the Docker daemon' >&2; exit 1; }"
	    "; echo 99.0 ;;\n"
	    "image) echo \"Error: No such image: $6\" >&2; exit 1 ;;\n"
	    "pull) sleep 0.3; echo \"$4\" >> %s; case \"$4\" in *broken*) echo 'manifest "
	    "unknown' >&2; exit 1;; esac ;;\n"
	    "container) echo 'exited|137|true|2026-11-24T08:15:00.5Z|2026-11-24T08:15:02.25Z|"
	    "a|b' ;;\n"
	    "*) exit 0 ;;\n"
	    "esac\n",
	    dir, log_path);
	fclose(f);
	return chmod(engine_path, 0755);
}

static int teardown(void **state)
{
	char cmd[512];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;
	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void test_engine__probe_reports_version_or_how_to_start_it(void **state)
{
	struct engine e;
	struct sr_err err = SR_ERR_INIT;
	char dead[300];
	FILE *f;
	(void)state;
	assert_int_equal(engine_init(&e, engine_path, &err), 0);
	assert_int_equal(engine_probe(&e, &err), 0);
	assert_string_equal(e.version, "99.0");
	snprintf(dead, sizeof(dead), "%s/DEAD", dir);
	f = fopen(dead, "w");
	fclose(f);
	assert_int_equal(engine_probe(&e, &err), SR_EENGINE);
	assert_non_null(strstr(err.msg, "Cannot connect"));
	assert_non_null(strstr(err.msg, "ci/setup.sh"));
	unlink(dead);
	engine_release(&e);
}

static void test_engine__missing_engine_is_engine_error(void **state)
{
	struct engine e;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(engine_init(&e, "/no/such/engine", &err), SR_EENGINE);
}

struct flight {
	struct imgcache *c;
	const char *ref;
	int rc;
	char msg[sizeof(((struct sr_err *)0)->msg)];
};

static void *ask(void *arg)
{
	struct flight *f = arg;
	struct sr_err err = SR_ERR_INIT;
	bool pulled;
	f->rc = imgcache_ensure(&pulled, f->c, f->ref, &err);
	snprintf(f->msg, sizeof(f->msg), "%s", err.msg);
	return NULL;
}

static void test_imgcache__eight_workers_one_pull_per_image(void **state)
{
	struct engine e;
	struct sr_err err = SR_ERR_INIT;
	struct flight fl[8];
	pthread_t th[8];
	struct imgcache *c;
	(void)state;
	unlink(log_path);
	assert_int_equal(engine_init(&e, engine_path, &err), 0);
	c = imgcache_new(&e, PULL_MISSING);
	for (int i = 0; i < 8; i++) {
		fl[i] = (struct flight){.c = c, .ref = i % 2 ? "reg/a:1" : "reg/broken:1"};
		pthread_create(&th[i], NULL, ask, &fl[i]);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	/* two images, each pulled exactly once; every asker of the broken one
	 * gets the engine's own message */
	assert_int_equal(count_lines(log_path), 2);
	assert_int_equal(imgcache_pulls(c), 2);
	for (int i = 0; i < 8; i++) {
		if (i % 2) {
			assert_int_equal(fl[i].rc, 0);
		} else {
			assert_true(fl[i].rc < 0);
			assert_non_null(strstr(fl[i].msg, "manifest unknown"));
		}
	}
	imgcache_free(c);
	engine_release(&e);
}

static void test_imgcache__pull_never_does_not_pull(void **state)
{
	struct engine e;
	struct sr_err err = SR_ERR_INIT;
	struct imgcache *c;
	bool pulled;
	(void)state;
	unlink(log_path);
	assert_int_equal(engine_init(&e, engine_path, &err), 0);
	c = imgcache_new(&e, PULL_NEVER);
	assert_true(imgcache_ensure(&pulled, c, "reg/a:1", &err) < 0);
	assert_non_null(strstr(err.msg, "--pull is never"));
	assert_int_equal(count_lines(log_path), 0);
	imgcache_free(c);
	engine_release(&e);
}

static void test_engine__inspect_state_reads_every_field(void **state)
{
	struct engine e;
	struct engine_state st;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(engine_init(&e, engine_path, &err), 0);
	assert_int_equal(engine_inspect_state(&st, &e, "c1", &err), 0);
	assert_string_equal(st.status, "exited");
	assert_int_equal(st.exit_code, 137);
	assert_true(st.oom);
	assert_int_equal(st.finished_ms - st.started_ms, 1750);
	/* The free-text error keeps the separator. */
	assert_string_equal(st.error, "a|b");
	engine_release(&e);
}

static void test_engine__client_env_is_fixed_by_the_runner(void **state)
{
	struct engine e;
	struct strvec env = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	setenv("LD_PRELOAD", "/nonexistent.so", 1);
	setenv("SANDRUN_TEST_SECRET", "x", 1);
	assert_int_equal(engine_init(&e, engine_path, &err), 0);
	engine_child_env(&env, &e);
	for (size_t i = 0; i < env.nr; i++) {
		assert_true(strncmp(env.v[i], "LD_PRELOAD=", 11));
		assert_true(strncmp(env.v[i], "SANDRUN_TEST_SECRET=", 20));
	}
	for (char **p = e.envp; *p; p++)
		assert_true(strncmp(*p, "LD_PRELOAD=", 11));
	unsetenv("LD_PRELOAD");
	unsetenv("SANDRUN_TEST_SECRET");
	strvec_clear(&env);
	engine_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_engine__probe_reports_version_or_how_to_start_it),
	    cmocka_unit_test(test_engine__missing_engine_is_engine_error),
	    cmocka_unit_test(test_imgcache__eight_workers_one_pull_per_image),
	    cmocka_unit_test(test_imgcache__pull_never_does_not_pull),
	    cmocka_unit_test(test_engine__inspect_state_reads_every_field),
	    cmocka_unit_test(test_engine__client_env_is_fixed_by_the_runner),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
