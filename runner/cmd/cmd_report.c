/* sandrun report merge [-o FMT:OUT]... [--suite DIR] IN... */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "runner/cli/cli.h"
#include "runner/report/report.h"
#include "runner/report/report_merge.h"
#include "runner/cli/shard_option.h"
#include "runner/cli/verbs.h"

#define MERGE_USAGE                                                                                \
	"usage: sandrun report merge -o [FMT:]OUT [-o [FMT:]OUT]... [--suite DIR] IN... (see "     \
	"'sandrun report --help')"

/* parse_merge_args printed the help: exit 0 without merging. */
#define MERGE_HELPED (-1)

struct merge_args {
	struct merge_output *outs;
	size_t nouts, aouts;
	struct strvec owned; /* the default paths of -o FMT:DIR/ */
	struct strvec in;
	const char *suite_dir;
};

static void merge_args_release(struct merge_args *a)
{
	free(a->outs);
	strvec_clear(&a->owned);
	strvec_clear(&a->in);
}

/* -o json:PATH, junit:PATH, sarif:PATH; a bare PATH is json; PATH ending
 * in '/' is the directory of the default name DIR/sandrun.EXT. */
static int add_output(struct merge_args *a, const char *v)
{
	const char *colon = v ? strchr(v, ':') : NULL;
	struct merge_output *o;

	if (!v || !*v)
		return cli_usage("-o needs FMT:PATH", NULL);
	SR_GROW(a->outs, a->nouts + 1, a->aouts);
	o = &a->outs[a->nouts++];
	o->fmt = &report_formats[0];
	o->path = v;
	if (colon && report_format_find(v, (size_t)(colon - v))) {
		o->fmt = report_format_find(v, (size_t)(colon - v));
		o->path = colon + 1;
	}
	/* "xml:out" is a typo of a format, not a file name. */
	if (colon && o->path == v && v[strspn(v, "abcdefghijklmnopqrstuvwxyz")] == ':')
		return cli_usage("-o needs [FMT:]PATH with FMT " REPORT_FORMAT_NAMES ", got", v);
	if (!*o->path)
		return cli_usage("-o needs FMT:PATH, got", v);
	if (run_report_is_dir(o->path)) {
		char *d = run_report_default_path(o->path, o->fmt->ext, NULL);
		strvec_push(&a->owned, d);
		free(d);
	}
	return 0;
}

static int parse_merge_args(struct merge_args *a, int argc, char **argv)
{
	const struct sr_verb_def *d = verb_find("report merge");
	struct sr_err err = SR_ERR_INIT;
	struct opt_iter it;
	const char *v;
	int id, rc;

	/* argv[1] ("merge") stands in for the program name. */
	opt_iter_init(&it, d, argc - 1, argv + 1);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == O_MERGE_OUTPUT) {
			if ((rc = add_output(a, v)))
				return rc;
		} else if (id == O_MERGE_SUITE) {
			a->suite_dir = v;
		} else if (id == OPT_ARG) {
			strvec_push(&a->in, v);
		} else if (id == OPT_HELP) {
			opt_print_help(stdout, d);
			return MERGE_HELPED;
		} else {
			return verb_stop(d, id, &err);
		}
	}
	if (!a->nouts || !a->in.nr)
		return cli_usage(MERGE_USAGE, NULL);
	return 0;
}

/* What a --suite DIR keeps alive for the merge: the strings the runs point
 * to, the spec paths and the root. */
struct suite_hold {
	struct strvec names; /* harness, payload, spec path of each run */
	struct strvec specs;
	char *root;
	struct merge_run *runs;
};

static void suite_hold_release(struct suite_hold *h)
{
	strvec_clear(&h->names);
	strvec_clear(&h->specs);
	free(h->root);
	free(h->runs);
}

/* The runs of the suite in dir (harness x payload; an invalid spec counts as
 * one run named after its file) and what its fingerprint is computed from,
 * as `sandrun run` of that directory sees them. */
static int load_merge_suite(struct merge_suite *out, struct suite_hold *h, const struct cli *cli,
			    const char *dir, struct sr_err *err)
{
	struct catalogue cat = {0};
	struct cli_suite su = {0};
	struct strvec paths = STRVEC_INIT;
	size_t n = 0, alloc = 0;
	int rc;

	strvec_push(&paths, dir);
	if ((rc = cli_load_catalogue(&cat, cli, err)) < 0 ||
	    (rc = cli_load_suite(&su, &paths, &cat, err)) < 0)
		goto out;
	if (!(h->root = run_suite_root(&paths))) {
		rc = sr_err_set(err, SR_EINVAL, "--suite '%s': %s", dir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < su.n; i++) {
		strvec_push(&h->specs, su.specs[i].path);
		for (size_t p = 0; p < su.specs[i].npayloads; p++) {
			strvec_push(&h->names, su.specs[i].name);
			strvec_push(&h->names, su.specs[i].payloads[p].name);
			strvec_push(&h->names, su.specs[i].path);
		}
	}
	for (size_t i = 0; i < su.bad_paths.nr; i++) {
		const char *base = strrchr(su.bad_paths.v[i], '/');
		strvec_push(&h->specs, su.bad_paths.v[i]);
		strvec_push(&h->names, base ? base + 1 : su.bad_paths.v[i]);
		strvec_push(&h->names, "");
		strvec_push(&h->names, su.bad_paths.v[i]);
	}
	for (size_t i = 0; i + 2 < h->names.nr; i += 3) {
		SR_GROW(h->runs, n + 1, alloc);
		h->runs[n].harness = h->names.v[i];
		h->runs[n].payload = h->names.v[i + 1];
		h->runs[n].spec_path = h->names.v[i + 2];
		n++;
	}
	out->runs = h->runs;
	out->n = n;
	out->root = h->root;
	out->spec_paths = (const char *const *)h->specs.v;
	out->nspecs = h->specs.nr;
out:
	cli_suite_release(&su);
	catalogue_release(&cat);
	strvec_clear(&paths);
	return rc;
}

int cmd_report(const struct cli *cli, int argc, char **argv)
{
	struct merge_args a = {.owned = STRVEC_INIT, .in = STRVEC_INIT};
	struct merge_suite suite = {0};
	struct suite_hold hold = {.names = STRVEC_INIT, .specs = STRVEC_INIT};
	struct sr_err err = SR_ERR_INIT;
	size_t failed = 0, owned = 0;
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		opt_print_help(stdout, verb_find("report merge"));
		return EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "merge")) {
		sr_log(MERGE_USAGE);
		return EXIT_USAGE;
	}
	if ((rc = parse_merge_args(&a, argc, argv))) {
		if (rc == MERGE_HELPED)
			rc = EXIT_OK;
		goto out;
	}
	for (size_t i = 0; i < a.nouts; i++)
		if (run_report_is_dir(a.outs[i].path)) {
			if (mkdir(a.outs[i].path, 0777) < 0 && errno != EEXIST) {
				rc =
				    cli_usage("cannot create the report directory", a.outs[i].path);
				goto out;
			}
			a.outs[i].path = a.owned.v[owned++];
		}
	if (a.suite_dir && load_merge_suite(&suite, &hold, cli, a.suite_dir, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (report_merge_outputs(&failed, a.outs, a.nouts, (const char *const *)a.in.v, a.in.nr,
				 a.suite_dir ? &suite : NULL, &err) < 0)
		rc = cli_fail(&err);
	else
		rc = failed ? EXIT_FAIL : EXIT_OK;
out:
	suite_hold_release(&hold);
	merge_args_release(&a);
	return rc;
}
