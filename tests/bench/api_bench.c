/* Engine API benchmark and end-to-end driver (runner/engine_api.h).
 *
 *   api_bench run [--memory BYTES] [--timeout MS] IMAGE CMD...
 *       One hardened container through create/attach/start/wait/remove;
 *       prints one JSON object: exit, oom, timed_out, stdout, stderr.
 *   api_bench probe IMAGE
 *       The server version, whether IMAGE and a name that cannot exist are
 *       present, and an internal labelled network created then removed.
 *   api_bench bench [-n N] [-j P] [--ahead] [--bg-rm] [--inspect] IMAGE
 *       N containers running `true` on P threads; prints the wall time and
 *       the mean time of each phase. --ahead creates the next container
 *       while the current one runs; --bg-rm removes on a background thread
 *       instead of inline; --inspect adds an inspect after each wait (the
 *       CLI adapter's way of learning the exit code and OOM).
 *
 * The socket is $SANDRUN_ENGINE_SOCKET, else DOCKER_HOST or the docker
 * default. Containers get the hardening runner/runargs.c gives a run, a
 * sandrun.run label, and are removed before exit.
 *
 * Build (libcurl in the Makefile's PKGS):
 *   $(BUILD)/bench/api_bench: tests/bench/api_bench.c $(LIBS_ALL)
 *   	$(CC) $(CFLAGS) -o $@ $< $(LIBS_ALL) $(LDFLAGS) $(LDLIBS)
 * Compare with a bare `docker run` loop: tests/bench/api_bench.sh. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "runner/engine/engine_api.h"

struct cfg {
	const char *image;
	char *const *cmd;
	uint64_t memory;
	uint64_t timeout_ms;
	int n, jobs;
	bool ahead, bg_rm, inspect, podman;
	char workdir[64];
	char run_id[64];
};

static struct eapi *api;
static struct cfg cfg = {.memory = 512u << 20, .timeout_ms = 60000, .n = 16, .jobs = 1};

/* Phase totals in microseconds, across threads. */
static atomic_ullong t_create, t_begin, t_finish, t_inspect, t_rm;
static atomic_int next_idx, failures;

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int create_one(char **out_id, int idx, struct sr_err *err)
{
	static char *const env[] = {"HOME=/tmp", NULL};
	char name[128], owner[64];
	struct eapi_label labels[3] = {{"sandrun.run", cfg.run_id},
				       {"sandrun.harness", "api_bench"},
				       {"sandrun.owner", owner}};
	struct eapi_mount mounts[1] = {{cfg.workdir, "/work", false}};
	struct eapi_create_opts o = {
	    .name = name,
	    .image = cfg.image,
	    .cmd = cfg.cmd,
	    .env = env,
	    .labels = labels,
	    .nlabels = 3,
	    .user = "65534:65534",
	    .working_dir = "/work",
	    .init = true,
	    .read_only = true,
	    .cap_drop_all = true,
	    .no_new_privileges = true,
	    .memory = cfg.memory,
	    .memory_swap = cfg.memory,
	    .cpus = 1,
	    .pids = 256,
	    .tmp_size = 64u << 20,
	    .mounts = mounts,
	    .nmounts = 1,
	    .network_mode = "none",
	    .log_none = true,
	    .core_ulimit_zero = !cfg.podman,
	};
	uint64_t t0 = now_us();
	int rc;

	snprintf(name, sizeof(name), "%s-%d", cfg.run_id, idx);
	snprintf(owner, sizeof(owner), "api_bench/%d", (int)getpid());
	rc = eapi_create(out_id, api, &o, err);
	t_create += now_us() - t0;
	return rc;
}

/* Removal off the hot path: a queue drained by one thread. */
static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static struct strvec q_ids = STRVEC_INIT;
static size_t q_head;
static bool q_closed;

static void remove_one(char *id)
{
	struct sr_err err = SR_ERR_INIT;
	uint64_t t0 = now_us();

	if (eapi_remove(api, id, &err)) {
		fprintf(stderr, "api_bench: %s\n", err.msg);
		failures++;
	}
	t_rm += now_us() - t0;
	free(id);
}

static void *remover(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&q_mu);
	for (;;) {
		while (q_head == q_ids.nr && !q_closed)
			pthread_cond_wait(&q_cv, &q_mu);
		if (q_head == q_ids.nr)
			break;
		char *id = xstrdup(q_ids.v[q_head++]);
		pthread_mutex_unlock(&q_mu);
		remove_one(id);
		pthread_mutex_lock(&q_mu);
	}
	pthread_mutex_unlock(&q_mu);
	return NULL;
}

static void dispose(char *id)
{
	if (!cfg.bg_rm) {
		remove_one(id);
		return;
	}
	pthread_mutex_lock(&q_mu);
	strvec_push(&q_ids, id);
	pthread_cond_signal(&q_cv);
	pthread_mutex_unlock(&q_mu);
	free(id);
}

