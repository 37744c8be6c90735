#include "runner/exec/reaper.h"
#include "runner/exec/run.h"
#include "runner/exec/run_int.h"
#include "runner/exec/warm.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

/* The scheduler: run_all (run.h) spreads the jobs over -j worker threads;
 * the reaper (reaper.h) removes what the runs leave. */
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

static void run_and_report(struct pool *p, struct run_job *job, int lane, struct run_ahead *a)
{
	uint64_t started = sr_now_ms() - p->t0;

	if (a) {
		run_ahead_run(a);
		job->rec.start_ms = started;
		job->rec.worker = lane;
	} else if (!job->done) {
		run_one(p->r, job);
		job->rec.start_ms = started;
		job->rec.worker = lane;
	}
	pthread_mutex_lock(&p->lock);
	if (p->on_done)
		p->on_done(job, p->ctx);
	pthread_mutex_unlock(&p->lock);
}

/* A job that forms a warm group with the jobs after it (isolation:
 * harness) runs them all in one container; end is one past the group. */
static size_t group_end(const struct pool *p, size_t first)
{
	size_t end = first + 1;

	if (!p->jobs[first].spec->pool && warm_wanted(p->jobs[first].spec))
		while (end < p->n && p->jobs[end].spec == p->jobs[first].spec)
			end++;
	return end;
}

/* create-ahead (run_ahead.h): the lane claims the next job now and prepares
 * it while the current one runs. Called with the lock held. */
static struct run_ahead *claim_ahead(struct pool *p, size_t *idx)
{
	if (p->next >= p->n || sr_interrupted || group_end(p, p->next) != p->next + 1 ||
	    !run_ahead_wanted(p->r, &p->jobs[p->next]))
		return NULL;
	*idx = p->next++;
	return run_ahead_start(p->r, &p->jobs[*idx]);
}

/* A worker takes one job, or with isolation: harness every job of that
 * harness (they are adjacent), run in order in one warm container. */
static void *worker(void *arg)
{
	struct lane *lane = arg;
	struct pool *p = lane->p;
	struct run_ahead *ahead = NULL, *cur;
	size_t ahead_idx = 0;

	for (;;) {
		size_t first, end;
		struct warm w = WARM_INIT;
		pthread_mutex_lock(&p->lock);
		if (sr_interrupted || (!ahead && p->next >= p->n)) {
			pthread_mutex_unlock(&p->lock);
			if (ahead)
				run_ahead_drop(ahead);
			return NULL;
		}
		if (ahead) {
			first = ahead_idx;
			end = first + 1;
		} else {
			first = p->next;
			end = p->next = group_end(p, first);
		}
		cur = ahead;
		ahead = NULL;
		if (end - first == 1 && run_ahead_wanted(p->r, &p->jobs[first]))
			ahead = claim_ahead(p, &ahead_idx);
		pthread_mutex_unlock(&p->lock);
		if (end - first == 1) {
			run_and_report(p, &p->jobs[first], lane->id, cur);
			continue;
		}
		for (size_t i = first; i < end && !sr_interrupted; i++) {
			p->jobs[i].warm = &w;
			run_and_report(p, &p->jobs[i], lane->id, NULL);
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
