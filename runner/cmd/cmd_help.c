/* sandrun help [VERB], sandrun version */
#include <stdio.h>

#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"

int cmd_version(const struct cli *cli, int argc, char **argv)
{
	struct opt_iter it;
	struct sr_err err = SR_ERR_INIT;
	const char *v;
	int id;

	(void)cli;
	opt_iter_init(&it, verb_find("version"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == OPT_ARG)
			return cli_usage("version takes no arguments, got", v);
		return verb_stop(it.verb, id, &err);
	}
	printf("sandrun %s\n", SANDRUN_VERSION);
	return EXIT_OK;
}

/* sandrun help [VERB] */
int cmd_help(const struct cli *cli, int argc, char **argv)
{
	struct opt_iter it;
	struct sr_err err = SR_ERR_INIT;
	const char *v, *name = NULL;
	const struct sr_verb_def *d;
	int id;

	(void)cli;
	opt_iter_init(&it, verb_find("help"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id != OPT_ARG)
			return verb_stop(it.verb, id, &err);
		if (name)
			return cli_usage("help takes one verb, got another:", v);
		name = v;
	}
	if (!name) {
		verbs_print_usage(stdout);
		return EXIT_OK;
	}
	if (!(d = verb_find(name)))
		return cli_usage("unknown verb (see 'sandrun help'):", name);
	opt_print_help(stdout, d);
	return EXIT_OK;
}
