#include "runner/exec/reaper.h"

#include <pthread.h>
#include <string.h>

/* Removing a stopped container costs a client round trip the next run need
 * not wait for: a reaper thread removes finished containers (and then their
 * networks) in batches, and run_all waits for it before returning, so
 * nothing outlives the invocation. */
struct reaper {
	const struct engine_route *route;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct strvec containers, networks;
	bool stop;
	pthread_t thread;
};

/* One call for the batch: one client process on the CLI route, one
 * request a name on the API's. Names already gone are fine; anything else is
 * swept by gc. */
static void reap_batch(const struct reaper *rp, struct strvec *names, bool networks)
{
	struct sr_err err = SR_ERR_INIT;

	if (names->nr &&
	    rp->route->ops->remove(rp->route, (const char *const *)names->v, networks, &err) < 0)
		sr_debug("removal: %s", err.msg);
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

	rp->route = &r->route;
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
		const char *names[] = {name, NULL};
		struct sr_err err = SR_ERR_INIT;
		if (r->route.ops->remove(&r->route, names, network, &err) < 0)
			sr_debug("removal: %s", err.msg);
		return;
	}
	pthread_mutex_lock(&rp->lock);
	strvec_push(network ? &rp->networks : &rp->containers, name);
	pthread_cond_signal(&rp->cv);
	pthread_mutex_unlock(&rp->lock);
}
