/* isolation: pool: the invocation's warm containers, keyed by their whole
 * configuration, handed to any harness whose configuration matches. */
#include <pthread.h>
#include <string.h>

#include "runner/warm/warm.h"

struct warm_pool {
	pthread_mutex_t lock;
	struct warm **idle;
	size_t nidle, alloc;
	unsigned total, max, seq;
};

struct warm_pool *warm_pool_new(unsigned max)
{
	struct warm_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	p->max = max ? max : 1;
	return p;
}

char *warm_pool_key(const struct runner *r, const struct spec *s, const char *image)
{
	struct workdir wd = {.dir = "<dir>", .work = "<dir>/work", .payload = "<dir>/payload"};
	struct warm_plan wp;
	struct strvec argv = STRVEC_INIT;
	struct strbuf key = STRBUF_INIT;

	/* The create argv less what differs between containers of one
	 * configuration: the name, the harness label (paths are placeholders). */
	warm_plan(&wp, r, s, image, "<name>", &wd, "<dir>/ctl");
	runargs_build(&argv, &wp.plan);
	for (size_t i = 0; i < argv.nr; i++) {
		if (!strncmp(argv.v[i], "--label=sandrun.harness=", 24))
			continue;
		strbuf_addstr(&key, argv.v[i]);
		strbuf_addch(&key, '\x1f');
	}
	strvec_clear(&argv);
	return strbuf_detach(&key, NULL);
}

static void end_slot(struct warm *w, struct runner *r)
{
	warm_end(w, r);
	free(w->key);
	free(w->pool_name);
	free(w);
}

struct warm *warm_pool_take(struct warm_pool *p, struct runner *r, const char *key)
{
	struct warm *w = NULL, *evict = NULL;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nidle && !w; i++) {
		if (strcmp(p->idle[i]->key, key))
			continue;
		w = p->idle[i];
		memmove(&p->idle[i], &p->idle[i + 1], (p->nidle - i - 1) * sizeof(*p->idle));
		p->nidle--;
	}
	/* Bounded by -j: a lane runs one container at a time, so when all are
	 * up one of them is idle, of another configuration: it makes room. */
	if (!w && p->total >= p->max && p->nidle) {
		evict = p->idle[0];
		memmove(&p->idle[0], &p->idle[1], (p->nidle - 1) * sizeof(*p->idle));
		p->nidle--;
		p->total--;
	}
	if (!w) {
		w = xcalloc(1, sizeof(*w));
		*w = (struct warm)WARM_INIT;
		w->key = xstrdup(key);
		w->pool_name = xasprintf("sandrun-%.8s-pool-%u", r->run_id, ++p->seq);
		p->total++;
	}
	pthread_mutex_unlock(&p->lock);
	if (evict)
		end_slot(evict, r);
	return w;
}

void warm_pool_put(struct warm_pool *p, struct runner *r, struct warm *w)
{
	if (!w->name || w->retired || w->uses >= WARM_POOL_USES || r->keep || sr_interrupted) {
		pthread_mutex_lock(&p->lock);
		p->total--;
		pthread_mutex_unlock(&p->lock);
		end_slot(w, r);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->idle = xgrow(p->idle, sizeof(*p->idle), p->nidle + 1, &p->alloc);
	p->idle[p->nidle++] = w;
	pthread_mutex_unlock(&p->lock);
}

void warm_pool_end(struct warm_pool *p, struct runner *r)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nidle; i++)
		end_slot(p->idle[i], r);
	free(p->idle);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
