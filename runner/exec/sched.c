#include "runner/exec/sched.h"

#include "runner/warm/warm.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "runner/engine/engine_api.h"

/* Removing a stopped container costs a client round trip the next run need
 * not wait for: a reaper thread removes finished containers (and then their
 * networks) in batches, and run_all waits for it before returning, so
 * nothing outlives the invocation. */
struct reaper {
	const struct engine *engine;
	struct eapi *api; /* the API route's client: no client process per batch */
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct strvec containers, networks;
	bool stop;
	pthread_t thread;
};

/* Over the API: one request a name, no client process to start. */
static void reap_api(struct eapi *api, struct strvec *names, bool networks)
{
	for (size_t i = 0; i < names->nr; i++) {
		struct sr_err err = SR_ERR_INIT;
		if ((networks ? eapi_network_remove : eapi_remove)(api, names->v[i], &err) < 0)
			sr_debug("removal: %s", err.msg);
	}
	strvec_clear(names);
}

static void reap_batch(const struct reaper *rp, struct strvec *names, bool networks)
{
	const struct engine *e = rp->engine;
	struct strvec args = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;

	if (!names->nr)
		return;
	if (rp->api) {
		reap_api(rp->api, names, networks);
		return;
	}
	if (networks) {
		strvec_push(&args, "network");
		strvec_push(&args, "rm");
	} else {
		strvec_push(&args, "rm");
		strvec_push(&args, "-f");
		strvec_push(&args, "-v");
	}
	strvec_pushv(&args, (const char *const *)names->v);
	/* Names already gone are fine; anything else is swept by gc. */
	if (engine_call(NULL, e, (const char *const *)args.v, ENGINE_TMO_QUICK, &err) < 0)
		sr_debug("removal: %s", err.msg);
	strvec_clear(&args);
	strvec_clear(names);
}

static void *reaper_main(void *arg)
{
	struct reaper *rp = arg;

	pthread_mutex_lock(&rp->lock);
	for (;;) {
		struct strvec c = STRVEC_INIT, n = STRVEC_INIT;
		while (!rp->stop && !rp->containers.nr && !rp->networks.nr)
			pthread_cond_wait(&rp->cv, &rp->lock);
		if (!rp->containers.nr && !rp->networks.nr && rp->stop)
			break;
		c = rp->containers;
		n = rp->networks;
		memset(&rp->containers, 0, sizeof(rp->containers));
		memset(&rp->networks, 0, sizeof(rp->networks));
		pthread_mutex_unlock(&rp->lock);
		reap_batch(rp, &c, false);
		reap_batch(rp, &n, true);
		pthread_mutex_lock(&rp->lock);
	}
	pthread_mutex_unlock(&rp->lock);
	return NULL;
}

static void reaper_start(struct runner *r)
{
	struct reaper *rp = xcalloc(1, sizeof(*rp));

	rp->engine = r->engine;
	rp->api = r->api;
	pthread_mutex_init(&rp->lock, NULL);
	pthread_cond_init(&rp->cv, NULL);
	if (pthread_create(&rp->thread, NULL, reaper_main, rp)) {
		free(rp);
		return;
	}
	r->reaper = rp;
}

static void reaper_finish(struct runner *r)
{
	struct reaper *rp = r->reaper;

	if (!rp)
		return;
	pthread_mutex_lock(&rp->lock);
	rp->stop = true;
	pthread_cond_signal(&rp->cv);
	pthread_mutex_unlock(&rp->lock);
	pthread_join(rp->thread, NULL);
	pthread_mutex_destroy(&rp->lock);
	pthread_cond_destroy(&rp->cv);
	free(rp);
	r->reaper = NULL;
}

void sched_reap(struct runner *r, const char *name, bool network)
{
	struct reaper *rp = r->reaper;

	if (!rp) {
		if (network)
			engine_network_rm(r->engine, name);
		else
			engine_rm(r->engine, name);
		return;
	}
	pthread_mutex_lock(&rp->lock);
	strvec_push(network ? &rp->networks : &rp->containers, name);
	pthread_cond_signal(&rp->cv);
	pthread_mutex_unlock(&rp->lock);
}

struct pool {
	struct runner *r;
	struct run_job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
	void (*on_done)(struct run_job *job, void *ctx);
	void *ctx;
	uint64_t t0; /* sr_now_ms() when the pool started */
};

struct lane {
	struct pool *p;
	int id;
};

static void run_and_report(struct pool *p, struct run_job *job, int lane)
{
	uint64_t started = sr_now_ms() - p->t0;

	if (!job->done) {
		run_one(p->r, job);
		job->rec.start_ms = started;
		job->rec.worker = lane;
	}
	pthread_mutex_lock(&p->lock);
	if (p->on_done)
		p->on_done(job, p->ctx);
	pthread_mutex_unlock(&p->lock);
}

/* A worker takes one job, or with isolation: harness every job of that
 * harness (they are adjacent), run in order in one warm container. */
static void *worker(void *arg)
{
	struct lane *lane = arg;
	struct pool *p = lane->p;

	for (;;) {
		size_t first, end;
		struct warm w = WARM_INIT;
		pthread_mutex_lock(&p->lock);
		if (p->next >= p->n || sr_interrupted) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		first = p->next++;
		end = p->next;
		if (!p->jobs[first].spec->pool && warm_wanted(p->jobs[first].spec))
			while (end < p->n && p->jobs[end].spec == p->jobs[first].spec)
				end++;
		p->next = end;
		pthread_mutex_unlock(&p->lock);
		if (end - first == 1) {
			run_and_report(p, &p->jobs[first], lane->id);
			continue;
		}
		for (size_t i = first; i < end && !sr_interrupted; i++) {
			p->jobs[i].warm = &w;
			run_and_report(p, &p->jobs[i], lane->id);
			p->jobs[i].warm = NULL;
		}
		warm_end(&w, p->r);
	}
}

void run_all(struct runner *r, struct run_job *jobs, size_t n,
	     void (*on_done)(struct run_job *job, void *ctx), void *ctx)
{
	struct pool p = {
	    .r = r, .jobs = jobs, .n = n, .on_done = on_done, .ctx = ctx, .t0 = sr_now_ms()};
	unsigned nw = r->jobs ? r->jobs : 1;
	pthread_t *th;
	struct lane *lanes;
	sigset_t block, old;

	if (nw > n)
		nw = n ? (unsigned)n : 1;
	pthread_mutex_init(&p.lock, NULL);
	th = xcalloc(nw, sizeof(*th));
	lanes = xcalloc(nw, sizeof(*lanes));
	/* Workers never take SIGINT/SIGTERM/SIGHUP: the main thread's handler sets the
	 * flag they watch. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	reaper_start(r);
	r->pool = warm_pool_new(nw);
	for (unsigned i = 0; i < nw; i++) {
		lanes[i] = (struct lane){.p = &p, .id = (int)i};
		if (pthread_create(&th[i], NULL, worker, &lanes[i]))
			abort();
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (unsigned i = 0; i < nw; i++)
		pthread_join(th[i], NULL);
	free(th);
	free(lanes);
	warm_pool_end(r->pool, r);
	r->pool = NULL;
	reaper_finish(r);
	pthread_mutex_destroy(&p.lock);
	for (size_t i = 0; i < n; i++) {
		if (!jobs[i].done) {
			char *m =
			    xasprintf("not run: interrupted by signal %d", (int)sr_interrupted);
			run_error_record(r, &jobs[i], "start", m);
			free(m);
			if (on_done)
				on_done(&jobs[i], ctx);
		}
	}
}
