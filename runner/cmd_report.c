/* sandrun report merge -o OUT IN... */
#include <string.h>

#include "cli.h"
#include "report.h"
#include "verbs.h"

int cmd_report(const struct cli *cli, int argc, char **argv)
{
	const struct sr_verb_def *d = verb_find("report merge");
	struct strvec in = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	const char *out = NULL, *v;
	struct opt_iter it;
	int rc, id;

	(void)cli;
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		opt_print_help(stdout, d);
		return EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "merge"))
		return cli_usage("usage: sandrun report merge -o OUT IN... (see 'sandrun report "
				 "--help'), got",
				 argc < 2 ? "nothing" : argv[1]);
	/* argv[1] ("merge") stands in for the program name. */
	opt_iter_init(&it, d, argc - 1, argv + 1);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == O_MERGE_OUTPUT) {
			out = v;
		} else if (id == OPT_ARG) {
			strvec_push(&in, v);
		} else {
			strvec_clear(&in);
			return verb_stop(d, id, &err);
		}
	}
	if (!out || !in.nr) {
		strvec_clear(&in);
		return cli_usage("usage: sandrun report merge -o OUT IN...", NULL);
	}
	if (!strncmp(out, "json:", 5))
		out += 5;
	rc = report_merge(out, (const char *const *)in.v, in.nr, &err);
	strvec_clear(&in);
	return rc < 0 ? cli_fail(&err) : EXIT_OK;
}
