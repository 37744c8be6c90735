/* One table per verb: the options its parser accepts and the lines its
 * --help prints come from the same rows, so the two cannot drift. */
#ifndef SR_OPTS_H
#define SR_OPTS_H

#include <stdio.h>

#include "lib/util.h"

struct sr_opt {
	int id;		   /* > 0, returned by opt_next */
	const char *name;  /* "--jobs" */
	const char *alias; /* "-j", or NULL */
	const char *arg;   /* "N": takes a value; NULL: a flag */
	const char *help;  /* one line */
};

struct cli;

/* One row of the verb table: name, what runs it, its arguments, help and
 * options. */
struct sr_verb_def {
	const char *name;    /* "run", or "report merge" */
	const char *args;    /* "[OPTIONS] [SPEC|DIR ...]" */
	const char *summary; /* one line */
	const struct sr_opt *opts;
	size_t nopts;
	int (*fn)(const struct cli *cli, int argc, char **argv); /* NULL: global options */
};

/* Walks a verb's argv (argv[0] is the program). */
struct opt_iter {
	const struct sr_verb_def *verb;
	int argc;
	char **argv;
	int i;
	bool dashdash;
};

#define OPT_END	 0  /* no more arguments */
#define OPT_ARG	 -1 /* a positional argument, in *val */
#define OPT_HELP -2 /* -h or --help */
#define OPT_BAD	 -3 /* unknown option or missing value; err says which */

void opt_iter_init(struct opt_iter *it, const struct sr_verb_def *verb, int argc, char **argv);

/* The next argument: an option's id (with *val its value, NULL for a flag),
 * OPT_ARG, OPT_HELP, OPT_END, or OPT_BAD with err naming the verb's --help.
 * Accepts "--name value", "--name=value", "-j value" and "-j4". */
int opt_next(struct opt_iter *it, const char **val, struct sr_err *err);

/* The row of verb that a matches: its long name (with "=value" glued when
 * it takes one) or its alias (with a glued value when it takes one); then
 * *inline_val points into a at the glued value, else it is NULL. NULL when
 * no row matches. */
const struct sr_opt *opt_find(const struct sr_verb_def *verb, const char *a,
			      const char **inline_val);

/* The verb's usage and one line per option. */
void opt_print_help(FILE *f, const struct sr_verb_def *verb);

/* One option's help line: "  -j, --jobs N", padded to width, then its help. */
void opt_print_line(FILE *f, const struct sr_opt *o, int width);

#endif
