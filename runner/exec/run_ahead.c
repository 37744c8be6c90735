/* The API route's launch in two halves (create and attach; start and wait),
 * and create-ahead (run_int.h): the first half done early on a helper
 * thread while the lane's previous run runs. */
#include "runner/exec/run_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/exec/run.h"
#include "runner/exec/run_api.h"
#include "runner/exec/warm.h"
#include "runner/plan/runargs.h"

/* ---- the API route's launch, in two halves ---- */

static struct run_api_in api_in(const struct run_ctx *c)
{
	return (struct run_api_in){.api = c->r->route.api,
				   .kill_ms = c->timeout_ms,
				   .out_cap = (size_t)c->s->limits.output};
}

/* The API route's create (and attach): the same plan as a create request,
 * env in its body. What the CLI route's env file could not carry fails here
 * too; the payload comes last, as the CLI's `-e` after the env file. */
int run_api_create_step(struct run_ctx *c, struct strvec *env)
{
	struct run_api_in in = api_in(c);
	struct strvec argv = STRVEC_INIT;
	struct strbuf chk = STRBUF_INIT;
	struct sr_err err = SR_ERR_INIT;
	struct run_plan plan;
	const char *phase = "create";
	char *profile = NULL;
	int rc = runargs_env_file(&chk, env, &err);

	strbuf_release(&chk);
	if (rc < 0)
		return run_fail(c, "create", err.msg);
	runargs_payload_env(env, &c->s->payloads[c->job->payload]);
	run_build_argv(c, &argv, &plan);
	if (walls_profile_text(&profile, &c->walls, &err) < 0) {
		strvec_clear(&argv);
		return run_fail(c, "create", err.msg);
	}
	plan.seccomp_json = profile;
	in.plan = &plan;
	in.env = strvec_argv(env);
	c->attempted = true;
	rc = run_api_create(&c->pre, &phase, &in, &err);
	strvec_clear(&argv);
	free(profile);
	if (rc < 0) {
		run_api_pre_free(c->pre);
		c->pre = NULL;
		strbuf_init(&c->res.out);
		strbuf_init(&c->res.err);
		c->res.exit_code = -1;
		c->have_res = true;
		return run_fail_create(c, phase, err.msg);
	}
	return 0;
}

/* The API route's start and wait of the container api_create made. */
int run_api_run_step(struct run_ctx *c)
{
	struct run_api_in in = api_in(c);
	struct sr_err err = SR_ERR_INIT;
	const char *phase = "start";
	int rc = run_api_run(&c->res, &c->st, &phase, &in, c->pre, &err);

	c->pre = NULL;
	c->have_res = true;
	if (rc < 0)
		return run_fail_create(c, phase, err.msg);
	c->have_st = true;
	sr_rtrim(&c->res.err);
	return 0;
}

int run_create_ahead(struct run_ctx *c)
{
	struct strvec env = STRVEC_INIT;
	int rc;

	c->timeout_ms = run_timeout_ms(c);
	runargs_run_env(&env, c->s, &c->s->payloads[c->job->payload], c->r->run_id, c->token,
			c->job->repeat, &c->net.env);
	rc = run_api_create_step(c, &env);
	strvec_clear(&env);
	return rc;
}

/* ---- create-ahead ---- */

struct run_ahead {
	struct run_ctx c;
	uint64_t spent_ms; /* the preparation's own time, part of the run's duration */
	bool ended;	   /* a step before the launch ended the run (error, cache hit) */
	bool threaded;
	pthread_t th;
};

bool run_ahead_wanted(const struct runner *r, const struct run_job *job)
{
	const struct spec *s = job->spec;
	const char *sw = getenv("SANDRUN_CREATE_AHEAD");

	if (sw && (!strcmp(sw, "0") || !strcmp(sw, "off")))
		return false;
	if (!r->route.api || job->warm || job->done || warm_wanted(s))
		return false;
	return s->network == NET_NONE || s->network == NET_OPEN;
}

static void *prepare_main(void *arg)
{
	struct run_ahead *a = arg;
	uint64_t t0 = sr_now_ms();

	a->ended = !run_cold_steps(&a->c, 0, RUN_STEP_LAUNCH) || run_create_ahead(&a->c) != 0;
	a->spent_ms = sr_now_ms() - t0;
	return NULL;
}

struct run_ahead *run_ahead_start(struct runner *r, struct run_job *job)
{
	struct run_ahead *a = xcalloc(1, sizeof(*a));

	run_ctx_begin(&a->c, r, job);
	/* Workers block the termination signals; the helper inherits that. */
	a->threaded = pthread_create(&a->th, NULL, prepare_main, a) == 0;
	if (!a->threaded)
		prepare_main(a);
	return a;
}

static void wait_prepared(struct run_ahead *a)
{
	if (a->threaded)
		pthread_join(a->th, NULL);
	a->threaded = false;
}

void run_ahead_run(struct run_ahead *a)
{
	uint64_t t0;

	wait_prepared(a);
	t0 = sr_now_ms();
	if (!a->ended)
		run_cold_steps(&a->c, RUN_STEP_LAUNCH, SIZE_MAX);
	run_ctx_end(&a->c, a->spent_ms + (sr_now_ms() - t0));
	free(a);
}

void run_ahead_drop(struct run_ahead *a)
{
	wait_prepared(a);
	run_ctx_abandon(&a->c);
	free(a);
}
