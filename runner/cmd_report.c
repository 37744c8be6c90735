/* sandrun report merge -o [FMT:]OUT ... IN... */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "report_html.h"
#include "report_read.h"
#include "verbs.h"
#include "verdicts.h"

/* Write the merged report at json_path as fmt to path. */
static int write_as(const char *fmt, const char *path, const char *json_path, struct sr_err *err)
{
	struct record *recs;
	struct run_meta m;
	size_t n;
	int rc;

	if ((rc = report_read(&recs, &n, &m, json_path, err)) < 0)
		return rc;
	if (!strcmp(fmt, "junit")) {
		rc = report_write_junit(path, &m, recs, n, err);
	} else if (!strcmp(fmt, "sarif")) {
		rc = report_write_sarif(path, &m, recs, n, err);
	} else {
		struct verdict *v;
		size_t nv;
		verdicts_build(&v, &nv, recs, n, verdict_confirm_of_record, NULL);
		rc = report_html_write_file(path, &m, recs, n, v, nv, NULL, err);
		verdicts_free(v, nv);
	}
	for (size_t i = 0; i < n; i++)
		record_release(&recs[i]);
	free(recs);
	run_meta_release(&m);
	return rc;
}

/* "json:x", "html:x", or a bare path (json); -1 for an empty path or an
 * unknown "word:" prefix. *fmt is static. */
static int split_output(const char **fmt, const char **path, const char *o)
{
	static const char *const fmts[] = {"json", "junit", "sarif", "html"};

	for (size_t i = 0; i < SR_ARRAY_SIZE(fmts); i++) {
		size_t n = strlen(fmts[i]);
		if (!strncmp(o, fmts[i], n) && o[n] == ':') {
			*fmt = fmts[i];
			*path = o + n + 1;
			return **path ? 0 : -1;
		}
	}
	/* "xml:out" is a typo of a format, not a file name. */
	if (o[strspn(o, "abcdefghijklmnopqrstuvwxyz")] == ':')
		return -1;
	*fmt = "json";
	*path = o;
	return *o ? 0 : -1;
}

static int merge_all(const struct strvec *outs, const struct strvec *in, struct sr_err *err)
{
	const char *json = NULL, *fmt, *path;
	char tmp[] = "/tmp/sandrun-merge-XXXXXX";
	bool made_tmp = false;
	int rc = 0;

	for (size_t i = 0; i < outs->nr && !json; i++)
		if (!split_output(&fmt, &path, outs->v[i]) && !strcmp(fmt, "json"))
			json = path;
	if (!json) {
		int fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0)
			return sr_err_set(err, SR_EFAIL, "cannot create a temporary file");
		close(fd);
		made_tmp = true;
		json = tmp;
	}
	rc = report_merge(json, (const char *const *)in->v, in->nr, err);
	for (size_t i = 0; i < outs->nr && !rc; i++) {
		split_output(&fmt, &path, outs->v[i]);
		if (strcmp(fmt, "json"))
			rc = write_as(fmt, path, json, err);
		else if (strcmp(path, json))
			rc = report_merge(path, (const char *const *)in->v, in->nr, err);
	}
	if (made_tmp)
		unlink(tmp);
	return rc;
}

int cmd_report(const struct cli *cli, int argc, char **argv)
{
	const struct sr_verb_def *d = verb_find("report merge");
	struct strvec in = STRVEC_INIT, outs = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	const char *v, *fmt, *path;
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
			if (split_output(&fmt, &path, v) < 0) {
				rc = cli_usage("-o needs [FMT:]PATH with FMT json, junit, sarif or "
					       "html, got",
					       v);
				goto out;
			}
			strvec_push(&outs, v);
		} else if (id == OPT_ARG) {
			strvec_push(&in, v);
		} else {
			rc = verb_stop(d, id, &err);
			goto out;
		}
	}
	if (!outs.nr || !in.nr) {
		rc = cli_usage("usage: sandrun report merge -o [FMT:]OUT ... IN...", NULL);
		goto out;
	}
	rc = merge_all(&outs, &in, &err) < 0 ? cli_fail(&err) : EXIT_OK;
out:
	strvec_clear(&in);
	strvec_clear(&outs);
	return rc;
}
