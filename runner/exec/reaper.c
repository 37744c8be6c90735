#include "runner/exec/reaper.h"

#include <pthread.h>
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

void reaper_start(struct runner *r)
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

void reaper_finish(struct runner *r)
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

void reap_later(struct runner *r, const char *name, bool network)
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