/* Run the started container r to its end; the exit code must be 0. */
static void finish_one(struct eapi_run *r, const char *id)
{
	struct sr_err err = SR_ERR_INIT;
	struct eapi_run_result res;
	uint64_t t0 = now_us();
	int rc = eapi_run_finish(&res, r, &err);

	t_finish += now_us() - t0;
	if (rc || res.exit_code != 0) {
		fprintf(stderr, "api_bench: %s: %s (exit %d)\n", id, rc ? err.msg : "failed",
			res.exit_code);
		failures++;
	}
	if (cfg.inspect) {
		struct engine_state st;
		t0 = now_us();
		if (eapi_inspect_state(&st, api, id, &err) || st.exit_code != res.exit_code) {
			fprintf(stderr, "api_bench: inspect %s: %s\n", id, err.msg);
			failures++;
		}
		t_inspect += now_us() - t0;
	}
	eapi_run_result_release(&res);
}

static struct eapi_run *begin_one(const char *id)
{
	struct eapi_run_opts ro = {.timeout_ms = cfg.timeout_ms, .check_oom = true};
	struct sr_err err = SR_ERR_INIT;
	struct eapi_run *r = NULL;
	uint64_t t0 = now_us();

	if (eapi_run_begin(&r, api, id, &ro, &err)) {
		fprintf(stderr, "api_bench: %s\n", err.msg);
		failures++;
	}
	t_begin += now_us() - t0;
	return r;
}

/* Claim the next index and create its container; NULL when none is left
 * (or creation failed, counted). */
static char *create_next(void)
{
	struct sr_err err = SR_ERR_INIT;
	char *id = NULL;
	int idx = next_idx++;

	if (idx >= cfg.n)
		return NULL;
	if (create_one(&id, idx, &err)) {
		fprintf(stderr, "api_bench: %s\n", err.msg);
		failures++;
		return NULL;
	}
	return id;
}

static void *worker(void *arg)
{
	char *cur = create_next();

	(void)arg;
	while (cur) {
		struct eapi_run *r = begin_one(cur);
		char *next = NULL;
		if (cfg.ahead)
			next = create_next();
		if (r)
			finish_one(r, cur);
		if (!cfg.ahead)
			next = create_next();
		dispose(cur);
		cur = next;
	}
	return NULL;
}

static int bench(void)
{
	pthread_t th[64], rm_th;
	uint64_t t0 = now_us(), wall;
	int n = cfg.n;

	if (cfg.jobs < 1 || cfg.jobs > 64) {
		fprintf(stderr, "api_bench: -j must be 1..64\n");
		return 2;
	}
	if (cfg.bg_rm)
		pthread_create(&rm_th, NULL, remover, NULL);
	for (int i = 0; i < cfg.jobs; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < cfg.jobs; i++)
		pthread_join(th[i], NULL);
	if (cfg.bg_rm) {
		pthread_mutex_lock(&q_mu);
		q_closed = true;
		pthread_cond_signal(&q_cv);
		pthread_mutex_unlock(&q_mu);
		pthread_join(rm_th, NULL);
		strvec_clear(&q_ids);
	}
	wall = now_us() - t0;
	printf("wall_ms=%.1f n=%d j=%d ahead=%d bg_rm=%d inspect=%d create_ms=%.1f "
	       "attach_start_ms=%.1f wait_ms=%.1f inspect_ms=%.1f rm_ms=%.1f failures=%d\n",
	       wall / 1000.0, n, cfg.jobs, cfg.ahead, cfg.bg_rm, cfg.inspect, t_create / 1000.0 / n,
	       t_begin / 1000.0 / n, t_finish / 1000.0 / n, t_inspect / 1000.0 / n,
	       t_rm / 1000.0 / n, (int)failures);
	return failures ? 1 : 0;
}

static int run_once(void)
{
	struct eapi_run_opts ro = {.timeout_ms = cfg.timeout_ms, .check_oom = true};
	struct sr_err err = SR_ERR_INIT;
	struct eapi_run_result res = {.exit_code = -1};
	struct strbuf js = STRBUF_INIT;
	struct eapi_run *r = NULL;
	char *id = NULL;
	int rc;

	strbuf_init(&res.out);
	strbuf_init(&res.err);
	rc = create_one(&id, 0, &err);
	if (!rc)
		rc = eapi_run_begin(&r, api, id, &ro, &err);
	if (!rc) {
		eapi_run_result_release(&res);
		rc = eapi_run_finish(&res, r, &err);
	}
	if (id) {
		struct sr_err rerr = SR_ERR_INIT;
		if (eapi_remove(api, id, &rerr))
			fprintf(stderr, "api_bench: %s\n", rerr.msg);
		free(id);
	}
	if (rc) {
		fprintf(stderr, "api_bench: %s\n", err.msg);
		eapi_run_result_release(&res);
		return rc == SR_EENGINE ? 3 : 1;
	}
	strbuf_addf(&js, "{\"exit\":%d,\"oom\":%s,\"timed_out\":%s,\"stdout\":", res.exit_code,
		    res.oom_killed ? "true" : "false", res.timed_out ? "true" : "false");
	json_add_strn(&js, res.out.buf, res.out.len);
	strbuf_addstr(&js, ",\"stderr\":");
	json_add_strn(&js, res.err.buf, res.err.len);
	strbuf_addf(&js, ",\"stdout_total\":%llu}", (unsigned long long)res.out_total);
	puts(js.buf);
	strbuf_release(&js);
	eapi_run_result_release(&res);
	return 0;
}

