/* sandrun report merge [-o FMT:OUT]... [--suite DIR] IN... */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/cli/cli.h"
#include "runner/report/diff.h"
#include "runner/report/report.h"
#include "runner/merge/report_merge.h"
#include "runner/report/report_read.h"
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
	const char *baseline;
	struct strvec source_map;
};

static void merge_args_release(struct merge_args *a)
{
	free(a->outs);
	strvec_clear(&a->owned);
	strvec_clear(&a->in);
	strvec_clear(&a->source_map);
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
		} else if (id == O_MERGE_BASELINE) {
			a->baseline = v;
		} else if (id == O_MERGE_SOURCE_MAP) {
			if (!strchr(v, '=') || v[0] == '=')
				return cli_usage("--source-map needs FROM=TO, got", v);
			strvec_push(&a->source_map, v);
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
	if (!(h->root = cli_suite_root(&paths))) {
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

/* One -o FMT:PATH of `report diff` (its formats are not report formats). */
struct diff_output {
	const char *fmt; /* json, markdown or html */
	const char *path;
};

/* -o FMT:PATH of `report diff`: json, markdown (md) or html. */
static int diff_output(struct diff_output *o, const char *v)
{
	static const char *const fmts[] = {"json", "markdown", "md", "html"};
	const char *colon = v ? strchr(v, ':') : NULL;

	for (size_t i = 0; colon && i < SR_ARRAY_SIZE(fmts); i++)
		if (strlen(fmts[i]) == (size_t)(colon - v) &&
		    !strncmp(v, fmts[i], strlen(fmts[i])) && colon[1]) {
			o->fmt = i == 2 ? "markdown" : fmts[i];
			o->path = colon + 1;
			return 0;
		}
	return cli_usage("-o needs FMT:PATH with FMT json, markdown or html, got", v ? v : "");
}

static int write_diff_outputs(const struct report_diff *d, const struct diff_output *o, size_t n)
{
	struct sr_err err = SR_ERR_INIT;

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(o[i].path, "-")) {
			struct strbuf sb = STRBUF_INIT;
			int rc = 0;
			if (!strcmp(o[i].fmt, "json"))
				report_diff_json(&sb, d);
			else if (!strcmp(o[i].fmt, "markdown"))
				report_diff_markdown(&sb, d);
			else
				rc = report_diff_html(&sb, d, &err);
			if (!rc)
				fwrite(sb.buf, 1, sb.len, stdout);
			strbuf_release(&sb);
			if (rc < 0)
				return cli_fail(&err);
		} else if (report_diff_write(o[i].fmt, o[i].path, d, &err) < 0) {
			return cli_fail(&err);
		}
	}
	return 0;
}

/* sandrun report diff [-o FMT:PATH]... OLD NEW */
static int cmd_report_diff(const struct cli *cli, int argc, char **argv)
{
	const struct sr_verb_def *def = verb_find("report diff");
	struct diff_output outs[16];
	struct sr_err err = SR_ERR_INIT;
	struct report_diff d;
	const char *in[2], *v;
	size_t nout = 0, nin = 0;
	struct opt_iter it;
	int id, rc;
	bool to_stdout = false;

	(void)cli;
	opt_iter_init(&it, def, argc - 1, argv + 1);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == O_DIFF_OUTPUT) {
			if (nout == SR_ARRAY_SIZE(outs))
				return cli_usage("too many -o", v);
			if ((rc = diff_output(&outs[nout], v)))
				return rc;
			to_stdout |= !strcmp(outs[nout++].path, "-");
		} else if (id == OPT_ARG) {
			if (nin == 2)
				return cli_usage(
				    "report diff takes two reports, OLD and NEW; extra", v);
			in[nin++] = v;
		} else {
			return verb_stop(def, id, &err);
		}
	}
	if (nin != 2)
		return cli_usage("usage: sandrun report diff [-o FMT:PATH]... OLD NEW", NULL);
	if (report_diff_files(&d, in[0], in[1], &err) < 0)
		return cli_fail(&err);
	if (!to_stdout)
		report_diff_console(stdout, &d, isatty(fileno(stdout)) && !getenv("NO_COLOR"));
	rc = write_diff_outputs(&d, outs, nout);
	if (!rc)
		rc = d.regressions ? EXIT_FAIL : EXIT_OK;
	report_diff_release(&d);
	return rc;
}

int cmd_report(const struct cli *cli, int argc, char **argv)
{
	struct merge_args a = {.owned = STRVEC_INIT, .in = STRVEC_INIT, .source_map = STRVEC_INIT};
	struct record *brecs = NULL;
	struct run_meta bmeta = {0};
	struct merge_baseline base = {0};
	size_t nb = 0;
	struct merge_suite suite = {0};
	struct suite_hold hold = {.names = STRVEC_INIT, .specs = STRVEC_INIT};
	struct sr_err err = SR_ERR_INIT;
	size_t failed = 0, owned = 0;
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		opt_print_help(stdout, verb_find("report merge"));
		return EXIT_OK;
	}
	if (argc >= 2 && !strcmp(argv[1], "diff"))
		return cmd_report_diff(cli, argc, argv);
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
	if (a.baseline) {
		if (report_read(&brecs, &nb, &bmeta, a.baseline, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
		base = (struct merge_baseline){brecs, nb, a.baseline, bmeta.run_id};
	}
	for (size_t i = 0; i < a.nouts; i++) {
		a.outs[i].baseline = a.baseline ? &base : NULL;
		a.outs[i].source_map = a.source_map.nr ? &a.source_map : NULL;
	}
	if (report_merge_outputs(&failed, a.outs, a.nouts, (const char *const *)a.in.v, a.in.nr,
				 a.suite_dir ? &suite : NULL, &err) < 0)
		rc = cli_fail(&err);
	else
		rc = failed ? EXIT_FAIL : EXIT_OK;
out:
	for (size_t i = 0; i < nb; i++)
		record_release(&brecs[i]);
	free(brecs);
	run_meta_release(&bmeta);
	suite_hold_release(&hold);
	merge_args_release(&a);
	return rc;
}
