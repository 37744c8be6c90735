#include "runner/engine/imgcache.h"

#include <pthread.h>
#include <string.h>

enum img_state { IMG_INFLIGHT, IMG_READY, IMG_FAILED };

struct img {
	char *ref;
	enum img_state state;
	bool pulled;
	struct sr_err err;
};

struct imgcache {
	const struct engine *engine;
	struct eapi *api; /* the API route's: presence asked over the socket */
	enum pull_policy policy;
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct img *imgs;
	size_t n, alloc;
	unsigned pulls;
};

struct imgcache *imgcache_new(const struct engine *e, enum pull_policy policy)
{
	struct imgcache *c = xcalloc(1, sizeof(*c));

	c->engine = e;
	c->policy = policy;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->done, NULL);
	return c;
}

void imgcache_use_api(struct imgcache *c, struct eapi *api)
{
	c->api = api;
}

void imgcache_free(struct imgcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->imgs[i].ref);
	free(c->imgs);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->done);
	free(c);
}

unsigned imgcache_pulls(const struct imgcache *c)
{
	return c->pulls;
}

/* The flight itself, run without the lock by the first asker. */
static int resolve(struct imgcache *c, const char *ref, bool *pulled, struct sr_err *err)
{
	bool present = false;

	*pulled = false;
	/* The engine CLIs take "--" before it, but `run` takes the image
	 * among its options: a reference is never an option. */
	if (!*ref || *ref == '-')
		return sr_err_set(err, SR_EINVAL, "image reference '%s' is not valid", ref);
	if (c->policy != PULL_ALWAYS) {
		if ((c->api ? eapi_image_present(&present, c->api, ref, err)
			    : engine_image_present(&present, c->engine, ref, err)) < 0)
			return sr_err_wrap(err, "cannot inspect image '%s'", ref);
		if (present)
			return 0;
		if (c->policy == PULL_NEVER)
			return sr_err_set(err, SR_EFAIL,
					  "image '%s' is not present and --pull is never", ref);
	}
	__atomic_add_fetch(&c->pulls, 1, __ATOMIC_RELAXED);
	if (engine_pull(c->engine, ref, err) < 0)
		return sr_err_wrap(err, "cannot pull '%s'", ref);
	*pulled = true;
	return 0;
}

int imgcache_ensure(bool *pulled, struct imgcache *c, const char *ref, struct sr_err *err)
{
	struct img *img = NULL;
	size_t idx;
	int rc;

	*pulled = false;
	pthread_mutex_lock(&c->lock);
	for (idx = 0; idx < c->n; idx++)
		if (!strcmp(c->imgs[idx].ref, ref))
			break;
	if (idx < c->n) {
		while (c->imgs[idx].state == IMG_INFLIGHT)
			pthread_cond_wait(&c->done, &c->lock);
		img = &c->imgs[idx];
		rc = img->state == IMG_READY ? 0 : img->err.code;
		if (rc < 0 && err)
			*err = img->err;
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	SR_GROW(c->imgs, c->n + 1, c->alloc);
	c->imgs[c->n] = (struct img){.ref = xstrdup(ref), .state = IMG_INFLIGHT};
	c->n++;
	pthread_mutex_unlock(&c->lock);

	{
		struct sr_err e2 = SR_ERR_INIT;
		bool did = false;
		rc = resolve(c, ref, &did, &e2);
		pthread_mutex_lock(&c->lock);
		img = &c->imgs[idx];
		img->state = rc < 0 ? IMG_FAILED : IMG_READY;
		img->pulled = did;
		img->err = e2;
		if (rc < 0 && !img->err.code)
			img->err.code = SR_EFAIL;
		rc = rc < 0 ? img->err.code : 0;
		pthread_cond_broadcast(&c->done);
		pthread_mutex_unlock(&c->lock);
		*pulled = did;
		if (rc < 0 && err)
			*err = e2;
	}
	return rc;
}
