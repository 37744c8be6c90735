/* sandrun pull: make sure catalogue images are present (pinned ones by
 * digest, never by tag). */
#include <stdio.h>
#include <string.h>

#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"
#include "runner/engine/imgcache.h"

int cmd_pull(const struct cli *cli, int argc, char **argv)
{
	struct catalogue cat;
	struct engine eng;
	struct sr_err err = SR_ERR_INIT;
	struct strvec ids = STRVEC_INIT;
	struct imgcache *ic;
	bool all = false, always = false;
	int rc = EXIT_OK;

	struct opt_iter it;
	const char *v;
	int id;

	opt_iter_init(&it, verb_find("pull"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == O_PULL_ALL) {
			all = true;
		} else if (id == O_PULL_ALWAYS) {
			always = true;
		} else if (id == OPT_ARG) {
			strvec_push(&ids, v);
		} else {
			strvec_clear(&ids);
			return verb_stop(it.verb, id, &err);
		}
	}
	if (!all && !ids.nr) {
		sr_log("pull needs --all or toolchain ids");
		return EXIT_USAGE;
	}
	if (cli_load_catalogue(&cat, cli, &err) < 0) {
		strvec_clear(&ids);
		return cli_fail(&err);
	}
	for (size_t i = 0; i < ids.nr; i++) {
		if (!catalogue_find(&cat, ids.v[i])) {
			sr_log("toolchain '%s' is not in catalogue '%s'", ids.v[i], cat.path);
			catalogue_release(&cat);
			strvec_clear(&ids);
			return EXIT_USAGE;
		}
	}
	if (cli_engine(&eng, cli, &err) < 0) {
		catalogue_release(&cat);
		strvec_clear(&ids);
		return cli_fail(&err);
	}
	ic = imgcache_new(&eng, always ? PULL_ALWAYS : PULL_MISSING);
	for (size_t i = 0; i < cat.n; i++) {
		const struct cat_entry *e = &cat.entries[i];
		bool want = all, pulled = false;
		char *ref;
		for (size_t k = 0; k < ids.nr && !want; k++)
			want = !strcmp(ids.v[k], e->toolchain_id);
		if (!want)
			continue;
		ref = cat_entry_ref(e);
		if (imgcache_ensure(&pulled, ic, ref, &err) < 0) {
			printf("%s: error: %s\n", e->toolchain_id, err.msg);
			rc = EXIT_FAIL;
		} else {
			printf("%s: %s %s\n", e->toolchain_id, pulled ? "pulled" : "present", ref);
		}
		free(ref);
	}
	imgcache_free(ic);
	engine_release(&eng);
	catalogue_release(&cat);
	strvec_clear(&ids);
	return rc;
}
