/* sandrun pin: tags resolved to digests (tagresolve.h), the catalogue
 * rewritten in place. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalogue/gitrepo.h"
#include "catalogue/pin.h"
#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"
#include "runner/engine/tagresolve.h"
#include "lib/jsonparse.h"

/* Returns 0 to go on, -1 after --help, or an exit code. */
static int parse_ids(int argc, char **argv, struct strvec *ids, bool *all, bool *commit,
		     const char **branch)
{
	struct sr_err err = SR_ERR_INIT;
	struct opt_iter it;
	const char *v;
	int id;

	opt_iter_init(&it, verb_find("pin"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == O_PIN_ALL)
			*all = true;
		else if (id == O_PIN_COMMIT)
			*commit = true;
		else if (id == O_PIN_BRANCH)
			*branch = v;
		else if (id == OPT_ARG)
			strvec_push(ids, v);
		else
			return verb_stop(it.verb, id, &err) == EXIT_OK ? -1 : EXIT_USAGE;
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
	struct tag_resolver res;
	bool all = false, commit = false;
	const char *branch = NULL;
	int nfailed = 0, rc;

	if ((rc = parse_ids(argc, argv, &ids, &all, &commit, &branch))) {
		if (rc < 0)
			rc = EXIT_OK;
		goto out;
	}
	if (!all && !ids.nr) {
		sr_log("pin needs --all or toolchain ids");
		rc = EXIT_USAGE;
		goto out;
	}
	if (cli_load_catalogue(&cat, cli, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (cli_engine(&eng, cli, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	res.engine = &eng;
	if (catalogue_pin(&cat, (const char *const *)ids.v, ids.nr, tag_resolve, &res, &lines,
			  &changes, &nfailed, &err) < 0) {
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
