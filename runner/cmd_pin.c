/* sandrun pin / sandrun verify: tags resolved to digests through the engine
 * (a pull by tag, then the repo digest it recorded; the per-platform digest
 * from the manifest list), the catalogue rewritten in place. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../catalogue/gitrepo.h"
#include "../catalogue/pin.h"
#include "cli.h"
#include "../lib/jsonparse.h"

struct resolver {
	struct engine *engine;
};

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
	const char *args_i[] = {"manifest", "inspect", "--insecure", "--verbose", ref, NULL};
	const char *args[] = {"manifest", "inspect", "--verbose", ref, NULL};
	struct strbuf text = STRBUF_INIT;
	struct json_value *root = NULL;
	char os[64] = "", arch[64] = "", variant[64] = "";
	int rc;

	*out = NULL;
	sscanf(platform, "%63[^/]/%63[^/]/%63s", os, arch, variant);
	rc = engine_call(e, insecure_registry(ref) ? args_i : args, ENGINE_TMO_PULL, &text, err);
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

static int resolve(void *ctx, const char *base, const char *platform, char **digest, char **pdigest,
		   struct sr_err *err)
{
	struct resolver *r = ctx;
	char *ref;
	int rc;

	*digest = NULL;
	if (pdigest)
		*pdigest = NULL;
	if (engine_pull(r->engine, base, err) < 0)
		return sr_err_wrap(err, "cannot pull '%s'", base);
	if (engine_repo_digest(r->engine, base, digest, err) < 0)
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

static int parse_ids(int argc, char **argv, struct strvec *ids, bool *all, bool *commit,
		     const char **branch, bool allow_commit)
{
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (!strcmp(argv[i], "--all")) {
			*all = true;
		} else if (allow_commit && !strcmp(argv[i], "--commit")) {
			*commit = true;
		} else if (allow_commit && cli_opt(argc, argv, &i, "--branch", NULL, &v)) {
			if (!v) {
				sr_log("--branch needs a name");
				return EXIT_USAGE;
			}
			*branch = v;
		} else if (argv[i][0] == '-') {
			sr_log("unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else {
			strvec_push(ids, argv[i]);
		}
	}
	if (*all && ids->nr) {
		sr_log("give either --all or toolchain ids, not both");
		return EXIT_USAGE;
	}
	if (*branch && !*commit) {
		sr_log("--branch needs --commit");
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_pin(const struct cli *cli, int argc, char **argv)
{
	struct strvec ids = STRVEC_INIT, changes = STRVEC_INIT;
	struct strbuf lines = STRBUF_INIT;
	struct catalogue cat = {0};
	struct engine eng = {0};
	struct sr_err err = SR_ERR_INIT;
	struct resolver res;
	bool all = false, commit = false;
	const char *branch = NULL;
	int nfailed = 0, rc;

	if ((rc = parse_ids(argc, argv, &ids, &all, &commit, &branch, true)))
		goto out;
	if (!all && !ids.nr) {
		sr_log("pin needs --all or toolchain ids");
		rc = EXIT_USAGE;
		goto out;
	}
	if (cli_load_catalogue(cli, &cat, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (cli_engine(cli, &eng, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	res.engine = &eng;
	if (catalogue_pin(&cat, (const char *const *)ids.v, ids.nr, resolve, &res, &lines, &changes,
			  &nfailed, &err) < 0) {
		fputs(strbuf_str(&lines), stdout);
		rc = cli_fail(&err);
		goto out;
	}
	fputs(strbuf_str(&lines), stdout);
	rc = nfailed ? EXIT_FAIL : EXIT_OK;
	if (commit && changes.nr) {
		struct strbuf msg = STRBUF_INIT;
		char *hex = NULL;
		/* The subject the nightly bot's pull requests are searched by. */
		strbuf_addf(&msg, "Pin %zu toolchain images\n\n", changes.nr);
		for (size_t i = 0; i < changes.nr; i++)
			strbuf_addf(&msg, "%s\n", changes.v[i]);
		if (gitrepo_commit_file(cat.path, branch, msg.buf, &err, &hex) < 0) {
			rc = cli_fail(&err);
		} else {
			printf("committed %s on %s\n", hex ? hex : "?",
			       branch ? branch : "sandrun/pin-<date>");
		}
		free(hex);
		strbuf_release(&msg);
	} else if (commit) {
		printf("nothing changed: no commit\n");
	}
out:
	strvec_clear(&ids);
	strvec_clear(&changes);
	strbuf_release(&lines);
	catalogue_release(&cat);
	engine_release(&eng);
	return rc;
}

int cmd_verify(const struct cli *cli, int argc, char **argv)
{
	struct catalogue cat = {0};
	struct engine eng = {0};
	struct sr_err err = SR_ERR_INIT;
	struct resolver res = {0};
	bool pull = false;
	int problems = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pull")) {
			pull = true;
		} else {
			sr_log("unknown argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (cli_load_catalogue(cli, &cat, &err) < 0)
		return cli_fail(&err);
	if (cli_engine(cli, &eng, &err) < 0) {
		catalogue_release(&cat);
		return cli_fail(&err);
	}
	res.engine = &eng;
	for (size_t i = 0; i < cat.n; i++) {
		const struct cat_entry *e = &cat.entries[i];
		char *ref, *now = NULL, *pnow = NULL;
		bool present = false;

		if (!cat_entry_pinned(e)) {
			printf("%s: unpinned\n", e->toolchain_id);
			problems++;
			continue;
		}
		/* The pin must be resolvable: present, or pullable by digest. */
		ref = cat_entry_ref(e);
		if (engine_image_present(&eng, ref, &present, &err) < 0 ||
		    (!present && engine_pull(&eng, ref, &err) < 0)) {
			printf("%s: pin not resolvable: %s: %s\n", e->toolchain_id, ref, err.msg);
			problems++;
			free(ref);
			continue;
		}
		free(ref);
		if (!pull) {
			printf("%s: ok %s\n", e->toolchain_id, e->digest);
			continue;
		}
		if (resolve(&res, e->base, e->platform, &now, e->platform ? &pnow : NULL, &err) <
		    0) {
			printf("%s: cannot resolve tag '%s': %s\n", e->toolchain_id, e->base,
			       err.msg);
			problems++;
		} else if (strcmp(now, e->digest)) {
			printf("%s: drift: pinned %s, tag %s now %s\n", e->toolchain_id, e->digest,
			       e->base, now);
			problems++;
		} else if (pnow && e->platform_digest && strcmp(pnow, e->platform_digest)) {
			printf("%s: drift: platform %s pinned %s, now %s\n", e->toolchain_id,
			       e->platform, e->platform_digest, pnow);
			problems++;
		} else {
			printf("%s: ok %s (tag unchanged)\n", e->toolchain_id, e->digest);
		}
		free(now);
		free(pnow);
	}
	catalogue_release(&cat);
	engine_release(&eng);
	return problems ? EXIT_FAIL : EXIT_OK;
}
