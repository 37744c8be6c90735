/* sandrun check: validate specs and the catalogue with no engine at all. */
#include <stdio.h>

#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"

int cmd_check(const struct cli *cli, int argc, char **argv)
{
	struct catalogue cat = {0};
	struct cli_suite su = {0};
	struct strvec paths = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	struct opt_iter it;
	const char *v;
	bool cat_ok;
	int id, rc = EXIT_OK;

	opt_iter_init(&it, verb_find("check"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id != OPT_ARG) {
			strvec_clear(&paths);
			return verb_stop(it.verb, id, &err);
		}
		strvec_push(&paths, v);
	}
	/* A broken catalogue is one error among the others: the specs are
	 * still checked (without their toolchains). */
	cat_ok = cli_load_catalogue(&cat, cli, &err) == 0;
	if (!cat_ok) {
		sr_log("%s", err.msg);
		rc = EXIT_USAGE;
	}
	if (cli_load_suite(&su, &paths, cat_ok ? &cat : NULL, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	for (size_t i = 0; i < su.bad_msgs.nr; i++)
		sr_log("%s", su.bad_msgs.v[i]);
	if (su.bad_msgs.nr)
		rc = EXIT_USAGE;
	if (sr_verbosity >= 0)
		printf("checked %zu spec%s: %zu valid, %zu invalid%s\n", su.n + su.bad_paths.nr,
		       su.n + su.bad_paths.nr == 1 ? "" : "s", su.n, su.bad_paths.nr,
		       cat_ok ? "" : "; the catalogue is invalid");
out:
	cli_suite_release(&su);
	if (cat_ok)
		catalogue_release(&cat);
	strvec_clear(&paths);
	return rc;
}
