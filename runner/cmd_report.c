/* sandrun report merge -o OUT IN... */
#include <string.h>

#include "cli.h"
#include "report.h"

int cmd_report(const struct cli *cli, int argc, char **argv)
{
	struct strvec in = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	const char *out = NULL;
	int rc;

	(void)cli;
	if (argc < 2 || strcmp(argv[1], "merge")) {
		sr_log("usage: sandrun report merge -o OUT IN...");
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--output", "-o", &v)) {
			if (!v) {
				sr_log("-o needs a path");
				strvec_clear(&in);
				return EXIT_USAGE;
			}
			out = v;
		} else {
			strvec_push(&in, argv[i]);
		}
	}
	if (!out || !in.nr) {
		sr_log("usage: sandrun report merge -o OUT IN...");
		strvec_clear(&in);
		return EXIT_USAGE;
	}
	rc = report_merge(out, (const char *const *)in.v, in.nr, &err);
	strvec_clear(&in);
	return rc < 0 ? cli_fail(&err) : EXIT_OK;
}
