/* sandrun: a sandbox runner for dynamic verification. This file only reads
 * the global options and dispatches to a verb; see cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: sandrun [GLOBAL OPTIONS] VERB [OPTIONS] [ARGS]\n"
    "\n"
    "verbs:\n"
    "  run [OPTIONS] [SPEC|DIR ...]    run harnesses (default: ./harnesses)\n"
    "  pull [--all | TOOLCHAIN ...]    make sure catalogue images are present\n"
    "  pin [--all | TOOLCHAIN ...] [--commit [--branch NAME]]\n"
    "                                  resolve tags to digests, rewrite images.toml\n"
    "  verify [--pull]                 every entry pinned, pins resolvable, tags not drifted\n"
    "  list [--format text|json]       the catalogue, one entry a line\n"
    "  explain SPEC                    the exact engine command lines, nothing run\n"
    "  gc                              remove leftover sandrun containers and networks\n"
    "  report merge -o FMT:OUT IN...   merge shard reports (--suite DIR)\n"
    "  repro REPORT SELECTOR           run one record again; 0 if it reproduces\n"
    "  version\n"
    "\n"
    "global options: --catalogue PATH, --engine docker|podman|PATH,\n"
    "                --log-format text|json, -v, -q\n"
    "exit codes: 0 ok, 1 a run failed or did not match, 2 usage or invalid input,\n"
    "            3 engine unavailable, 130/143 interrupted\n";

struct verb {
	const char *name;
	int (*fn)(const struct cli *cli, int argc, char **argv);
};

static int cmd_version(const struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	printf("sandrun %s\n", SANDRUN_VERSION);
	return EXIT_OK;
}

static const struct verb verbs[] = {
    {"run", cmd_run},	      {"pull", cmd_pull},	{"pin", cmd_pin}, {"verify", cmd_verify},
    {"list", cmd_list},	      {"explain", cmd_explain}, {"gc", cmd_gc},	  {"report", cmd_report},
    {"version", cmd_version}, {"repro", cmd_repro},
};

int main(int argc, char **argv)
{
	struct cli cli = {0};
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest = 0;
	const char *verb = NULL;
	bool dashdash = false;
	int rc;

	rest[nrest++] = argv[0];
	/* Global options may come before or after the verb; the verb sees the rest. */
	for (int i = 1; i < argc; i++) {
		const char *val;
		if (dashdash) {
			rest[nrest++] = argv[i];
			continue;
		}
		if (!strcmp(argv[i], "--")) {
			dashdash = true;
			rest[nrest++] = argv[i];
		} else if (cli_opt(argc, argv, &i, "--catalogue", NULL, &val)) {
			if (!val)
				goto missing;
			cli.catalogue_path = val;
		} else if (cli_opt(argc, argv, &i, "--engine", NULL, &val)) {
			if (!val)
				goto missing;
			cli.engine = val;
		} else if (cli_opt(argc, argv, &i, "--log-format", NULL, &val)) {
			if (!val || (strcmp(val, "text") && strcmp(val, "json"))) {
				fprintf(stderr, "sandrun: --log-format must be text or json\n");
				free(rest);
				return EXIT_USAGE;
			}
			sr_log_json = !strcmp(val, "json");
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			sr_verbosity++;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			sr_verbosity = -1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			free(rest);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			verb = "version";
		} else if (!verb && argv[i][0] != '-') {
			verb = argv[i];
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (!verb) {
		fputs(usage, stderr);
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
	fprintf(stderr, "sandrun: unknown verb '%s'\n%s", verb, usage);
	free(rest);
	return EXIT_USAGE;
missing:
	fprintf(stderr, "sandrun: option '%s' needs a value\n", argv[argc - 1]);
	free(rest);
	return EXIT_USAGE;
}
