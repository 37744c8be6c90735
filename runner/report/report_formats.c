/* The one report-format table (report.h): name, file extension, writer. */
#include <string.h>

#include "runner/report/report.h"
#include "runner/report/report_html.h"
#include "runner/verdict/kofn.h"

static int write_json(const char *path, const struct run_meta *m, const struct record *recs,
		      size_t n, bool live, struct sr_err *err)
{
	(void)live;
	return report_write_json(path, m, recs, n, err);
}

static int write_junit(const char *path, const struct run_meta *m, const struct record *recs,
		       size_t n, bool live, struct sr_err *err)
{
	(void)live;
	return report_write_junit(path, m, recs, n, err);
}

static int write_sarif(const char *path, const struct run_meta *m, const struct record *recs,
		       size_t n, bool live, struct sr_err *err)
{
	(void)live;
	return report_write_sarif(path, m, recs, n, err);
}

/* The timeline needs each run's start and worker, which only this
 * invocation's own records carry (not records read back from a report). */
static int write_html(const char *path, const struct run_meta *m, const struct record *recs,
		      size_t n, bool live, struct sr_err *err)
{
	struct html_timing *t = live && n ? xcalloc(n, sizeof(*t)) : NULL;
	struct verdict *v;
	size_t nv;
	int rc;

	for (size_t i = 0; t && i < n; i++)
		t[i] = (struct html_timing){.start_ms = recs[i].start_ms, .worker = recs[i].worker};
	verdicts_build(&v, &nv, recs, n, verdict_confirm_of_record, NULL);
	rc = report_html_write_file(path, m, recs, n, v, nv, t, err);
	verdicts_free(v, nv);
	free(t);
	return rc;
}

const struct report_format report_formats[] = {
    {"json", "json", write_json},
    {"junit", "xml", write_junit},
    {"sarif", "sarif", write_sarif},
    {"html", "html", write_html},
};
const size_t report_nformats = sizeof(report_formats) / sizeof(report_formats[0]);

const struct report_format *report_format_find(const char *name, size_t len)
{
	if (len == (size_t)-1)
		len = strlen(name);
	for (size_t i = 0; i < report_nformats; i++)
		if (strlen(report_formats[i].name) == len &&
		    !strncmp(report_formats[i].name, name, len))
			return &report_formats[i];
	return NULL;
}
