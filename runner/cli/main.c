/* sandrun: a sandbox runner for dynamic verification. This file only reads
 * the global options (verbs.c: sr_global_opts) and dispatches to a verb;
 * see cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"

struct verb {
	const char *name;
	int (*fn)(const struct cli *cli, int argc, char **argv);
};

static int cmd_version(const struct cli *cli, int argc, char **argv)
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
static int cmd_help(const struct cli *cli, int argc, char **argv)
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

static const struct verb verbs[] = {
    {"run", cmd_run},	      {"check", cmd_check},   {"pull", cmd_pull},
    {"pin", cmd_pin},	      {"verify", cmd_verify}, {"list", cmd_list},
    {"explain", cmd_explain}, {"gc", cmd_gc},	      {"report", cmd_report},
    {"help", cmd_help},	      {"repro", cmd_repro},   {"version", cmd_version},
    {"schema", cmd_schema},   {"new", cmd_new},
};

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
	for (size_t k = 0; k < SR_ARRAY_SIZE(verbs); k++) {
		if (!strcmp(verbs[k].name, verb)) {
			rc = verbs[k].fn(&cli, nrest, rest);
			free(rest);
			return rc;
		}
	}
	fprintf(stderr, "sandrun: unknown verb '%s' (see 'sandrun help')\n", verb);
	free(rest);
	return EXIT_USAGE;
}
