/* sandrun explain: the exact engine command lines of each run, nothing run. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"
#include "runner/exec/run.h"

int cmd_explain(const struct cli *cli, int argc, char **argv)
{
	struct catalogue cat = {0};
	struct engine eng = {0};
	struct sr_err err = SR_ERR_INIT;
	struct strvec paths = STRVEC_INIT;
	struct cli_suite su = {0};
	struct runner r = {0};
	struct strbuf out = STRBUF_INIT;
	unsigned seq = 0;
	int rc = EXIT_OK;

	struct opt_iter it;
	const char *v;
	int id;

	opt_iter_init(&it, verb_find("explain"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id != OPT_ARG) {
			strvec_clear(&paths);
			return verb_stop(it.verb, id, &err);
		}
		strvec_push(&paths, v);
	}
	if (!paths.nr) {
		strvec_clear(&paths);
		return cli_usage("explain needs a spec", NULL);
	}
	if (cli_load_catalogue(&cat, cli, &err) < 0) {
		strvec_clear(&paths);
		return cli_fail(&err);
	}
	if (cli_load_suite(&su, &paths, &cat, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (su.bad_msgs.nr) {
		for (size_t i = 0; i < su.bad_msgs.nr; i++)
			sr_log("%s", su.bad_msgs.v[i]);
		rc = EXIT_USAGE;
		goto out;
	}
	/* The engine is named, not contacted: explain runs nothing. */
	if (engine_init(&eng, cli->engine, &err) < 0) {
		eng.bin = xstrdup(cli->engine ? cli->engine : "docker");
		eng.name = xstrdup(eng.bin);
	}
	if (runner_init(&r, &eng, &cat, true, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	for (size_t i = 0; i < su.n; i++)
		for (size_t p = 0; p < su.specs[i].npayloads; p++) {
			struct run_job job = {.spec = &su.specs[i], .payload = p, .seq = ++seq};
			run_explain(&out, &r, &job);
		}
	fputs(strbuf_str(&out), stdout);
out:
	runner_release(&r);
	strbuf_release(&out);
	cli_suite_release(&su);
	catalogue_release(&cat);
	engine_release(&eng);
	strvec_clear(&paths);
	return rc;
}
