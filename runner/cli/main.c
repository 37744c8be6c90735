/* sandrun: a sandbox runner for dynamic verification. This file only reads
 * the global options (verbs.c: sr_global_opts) and dispatches to a verb
 * through the one verb table (verbs.c: sr_verbs); see cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"

/* Apply global option o with value val; returns 0 or an exit code. */
static int set_global(struct cli *cli, const struct sr_opt *o, const char *val, const char **verb)
{
	switch (o->id) {
	case O_GLOBAL_CATALOGUE:
		cli->catalogue_path = val;
		break;
	case O_GLOBAL_ENGINE:
		cli->engine = val;
		break;
	case O_GLOBAL_LOG_FORMAT:
		if (strcmp(val, "text") && strcmp(val, "json"))
			return cli_usage("--log-format must be text or json, got", val);
		sr_log_json = !strcmp(val, "json");
		break;
	case O_GLOBAL_VERBOSE:
		sr_verbosity++;
		break;
	case O_GLOBAL_QUIET:
		sr_verbosity = -1;
		break;
	case O_GLOBAL_VERSION:
		*verb = "version";
		break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {0};
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest = 0;
	const char *verb = NULL;
	const struct sr_verb_def *d;
	bool dashdash = false;
	int rc;

	rest[nrest++] = argv[0];
	/* Global options may come before or after the verb; the verb sees the
	 * rest, -h/--help included once a verb is named. */
	for (int i = 1; i < argc; i++) {
		const struct sr_opt *o;
		const char *val;
		if (dashdash) {
			rest[nrest++] = argv[i];
			continue;
		}
		if (!strcmp(argv[i], "--")) {
			dashdash = true;
			rest[nrest++] = argv[i];
		} else if ((o = opt_find(&sr_global_opts, argv[i], &val))) {
			if (o->arg && !val) {
				if (i + 1 >= argc) {
					free(rest);
					return cli_usage("missing value for", argv[i]);
				}
				val = argv[++i];
			}
			if ((rc = set_global(&cli, o, val, &verb))) {
				free(rest);
				return rc;
			}
		} else if (!verb && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
			verbs_print_usage(stdout);
			free(rest);
			return EXIT_OK;
		} else if (!verb && argv[i][0] != '-') {
			verb = argv[i];
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (!verb) {
		verbs_print_usage(stderr);
		free(rest);
		return EXIT_USAGE;
	}
	if ((d = verb_find(verb)) && d->fn) {
		rc = d->fn(&cli, nrest, rest);
		free(rest);
		return rc;
	}
	fprintf(stderr, "sandrun: unknown verb '%s' (see 'sandrun help')\n", verb);
	free(rest);
	return EXIT_USAGE;
}