static int probe(void)
{
	struct eapi_label labels[] = {{"sandrun.run", cfg.run_id}};
	struct sr_err err = SR_ERR_INIT;
	char *ver = NULL, *net_id = NULL;
	bool have = false, missing = true;
	int rc;

	rc = eapi_version(&ver, api, &err);
	if (!rc)
		rc = eapi_image_present(&have, api, cfg.image, &err);
	if (!rc)
		rc = eapi_image_present(&missing, api, "127.0.0.1:5000/sandrun/no-such-image:0",
					&err);
	if (!rc)
		rc = eapi_network_create(&net_id, api, cfg.run_id, true, labels, 1, NULL, &err);
	if (!rc) {
		printf("version=%s image_present=%d missing_present=%d network=%s\n", ver, have,
		       missing, net_id);
		fflush(stdout);
		/* Twice: the second removal finds nothing, which is success. */
		rc = eapi_network_remove(api, cfg.run_id, &err);
		if (!rc)
			rc = eapi_network_remove(api, cfg.run_id, &err);
	}
	if (rc)
		fprintf(stderr, "api_bench: %s\n", err.msg);
	free(ver);
	free(net_id);
	return rc ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: api_bench run [--memory BYTES] [--timeout MS] IMAGE CMD...\n"
			"       api_bench probe IMAGE\n"
			"       api_bench bench [-n N] [-j P] [--ahead] [--bg-rm] [--inspect] "
			"IMAGE\n");
	return 2;
}

static int parse_args(int argc, char **argv, bool run_mode)
{
	int i;

	for (i = 2; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (!strcmp(a, "-n") && more)
			cfg.n = atoi(argv[++i]);
		else if (!strcmp(a, "-j") && more)
			cfg.jobs = atoi(argv[++i]);
		else if (!strcmp(a, "--ahead"))
			cfg.ahead = true;
		else if (!strcmp(a, "--bg-rm"))
			cfg.bg_rm = true;
		else if (!strcmp(a, "--inspect"))
			cfg.inspect = true;
		else if (!strcmp(a, "--memory") && more)
			sr_parse_size(argv[++i], &cfg.memory);
		else if (!strcmp(a, "--timeout") && more)
			cfg.timeout_ms = strtoull(argv[++i], NULL, 10);
		else
			return -1;
	}
	if (i >= argc || cfg.n < 1)
		return -1;
	cfg.image = argv[i++];
	if (run_mode) {
		if (i >= argc)
			return -1;
		cfg.cmd = argv + i;
	} else {
		static char *const true_cmd[] = {"true", NULL};
		cfg.cmd = true_cmd;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sr_err err = SR_ERR_INIT;
	const char *sock = getenv("SANDRUN_ENGINE_SOCKET");
	char *ver = NULL;
	bool run_mode;
	int rc;

	if (argc < 2 ||
	    (strcmp(argv[1], "run") && strcmp(argv[1], "bench") && strcmp(argv[1], "probe")))
		return usage();
	run_mode = !strcmp(argv[1], "run");
	if (parse_args(argc, argv, run_mode))
		return usage();
	if (eapi_open(&api, sock && *sock ? sock : NULL, &err) || eapi_version(&ver, api, &err)) {
		fprintf(stderr, "api_bench: %s\n", err.msg);
		eapi_close(api);
		return err.code == SR_EENGINE ? 3 : 1;
	}
	cfg.podman = getenv("SANDRUN_ENGINE_PODMAN") != NULL;
	free(ver);
	snprintf(cfg.run_id, sizeof(cfg.run_id), "sandrun-apibench-%d", (int)getpid());
	snprintf(cfg.workdir, sizeof(cfg.workdir), "/tmp/sandrun-apibench-XXXXXX");
	if (!mkdtemp(cfg.workdir) || chmod(cfg.workdir, 0777)) {
		perror("api_bench: workdir");
		eapi_close(api);
		return 1;
	}
	rc = run_mode ? run_once() : !strcmp(argv[1], "probe") ? probe() : bench();
	rmdir(cfg.workdir);
	eapi_close(api);
	return rc;
}
