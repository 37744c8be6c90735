/* What the cmd_* verbs share: global options, exit codes, loading the
 * catalogue and specs, the engine, the ownership label, the stale sweep. */
#ifndef SR_CLI_H
#define SR_CLI_H

#include "catalogue/catalogue.h"
#include "runner/engine/engine.h"
#include "runner/spec/spec.h"

#include "lib/version.h"

enum sr_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_ENGINE = 3,
};

struct cli {
	const char *catalogue_path; /* --catalogue, $SANDRUN_CATALOGUE, ./images.toml */
	const char *engine;	    /* --engine, $SANDRUN_ENGINE */
};

/* Map an sr_code to the exit code the CLI documents. */
int cli_exit_code(int code);

/* Report err on stderr ("sandrun: <msg>") and return its exit code. */
int cli_fail(const struct sr_err *err);

int cli_load_catalogue(struct catalogue *out, const struct cli *cli, struct sr_err *err);

/* Engine chosen and probed; SR_EENGINE when unreachable. */
int cli_engine(struct engine *out, const struct cli *cli, struct sr_err *err);

/* The specs of one invocation, with those that failed to load. */
struct cli_suite {
	struct spec *specs;
	size_t n, alloc;
	struct strvec bad_paths; /* parallel: path and message of invalid specs */
	struct strvec bad_msgs;
	/* The suite fingerprint fed with the bytes as they were read (shard.h),
	 * NULL when the suite root cannot be resolved. */
	struct suite_fp *fp;
};

/* The suite root of the run's PATH arguments: none means ./harnesses; a
 * directory is itself, a file its directory; several paths their deepest
 * common directory. Caller frees (a resolved path), NULL when a path cannot
 * be resolved. */
char *cli_suite_root(const struct strvec *paths);

/* Load every spec under paths (default ./harnesses) into out; invalid ones
 * (parse errors, duplicate names, toolchains not in cat) are kept aside
 * with their message so the report still accounts for them. Fails only
 * when discovery itself does. Each spec file is read once (spec.h
 * spec_discover_load); its bytes also feed out->fp. */
int cli_load_suite(struct cli_suite *out, const struct strvec *paths, const struct catalogue *cat,
		   struct sr_err *err);
void cli_suite_release(struct cli_suite *s);

/* Print a usage error ("msg 'arg'", arg may be NULL); returns EXIT_USAGE. */
int cli_usage(const char *msg, const char *arg);

int cmd_run(const struct cli *cli, int argc, char **argv);
int cmd_explain(const struct cli *cli, int argc, char **argv);
int cmd_list(const struct cli *cli, int argc, char **argv);
int cmd_pull(const struct cli *cli, int argc, char **argv);
int cmd_pin(const struct cli *cli, int argc, char **argv);
int cmd_verify(const struct cli *cli, int argc, char **argv);
int cmd_gc(const struct cli *cli, int argc, char **argv);
int cmd_report(const struct cli *cli, int argc, char **argv);
int cmd_check(const struct cli *cli, int argc, char **argv);
int cmd_repro(const struct cli *cli, int argc, char **argv);
int cmd_schema(const struct cli *cli, int argc, char **argv);
int cmd_new(const struct cli *cli, int argc, char **argv);
int cmd_help(const struct cli *cli, int argc, char **argv);
int cmd_version(const struct cli *cli, int argc, char **argv);

#endif
