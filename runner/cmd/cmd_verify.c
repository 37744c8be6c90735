/* sandrun verify: every entry pinned, every pin resolvable, and (--pull)
 * no tag drifted from its pin; --remote asks the registry itself (no pull,
 * no engine). */
#include <stdio.h>
#include <string.h>

#include "catalogue/pin.h"
#include "catalogue/registry.h"
#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"
#include "runner/engine/tagresolve.h"

/* One entry through the engine: pinned, the pin present or pullable, and
 * with pull its tag resolved by a pull. Returns 1 when it has a problem. */
static int verify_engine_entry(const struct cat_entry *e, struct engine *eng,
			       struct tag_resolver *res, bool pull)
{
	struct sr_err err = SR_ERR_INIT;
	int problem = 0;
	char *ref, *now = NULL, *pnow = NULL;
	bool present = false;

	if (!cat_entry_pinned(e)) {
		printf("%s: unpinned\n", e->toolchain_id);
		return 1;
	}
	/* The pin must be resolvable: present, or pullable by digest. */
	ref = cat_entry_ref(e);
	if (engine_image_present(&present, eng, ref, &err) < 0 ||
	    (!present && engine_pull(eng, ref, &err) < 0)) {
		printf("%s: pin not resolvable: %s: %s\n", e->toolchain_id, ref, err.msg);
		free(ref);
		return 1;
	}
	free(ref);
	if (!pull) {
		printf("%s: ok %s\n", e->toolchain_id, e->digest);
		return 0;
	}
	if (tag_resolve(res, e->base, e->platform, &now, e->platform ? &pnow : NULL, &err) < 0) {
		printf("%s: cannot resolve tag '%s': %s\n", e->toolchain_id, e->base, err.msg);
		problem = 1;
	} else if (strcmp(now, e->digest)) {
		printf("%s: drift: pinned %s, tag %s now %s\n", e->toolchain_id, e->digest, e->base,
		       now);
		problem = 1;
	} else if (pnow && e->platform_digest && strcmp(pnow, e->platform_digest)) {
		printf("%s: drift: platform %s pinned %s, now %s\n", e->toolchain_id, e->platform,
		       e->platform_digest, pnow);
		problem = 1;
	} else {
		printf("%s: ok %s (tag unchanged)\n", e->toolchain_id, e->digest);
	}
	free(now);
	free(pnow);
	return problem;
}

/* verify --remote: each pin asked for (HEAD by digest), each tag resolved,
 * all through the registry's API. */
static int verify_remote(const struct catalogue *cat, const struct strvec *insecure)
{
	struct registry *reg = NULL;
	struct sr_err err = SR_ERR_INIT;
	struct strbuf lines = STRBUF_INIT;
	int problems = 0;

	if (remote_resolver_new(&reg, insecure, &err) < 0)
		return cli_fail(&err);
	remote_prefetch(reg, cat, NULL, 0);
	catalogue_verify(cat, registry_check, registry_resolve, reg, &lines, &problems, &err);
	fputs(strbuf_str(&lines), stdout);
	strbuf_release(&lines);
	registry_free(reg);
	return problems ? EXIT_FAIL : EXIT_OK;
}

int cmd_verify(const struct cli *cli, int argc, char **argv)
{
	struct catalogue cat = {0};
	struct engine eng = {0};
	struct sr_err err = SR_ERR_INIT;
	struct tag_resolver res = {0};
	struct strvec insecure = STRVEC_INIT;
	bool pull = false, remote = false, via_engine = false;
	int problems = 0;

	struct opt_iter it;
	const char *v;
	int id;

	opt_iter_init(&it, verb_find("verify"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == O_VERIFY_PULL)
			pull = true;
		else if (id == O_VERIFY_REMOTE)
			remote = true;
		else if (id == O_VERIFY_VIA_ENGINE)
			via_engine = true;
		else if (id == O_VERIFY_INSECURE)
			strvec_push(&insecure, v);
		else if (id == OPT_ARG || id == OPT_HELP || id == OPT_BAD)
			break;
	}
	if (id != OPT_END) {
		strvec_clear(&insecure);
		return id == OPT_ARG ? cli_usage("verify takes no arguments, got", v)
				     : verb_stop(it.verb, id, &err);
	}
	if (via_engine && !remote) {
		strvec_clear(&insecure);
		return cli_usage("--via-engine goes with --remote (it is then --pull)", NULL);
	}
	if (remote && via_engine)
		pull = true, remote = false;
	if (cli_load_catalogue(&cat, cli, &err) < 0) {
		strvec_clear(&insecure);
		return cli_fail(&err);
	}
	if (remote) {
		int rc = verify_remote(&cat, &insecure);
		strvec_clear(&insecure);
		catalogue_release(&cat);
		return rc;
	}
	strvec_clear(&insecure);
	if (cli_engine(&eng, cli, &err) < 0) {
		catalogue_release(&cat);
		return cli_fail(&err);
	}
	res.engine = &eng;
	for (size_t i = 0; i < cat.n; i++)
		problems += verify_engine_entry(&cat.entries[i], &eng, &res, pull);
	catalogue_release(&cat);
	engine_release(&eng);
	return problems ? EXIT_FAIL : EXIT_OK;
}
