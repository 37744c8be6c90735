/* sandrun pin: tags resolved to digests (by the registry's API, or with
 * --via-engine by pulling: tagresolve.h), the catalogue rewritten in place. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalogue/gitrepo.h"
#include "catalogue/pin.h"
#include "catalogue/registry.h"
#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"
#include "runner/engine/tagresolve.h"
#include "lib/jsonparse.h"

struct pin_args {
	struct strvec ids, insecure;
	bool all, commit, dry_run, via_engine;
	const char *branch;
};

/* Returns 0 to go on, -1 after --help, or an exit code. */
static int parse_ids(int argc, char **argv, struct pin_args *a)
{
	struct sr_err err = SR_ERR_INIT;
	struct opt_iter it;
	const char *v;
	int id;

	opt_iter_init(&it, verb_find("pin"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == O_PIN_ALL)
			a->all = true;
		else if (id == O_PIN_COMMIT)
			a->commit = true;
		else if (id == O_PIN_BRANCH)
			a->branch = v;
		else if (id == O_PIN_DRY_RUN)
			a->dry_run = true;
		else if (id == O_PIN_VIA_ENGINE)
			a->via_engine = true;
		else if (id == O_PIN_INSECURE)
			strvec_push(&a->insecure, v);
		else if (id == OPT_ARG)
			strvec_push(&a->ids, v);
		else
			return verb_stop(it.verb, id, &err) == EXIT_OK ? -1 : EXIT_USAGE;
	}
	if (a->all && a->ids.nr) {
		sr_log("give either --all or toolchain ids, not both");
		return EXIT_USAGE;
	}
	if (!a->all && !a->ids.nr) {
		sr_log("pin needs --all or toolchain ids");
		return EXIT_USAGE;
	}
	if (a->branch && !a->commit) {
		sr_log("--branch needs --commit");
		return EXIT_USAGE;
	}
	if (a->dry_run && a->commit) {
		sr_log("--dry-run writes nothing: it cannot --commit");
		return EXIT_USAGE;
	}
	return 0;
}

static int commit_changes(const struct catalogue *cat, const struct strvec *changes,
			  const char *branch)
{
	struct sr_err err = SR_ERR_INIT;
	struct strbuf msg = STRBUF_INIT;
	char *hex = NULL;
	int rc = EXIT_OK;

	if (!changes->nr) {
		printf("nothing changed: no commit\n");
		return EXIT_OK;
	}
	/* The subject the nightly bot's pull requests are searched by. */
	strbuf_addf(&msg, "Pin %zu toolchain images\n\n", changes->nr);
	for (size_t i = 0; i < changes->nr; i++)
		strbuf_addf(&msg, "%s\n", changes->v[i]);
	if (gitrepo_commit_file(cat->path, branch, msg.buf, &err, &hex) < 0)
		rc = cli_fail(&err);
	else
		printf("committed %s on %s\n", hex ? hex : "?",
		       branch ? branch : "sandrun/pin-<date>");
	free(hex);
	strbuf_release(&msg);
	return rc;
}

static bool all_known(const struct catalogue *cat, const struct strvec *ids)
{
	for (size_t i = 0; i < ids->nr; i++)
		if (!catalogue_find(cat, ids->v[i]))
			return false;
	return true;
}

int cmd_pin(const struct cli *cli, int argc, char **argv)
{
	struct pin_args a = {STRVEC_INIT, STRVEC_INIT, false, false, false, false, NULL};
	struct strvec changes = STRVEC_INIT;
	struct strbuf lines = STRBUF_INIT;
	struct catalogue cat = {0};
	struct engine eng = {0};
	struct sr_err err = SR_ERR_INIT;
	struct tag_resolver res = {&eng};
	struct registry *reg = NULL;
	const char *const *ids;
	int nfailed = 0, rc;

	if ((rc = parse_ids(argc, argv, &a))) {
		rc = rc < 0 ? EXIT_OK : rc;
		goto out;
	}
	ids = (const char *const *)a.ids.v;
	if (cli_load_catalogue(&cat, cli, &err) < 0 ||
	    (a.via_engine ? cli_engine(&eng, cli, &err)
			  : remote_resolver_new(&reg, &a.insecure, &err)) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	/* The registry is asked about every entry at once (bounded), then
	 * the catalogue logic reads the answers one by one. */
	if (reg && all_known(&cat, &a.ids))
		remote_prefetch(reg, &cat, ids, a.ids.nr);
	rc = catalogue_pin_ex(&cat, ids, a.ids.nr, reg ? registry_resolve : tag_resolve,
			      reg ? (void *)reg : (void *)&res, a.dry_run, &lines, &changes,
			      &nfailed, &err);
	fputs(strbuf_str(&lines), stdout);
	if (rc < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	rc = nfailed ? EXIT_FAIL : EXIT_OK;
	if (a.dry_run)
		printf("dry run: %zu entr%s would change; '%s' not written\n", changes.nr,
		       changes.nr == 1 ? "y" : "ies", cat.path);
	else if (a.commit) {
		int crc = commit_changes(&cat, &changes, a.branch);
		rc = crc != EXIT_OK ? crc : rc;
	}
out:
	strvec_clear(&a.ids);
	strvec_clear(&a.insecure);
	strvec_clear(&changes);
	strbuf_release(&lines);
	catalogue_release(&cat);
	engine_release(&eng);
	registry_free(reg);
	return rc;
}
