#include "runner/engine/engine_ops.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/smallfile.h"
#include "runner/engine/engine_api.h"
#include "runner/engine/podman.h"

/* ---- the CLI route ---- */

static int cli_inspect(struct engine_state *out, const struct engine_route *r, const char *name,
		       struct sr_err *err)
{
	return engine_inspect_state(out, r->e, name, err);
}

static int cli_kill(const struct engine_route *r, const char *name, struct sr_err *err)
{
	const char *args[] = {"kill", name, NULL};

	return engine_call(NULL, r->e, args, ENGINE_TMO_QUICK, err);
}

/* One client process for every name. */
static int cli_remove(const struct engine_route *r, const char *const *names, bool network,
		      struct sr_err *err)
{
	struct strvec args = STRVEC_INIT;
	int rc;

	if (!names || !names[0])
		return 0;
	if (network)
		strvec_pushv(&args, (const char *const[]){"network", "rm", NULL});
	else
		strvec_pushv(&args, (const char *const[]){"rm", "-f", "-v", NULL});
	strvec_pushv(&args, names);
	rc = engine_call(NULL, r->e, (const char *const *)args.v, ENGINE_TMO_QUICK, err);
	strvec_clear(&args);
	return rc;
}

static int cli_network_create(const struct engine_route *r, const struct engine_net *n,
			      struct sr_err *err)
{
	struct strvec args = STRVEC_INIT;
	int rc;

	engine_net_args(&args, r->e, n);
	rc = engine_call(NULL, r->e, (const char *const *)args.v, ENGINE_TMO_QUICK, err);
	strvec_clear(&args);
	return rc;
}

const struct engine_ops engine_cli_ops = {
    .name = "cli",
    .inspect = cli_inspect,
    .kill = cli_kill,
    .remove = cli_remove,
    .network_create = cli_network_create,
};

/* ---- the API route: one request each, no client process ---- */

static int api_inspect(struct engine_state *out, const struct engine_route *r, const char *name,
		       struct sr_err *err)
{
	return eapi_inspect_state(out, r->api, name, err);
}

static int api_kill(const struct engine_route *r, const char *name, struct sr_err *err)
{
	return eapi_kill(r->api, name, err);
}

static int api_remove(const struct engine_route *r, const char *const *names, bool network,
		      struct sr_err *err)
{
	int rc = 0;

	for (size_t i = 0; names && names[i]; i++) {
		struct sr_err e2 = SR_ERR_INIT;
		if ((network ? eapi_network_remove : eapi_remove)(r->api, names[i], &e2) < 0) {
			sr_debug("removal: %s", e2.msg);
			rc = sr_err_set(err, e2.code, "%s", e2.msg);
		}
	}
	return rc;
}

static int api_network_create(const struct engine_route *r, const struct engine_net *n,
			      struct sr_err *err)
{
	struct eapi_label labels[] = {{"sandrun.run", n->run_id}, {"sandrun.owner", n->owner}};

	return eapi_network_create(NULL, r->api, n->name, true, labels, 2, n->name, err);
}

const struct engine_ops engine_api_ops = {
    .name = "api",
    .inspect = api_inspect,
    .kill = api_kill,
    .remove = api_remove,
    .network_create = api_network_create,
};

/* ---- choosing ---- */

/* Whether the docker CLI names a context of its own in its config file
 * ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): it may then talk
 * to another daemon than the default socket. */
static bool cli_has_context(void)
{
	const char *cfg = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	struct sr_err err = SR_ERR_INIT;
	char *path, *text = NULL;
	size_t len = 0;
	bool named;

	if (cfg && *cfg)
		path = xasprintf("%s/config.json", cfg);
	else if (home && *home)
		path = xasprintf("%s/.docker/config.json", home);
	else
		return false;
	if (access(path, F_OK) < 0) {
		free(path);
		return false;
	}
	/* Unreadable or too large: assume a context, take the CLI's word. */
	named = sr_read_small_file(&text, &len, path, 1 << 20, &err) < 0 ||
		strstr(text, "\"currentContext\"") != NULL;
	free(text);
	free(path);
	return named;
}

int engine_probe_api(struct engine *e)
{
	const char *sw = getenv("SANDRUN_ENGINE_API"), *ctx = getenv("DOCKER_CONTEXT");
	struct sr_err err = SR_ERR_INIT;
	struct eapi *api = NULL;
	char *sock = NULL, *ver = NULL;
	int rc = -1;

	if ((sw && (!strcmp(sw, "0") || !strcmp(sw, "off"))) || e->podman ||
	    strcmp(e->bin, "docker") != 0 || (ctx && *ctx) || cli_has_context())
		return -1;
	if (eapi_default_socket(&sock, false, &err) == 0 && eapi_open(&api, sock, &err) == 0 &&
	    eapi_version(&ver, api, &err) == 0 && ver && *ver) {
		free(e->version);
		e->version = ver;
		ver = NULL;
		rc = 0;
	}
	free(ver);
	eapi_close(api);
	free(sock);
	return rc;
}

static const char *why_not_api(struct eapi **api, char **sock, char **ver, const struct engine *e,
			       struct sr_err *err)
{
	const char *sw = getenv("SANDRUN_ENGINE_API"), *ctx = getenv("DOCKER_CONTEXT");

	if (sw && (!strcmp(sw, "0") || !strcmp(sw, "off")))
		return "SANDRUN_ENGINE_API is off";
	if (e->podman || strcmp(e->bin, "docker") != 0)
		return "the engine is not plain docker";
	if (ctx && *ctx)
		return "DOCKER_CONTEXT is set";
	if (eapi_default_socket(sock, false, err) < 0 || eapi_open(api, *sock, err) < 0 ||
	    eapi_version(ver, *api, err) < 0)
		return err->msg;
	if (e->version && strcmp(e->version, *ver) != 0)
		return "the socket's server version differs from the CLI's";
	return NULL;
}

void engine_route_open(struct engine_route *out, const struct engine *e)
{
	struct sr_err err = SR_ERR_INIT;
	struct eapi *api = NULL;
	char *sock = NULL, *ver = NULL;
	const char *why = why_not_api(&api, &sock, &ver, e, &err);

	engine_route_cli(out, e);
	if (why) {
		sr_debug("engine route: CLI (%s)", why);
		eapi_close(api);
	} else {
		sr_debug("engine route: API over %s (server %s)", sock, ver);
		out->ops = &engine_api_ops;
		out->api = api;
	}
	free(sock);
	free(ver);
}

void engine_route_cli(struct engine_route *out, const struct engine *e)
{
	out->ops = &engine_cli_ops;
	out->e = e;
	out->api = NULL;
}

void engine_route_close(struct engine_route *r)
{
	eapi_close(r->api);
	r->api = NULL;
	r->ops = &engine_cli_ops;
}

void engine_net_args(struct strvec *out, const struct engine *e, const struct engine_net *n)
{
	char *lr = xasprintf("sandrun.run=%s", n->run_id);
	char *lo = xasprintf("sandrun.owner=%s", n->owner);

	if (e->podman) {
		/* podman picks the bridge; the run reads it back. */
		podman_network_create_args(out, n->name, lr, lo);
	} else {
		strvec_pushv(out,
			     (const char *const[]){"network", "create", "--internal", "--label", lr,
						   "--label", lo, "--opt", NULL});
		strvec_pushf(out, "com.docker.network.bridge.name=%s", n->name);
		strvec_push(out, n->name);
	}
	free(lr);
	free(lo);
}
