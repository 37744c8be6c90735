#include "runner/engine/tagresolve.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DAEMON_JSON "/etc/docker/daemon.json"

#include "catalogue/registry.h"
#include "lib/jsonparse.h"

/* Registries on loopback speak plain HTTP; `docker manifest` must be told. */
static bool insecure_registry(const char *ref)
{
	return !strncmp(ref, "127.", 4) || !strncmp(ref, "localhost:", 10) ||
	       !strncmp(ref, "localhost/", 10);
}

static const char *jstr(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);
	return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

/* The digest of platform ("os/arch[/variant]") in the manifest list of ref. */
static int platform_digest(struct engine *e, const char *ref, const char *platform, char **out,
			   struct sr_err *err)
{
	const char *args_i[] = {"manifest", "inspect", "--insecure", "--verbose", "--", ref, NULL};
	const char *args[] = {"manifest", "inspect", "--verbose", "--", ref, NULL};
	struct strbuf text = STRBUF_INIT;
	struct json_value *root = NULL;
	char os[64] = "", arch[64] = "", variant[64] = "";
	int rc;

	*out = NULL;
	sscanf(platform, "%63[^/]/%63[^/]/%63s", os, arch, variant);
	rc = engine_call(&text, e, insecure_registry(ref) ? args_i : args, ENGINE_TMO_PULL, err);
	if (rc < 0) {
		strbuf_release(&text);
		return sr_err_wrap(err, "cannot inspect the manifest of '%s'", ref);
	}
	if (json_parse(&root, "manifest", strbuf_str(&text), text.len, err) < 0) {
		strbuf_release(&text);
		return SR_EFAIL;
	}
	/* A list prints an array of per-platform entries; a single manifest one object. */
	for (size_t i = 0; root->type == JSON_ARRAY && i < root->u.arr.n && !*out; i++) {
		const struct json_value *d = json_get(root->u.arr.v[i], "Descriptor");
		const struct json_value *p = d ? json_get(d, "platform") : NULL;
		const char *pos = p ? jstr(p, "os") : NULL,
			   *parch = p ? jstr(p, "architecture") : NULL;
		const char *pvar = p ? jstr(p, "variant") : NULL;
		if (pos && parch && !strcmp(pos, os) && !strcmp(parch, arch) &&
		    (!variant[0] || (pvar && !strcmp(pvar, variant))) && jstr(d, "digest"))
			*out = xstrdup(jstr(d, "digest"));
	}
	if (root->type == JSON_OBJECT) {
		const struct json_value *d = json_get(root, "Descriptor");
		const char *dg = d ? jstr(d, "digest") : NULL;
		if (dg)
			*out = xstrdup(dg);
	}
	json_free(root);
	strbuf_release(&text);
	if (!*out)
		return sr_err_set(err, SR_EFAIL, "'%s' has no manifest for platform '%s'", ref,
				  platform);
	return 0;
}

int tag_resolve(void *ctx, const char *base, const char *platform, char **digest, char **pdigest,
		struct sr_err *err)
{
	struct tag_resolver *r = ctx;
	char *ref;
	int rc;

	*digest = NULL;
	if (pdigest)
		*pdigest = NULL;
	if (engine_pull(r->engine, base, err) < 0)
		return sr_err_wrap(err, "cannot pull '%s'", base);
	if (engine_repo_digest(digest, r->engine, base, err) < 0)
		return SR_EFAIL;
	if (!platform || !pdigest)
		return 0;
	/* Ask about the exact digest just resolved, so the two belong together. */
	{
		const char *at = strchr(base, '@');
		ref = xasprintf("%.*s@%s", (int)(at ? at - base : (ptrdiff_t)strlen(base)), base,
				*digest);
	}
	rc = platform_digest(r->engine, ref, platform, pdigest, err);
	free(ref);
	if (rc < 0) {
		free(*digest);
		*digest = NULL;
	}
	return rc;
}

/* The engine's own insecure registries (daemon.json "insecure-registries":
 * host:port entries and IPv4 CIDR blocks), so pin reaches what pull does. */
static void daemon_insecure(struct strvec *out)
{
	struct json_value *root = NULL;
	struct sr_err err = SR_ERR_INIT;
	const struct json_value *list;

	if (access(DAEMON_JSON, R_OK) || json_parse_file(&root, DAEMON_JSON, &err) < 0)
		return;
	list = json_get(root, "insecure-registries");
	for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.arr.n; i++)
		if (json_str(list->u.arr.v[i]))
			strvec_push(out, json_str(list->u.arr.v[i]));
	json_free(root);
}

int remote_resolver_new(struct registry **out, const struct strvec *insecure, struct sr_err *err)
{
	struct strvec hosts = STRVEC_INIT;
	struct registry_opts o = {0};
	int rc;
	const char *tmo = getenv("SANDRUN_REGISTRY_TIMEOUT"),
		   *jobs = getenv("SANDRUN_REGISTRY_JOBS");
	uint64_t ms = 0;

	if (tmo && *tmo && (sr_parse_duration_ms(tmo, &ms) < 0 || !ms))
		return sr_err_set(err, SR_EINVAL, "SANDRUN_REGISTRY_TIMEOUT: not a duration: '%s'",
				  tmo);
	o.timeout_ms = ms;
	if (jobs && *jobs) {
		char *end;
		long n = strtol(jobs, &end, 10);
		if (*end || n < 1 || n > 16)
			return sr_err_set(err, SR_EINVAL,
					  "SANDRUN_REGISTRY_JOBS: not a number from 1 to 16: '%s'",
					  jobs);
		o.jobs = (int)n;
	}
	for (size_t i = 0; i < insecure->nr; i++)
		strvec_push(&hosts, insecure->v[i]);
	daemon_insecure(&hosts);
	o.insecure = (const char *const *)strvec_argv(&hosts);
	o.ninsecure = hosts.nr;
	rc = registry_new(out, &o, err);
	strvec_clear(&hosts);
	return rc;
}

void remote_prefetch(struct registry *r, const struct catalogue *c, const char *const *ids,
		     size_t nids)
{
	const char **bases = xcalloc(c->n + 1, sizeof(*bases));
	const char **plats = xcalloc(c->n + 1, sizeof(*plats));
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++) {
		bool sel = !nids;
		for (size_t k = 0; k < nids && !sel; k++)
			sel = !strcmp(ids[k], c->entries[i].toolchain_id);
		if (!sel || !c->entries[i].base)
			continue;
		bases[n] = c->entries[i].base;
		plats[n++] = c->entries[i].platform;
	}
	registry_prefetch(r, bases, plats, n);
	free(bases);
	free(plats);
}
