#include "pin.h"

#include <string.h>

static bool selected(const char *id, const char *const *ids, size_t nids)
{
	if (!nids)
		return true;
	for (size_t i = 0; i < nids; i++)
		if (!strcmp(ids[i], id))
			return true;
	return false;
}

int catalogue_pin(struct catalogue *c, const char *const *ids, size_t nids, cat_resolve_fn fn,
		  void *ctx, struct strbuf *lines, struct strvec *changes, int *nfailed,
		  struct sr_err *err)
{
	struct cat_update *ups = xcalloc(c->n ? c->n : 1, sizeof(*ups));
	char **owned = xcalloc(2 * (c->n ? c->n : 1), sizeof(char *));
	size_t nups = 0;
	int rc = 0;

	*nfailed = 0;
	for (size_t i = 0; i < nids; i++)
		if (!catalogue_find(c, ids[i])) {
			rc = sr_err_set(err, SR_EINVAL, "toolchain '%s' is not in catalogue '%s'",
					ids[i], c->path);
			goto done;
		}
	for (size_t i = 0; i < c->n; i++) {
		const struct cat_entry *e = &c->entries[i];
		struct sr_err e2 = SR_ERR_INIT;
		char *d = NULL, *pd = NULL;
		bool changed;

		if (!selected(e->toolchain_id, ids, nids))
			continue;
		if (fn(ctx, e->base, e->platform, &d, e->platform ? &pd : NULL, &e2) < 0 || !d ||
		    !cat_digest_valid(d) || (pd && !cat_digest_valid(pd))) {
			strbuf_addf(lines, "%s: error: %s\n", e->toolchain_id,
				    e2.msg[0] ? e2.msg : "the resolver returned no valid digest");
			(*nfailed)++;
			free(d);
			free(pd);
			continue;
		}
		changed = strcmp(d, e->digest) ||
			  (pd && (!e->platform_digest || strcmp(pd, e->platform_digest)));
		if (!changed) {
			strbuf_addf(lines, "%s: unchanged\n", e->toolchain_id);
			free(d);
			free(pd);
			continue;
		}
		strvec_pushf(changes, "%s: %s -> %s", e->toolchain_id,
			     *e->digest ? e->digest : "(none)", d);
		strbuf_addf(lines, "%s: %s -> %s\n", e->toolchain_id,
			    *e->digest ? e->digest : "(none)", d);
		if (pd)
			strbuf_addf(lines, "%s: platform %s: %s -> %s\n", e->toolchain_id,
				    e->platform,
				    e->platform_digest && *e->platform_digest ? e->platform_digest
									      : "(none)",
				    pd);
		owned[2 * nups] = d;
		owned[2 * nups + 1] = pd;
		ups[nups].toolchain_id = e->toolchain_id;
		ups[nups].digest = d;
		ups[nups].platform_digest = pd;
		nups++;
	}
	if (nups) {
		char *text, *path;
		size_t len;
		if ((rc = catalogue_rewrite(&text, &len, c, ups, nups, err)) < 0)
			goto done;
		rc = sr_write_file_atomic(c->path, text, len, err);
		free(text);
		if (rc < 0)
			goto done;
		path = xstrdup(c->path);
		catalogue_release(c);
		rc = catalogue_load(c, path, err);
		free(path);
	}
done:
	for (size_t i = 0; i < 2 * nups; i++)
		free(owned[i]);
	free(owned);
	free(ups);
	return rc;
}
