#include "runner/exec/runner.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner/exec/gc.h"
#include "runner/net/firewall.h"

static char *random_hex(size_t bytes, struct sr_err *err)
{
	unsigned char raw[16];
	struct strbuf sb = STRBUF_INIT;

	if (bytes > sizeof(raw) || sr_random(raw, bytes, err) < 0)
		return NULL;
	for (size_t i = 0; i < bytes; i++)
		strbuf_addf(&sb, "%02x", raw[i]);
	return strbuf_detach(&sb, NULL);
}

int runner_init(struct runner *r, struct engine *e, const struct catalogue *cat, bool explain,
		struct sr_err *err)
{
	const char *grace = getenv("SANDRUN_OOB_GRACE");
	const char *art = getenv("SANDRUN_ARTIFACTS");

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->engine = e;
	r->cat = cat;
	r->timeout_scale = 1.0;
	r->grace_ms = RUNNER_DEFAULT_GRACE_MS;
	r->is_root = geteuid() == 0;
	r->oob_domain = SR_OOB_DOMAIN;
	r->jobs = 1;
	/* explain shows the rules only where the run would install them. */
	r->firewall = fw_available();
	r->owner = r->own_owner = gc_owner_self();
	if (grace && sr_parse_duration_ms(grace, &r->grace_ms) < 0)
		return sr_err_set(err, SR_EINVAL, "SANDRUN_OOB_GRACE is not a duration: '%s'",
				  grace);
	if (explain) {
		r->run_id = "<run-id>";
		r->tmp_root = "<tmp>";
		return 0;
	}
	if (!(r->own_id = random_hex(6, err)))
		return SR_EFAIL;
	r->run_id = r->own_id;
	r->tmp_root = r->own_tmp = xasprintf("%s/" GC_TMP_PREFIX "%s", gc_tmp_base(), r->run_id);
	r->artifacts_root = r->own_art =
	    xasprintf("%s/%s", art && *art ? art : "sandrun-artifacts", r->run_id);
	return 0;
}

static void on_sig(int sig)
{
	sr_interrupted = sig;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void *gc_main(void *arg)
{
	struct runner *r = arg;

	gc_sweep(r->engine, gc_tmp_base(), false);
	return NULL;
}

/* The sweep of dead runs' leftovers takes a few engine clients (~0.2 s):
 * it runs beside the first runs, as another invocation's sweep would, and
 * is joined before the invocation ends. It only takes what a dead owner
 * left, and a live run's firewall chain has its bridge (docker) or a
 * network that claims it (podman) before its rules exist. */
static void gc_start(struct runner *r)
{
	sigset_t block, old;

	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	r->gc_running = pthread_create(&r->gc_thread, NULL, gc_main, r) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!r->gc_running)
		gc_sweep(r->engine, gc_tmp_base(), false);
}

int runner_start(struct runner *r, enum pull_policy pull, struct sr_err *err)
{
	install_signals();
	engine_route_cli(&r->route, r->engine);
	r->images = imgcache_new(r->engine, pull);
	if (gc_tmp_root_create(r->tmp_root, r->owner, err) < 0)
		return SR_EFAIL;
	r->started = true;
	if (!r->no_sweep)
		gc_start(r);
	engine_route_open(&r->route, r->engine);
	imgcache_use_api(r->images, r->route.api);
	return 0;
}

void runner_release(struct runner *r)
{
	if (r->gc_running) {
		pthread_join(r->gc_thread, NULL);
		r->gc_running = false;
	}
	if (r->started) {
		/* Without the owner file gc leaves what --keep kept alone; a
		 * killed run keeps it, so gc can tell its leftovers apart. */
		char *path = xasprintf("%s/" GC_OWNER_FILE, r->tmp_root);
		if (unlink(path) < 0 && errno != ENOENT)
			sr_debug("cannot remove '%s': %s", path, strerror(errno));
		free(path);
		if (!r->keep)
			rmdir(r->tmp_root);
		r->started = false;
	}
	engine_route_close(&r->route);
	if (r->images)
		imgcache_free(r->images);
	r->images = NULL;
	strbuf_release(&r->unattributed);
	free(r->own_id);
	free(r->own_owner);
	free(r->own_tmp);
	free(r->own_art);
	r->own_id = r->own_owner = r->own_tmp = r->own_art = NULL;
}
