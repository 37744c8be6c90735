/* pin and verify over a caller-supplied resolver: the policy (independent
 * entries, consistent digest pairs, one atomic rewrite, drift reports) lives
 * here, the registry access in the engine adapter. */
#include "catalogue/pin.h"

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

static const char *or_none(const char *d)
{
	return d && *d ? d : "(none)";
}

/* Ask fn about e and check what it answers: a valid digest, and for an entry
 * with a platform a valid platform digest too, since keeping the old one
 * next to a new list digest would pair manifests that do not belong
 * together. On failure nothing is returned and err says why. */
static int resolve_entry(const struct cat_entry *e, cat_resolve_fn fn, void *ctx, char **d,
			 char **pd, struct sr_err *err)
{
	struct sr_err rerr = SR_ERR_INIT;
	int rc;

	*d = NULL;
	*pd = NULL;
	rc = fn(ctx, e->base, e->platform, d, e->platform ? pd : NULL, &rerr);
	if (rc < 0)
		sr_err_set(err, rc, "%s", rerr.msg[0] ? rerr.msg : "the resolver failed");
	else if (!*d)
		rc = sr_err_set(err, SR_EFAIL, "the resolver returned no digest for '%s'", e->base);
	else if (!cat_digest_valid(*d))
		rc = sr_err_set(err, SR_EFAIL, "the resolver returned an invalid digest '%s'", *d);
	else if (e->platform && !*pd)
		rc = sr_err_set(err, SR_EFAIL, "the resolver returned no digest for platform '%s'",
				e->platform);
	else if (*pd && !cat_digest_valid(*pd))
		rc = sr_err_set(err, SR_EFAIL,
				"the resolver returned an invalid platform digest '%s'", *pd);
	if (rc < 0) {
		free(*d);
		free(*pd);
		*d = *pd = NULL;
		return rc;
	}
	return 0;
}

/* Write text over c's file, unless the file no longer holds what c was
 * parsed from (someone edited it while the registry was asked). */
static int write_back(const struct catalogue *c, const char *text, size_t len, struct sr_err *err)
{
	char *now = NULL;
	size_t nlen = 0;
	int same;

	if (sr_read_file(c->path, &now, &nlen, err) < 0)
		return sr_err_wrap(err, "cannot re-read catalogue");
	same = nlen == c->len && !memcmp(now, c->text, nlen);
	free(now);
	if (!same)
		return sr_err_set(err, SR_EFAIL,
				  "catalogue '%s' changed on disk while pinning: nothing written",
				  c->path);
	return sr_write_file_atomic(c->path, text, len, err);
}

int catalogue_pin(struct catalogue *c, const char *const *ids, size_t nids, cat_resolve_fn fn,
		  void *ctx, struct strbuf *lines, struct strvec *changes, int *nfailed,
		  struct sr_err *err)
{
	return catalogue_pin_ex(c, ids, nids, fn, ctx, false, lines, changes, nfailed, err);
}

