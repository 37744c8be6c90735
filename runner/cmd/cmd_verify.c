/* sandrun verify: every entry pinned, every pin resolvable, and (--pull)
 * no tag drifted from its pin. */
#include <stdio.h>
#include <string.h>

#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"
#include "runner/engine/tagresolve.h"

int cmd_verify(const struct cli *cli, int argc, char **argv)
{
	struct catalogue cat = {0};
	struct engine eng = {0};
	struct sr_err err = SR_ERR_INIT;
	struct tag_resolver res = {0};
	bool pull = false;
	int problems = 0;

	struct opt_iter it;
	const char *v;
	int id;

	opt_iter_init(&it, verb_find("verify"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == O_VERIFY_PULL)
			pull = true;
		else if (id == OPT_ARG)
			return cli_usage("verify takes no arguments, got", v);
		else
			return verb_stop(it.verb, id, &err);
	}
	if (cli_load_catalogue(&cat, cli, &err) < 0)
		return cli_fail(&err);
	if (cli_engine(&eng, cli, &err) < 0) {
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
		if (engine_image_present(&present, &eng, ref, &err) < 0 ||
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
		if (tag_resolve(&res, e->base, e->platform, &now, e->platform ? &pnow : NULL,
				&err) < 0) {
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