int catalogue_pin_ex(struct catalogue *c, const char *const *ids, size_t nids, cat_resolve_fn fn,
		     void *ctx, bool dry_run, struct strbuf *lines, struct strvec *changes,
		     int *nfailed, struct sr_err *err)
{
	struct cat_update *ups = xcalloc(c->n ? c->n : 1, sizeof(*ups));
	/* The resolved strings the updates point at, freed once written. */
	char **owned = xcalloc(2 * (c->n ? c->n : 1), sizeof(*owned));
	size_t nups = 0, nowned = 0;
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
		struct sr_err rerr = SR_ERR_INIT;
		char *d, *pd;
		bool dchg, pchg;

		if (!selected(e->toolchain_id, ids, nids))
			continue;
		if (resolve_entry(e, fn, ctx, &d, &pd, &rerr) < 0) {
			strbuf_addf(lines, "%s: error: %s\n", e->toolchain_id, rerr.msg);
			(*nfailed)++;
			continue;
		}
		dchg = strcmp(d, e->digest) != 0;
		pchg = pd && (!e->platform_digest || strcmp(pd, e->platform_digest));
		if (!dchg && !pchg)
			strbuf_addf(lines, "%s: unchanged\n", e->toolchain_id);
		if (dchg) {
			strbuf_addf(lines, "%s: %s -> %s\n", e->toolchain_id, or_none(e->digest),
				    d);
			strvec_pushf(changes, "%s: %s -> %s", e->toolchain_id, or_none(e->digest),
				     d);
		}
		if (pchg) {
			strbuf_addf(lines, "%s: platform %s: %s -> %s\n", e->toolchain_id,
				    e->platform, or_none(e->platform_digest), pd);
			if (!dchg)
				strvec_pushf(changes, "%s: platform %s: %s -> %s", e->toolchain_id,
					     e->platform, or_none(e->platform_digest), pd);
		}
		if (dchg || pchg) {
			ups[nups].toolchain_id = e->toolchain_id;
			ups[nups].digest = dchg ? d : NULL;
			ups[nups].platform_digest = pchg ? pd : NULL;
			nups++;
		}
		owned[nowned++] = d;
		owned[nowned++] = pd;
	}
	if (nups && !dry_run) {
		char *text = NULL, *path;
		size_t len = 0;

		if ((rc = catalogue_rewrite(&text, &len, c, ups, nups, err)) < 0)
			goto done;
		rc = write_back(c, text, len, err);
		free(text);
		if (rc < 0)
			goto done;
		path = xstrdup(c->path);
		catalogue_release(c);
		rc = catalogue_load(c, path, err);
		free(path);
	}
done:
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(ups);
	return rc;
}

/* One entry's verification line; returns 1 when it reports a problem. */
static int verify_entry(const struct cat_entry *e, cat_check_fn check, cat_resolve_fn resolve,
			void *ctx, struct strbuf *lines)
{
	const char *id = e->toolchain_id;
	struct sr_err rerr = SR_ERR_INIT;
	char *now = NULL, *pnow = NULL;
	int problem = 1;

	if (!cat_entry_pinned(e)) {
		strbuf_addf(lines, "%s: unpinned\n", id);
		return 1;
	}
	/* A platform without its digest would run whatever the host picks. */
	if (e->platform && !(e->platform_digest && *e->platform_digest)) {
		strbuf_addf(lines, "%s: platform %s unpinned\n", id, e->platform);
		return 1;
	}
	if (check) {
		char *ref = cat_entry_ref(e);
		int rc = check(ctx, ref, &rerr);
		if (rc < 0)
			strbuf_addf(lines, "%s: pin not resolvable: %s: %s\n", id, ref,
				    rerr.msg[0] ? rerr.msg : "unknown error");
		free(ref);
		if (rc < 0)
			return 1;
	}
	if (!resolve) {
		strbuf_addf(lines, "%s: ok %s\n", id, e->digest);
		return 0;
	}
	if (resolve(ctx, e->base, e->platform, &now, e->platform ? &pnow : NULL, &rerr) < 0 ||
	    !now) {
		strbuf_addf(lines, "%s: error: cannot resolve tag '%s': %s\n", id, e->base,
			    rerr.msg[0] ? rerr.msg : "the resolver returned no digest");
	} else if (strcmp(now, e->digest)) {
		strbuf_addf(lines, "%s: drift: pinned %s, tag now %s\n", id, e->digest, now);
	} else if (pnow && strcmp(pnow, e->platform_digest)) {
		strbuf_addf(lines, "%s: drift: platform %s pinned %s, now %s\n", id, e->platform,
			    e->platform_digest, pnow);
	} else {
		strbuf_addf(lines, "%s: ok %s (tag unchanged)\n", id, e->digest);
		problem = 0;
	}
	free(now);
	free(pnow);
	return problem;
}

int catalogue_verify(const struct catalogue *c, cat_check_fn check, cat_resolve_fn resolve,
		     void *ctx, struct strbuf *lines, int *nproblems, struct sr_err *err)
{
	if (!c || !lines || !nproblems)
		return sr_err_set(err, SR_EINVAL, "catalogue_verify: missing argument");
	*nproblems = 0;
	for (size_t i = 0; i < c->n; i++)
		*nproblems += verify_entry(&c->entries[i], check, resolve, ctx, lines);
	return 0;
}
