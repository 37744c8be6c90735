/* sandrun run */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalogue/gitrepo.h"
#include "runner/cli/cli.h"
#include "lib/hash.h"
#include "runner/exec/gc.h"
#include "runner/net/firewall.h"
#include "runner/report/diff.h"
#include "runner/report/report.h"
#include "runner/report/report_read.h"
#include "runner/cli/progress.h"
#include "runner/report/report_html.h"
#include "runner/exec/run.h"
#include "runner/exec/runner.h"
#include "runner/spec/walls.h"
#include "runner/cli/shard_option.h"
#include "runner/cli/verbs.h"
#include "runner/verdict/kofn.h"

struct report_req {
	const struct report_format *fmt;
	char *path;
};

struct run_opts {
	unsigned jobs;
	struct shard shard; /* count 0: not sharded */
	struct strvec filters;
	struct report_req *reports;
	size_t nreports, areports;
	enum pull_policy pull;
	const char *cache;
	bool keep;
	double timeout_scale;
	unsigned repeat; /* 0: the spec's */
	bool require_pinned;
	bool require_firewall;
	uint64_t grace_ms; /* --oob-grace, when grace_set */
	bool grace_set;
	uint64_t pull_timeout_ms;
	const char *runtime, *seccomp; /* --runtime, --seccomp (walls.h) */
	struct strvec paths;
	const char *baseline;	  /* --baseline REPORT */
	bool fail_on_new;	  /* --fail-on new */
	struct strvec source_map; /* --source-map FROM=TO */
	bool help;     /* --help was asked: parse_run_opts returned 0 after printing it */
	FILE *console; /* per-run lines and the summary: stdout unless a report is */
	struct progress progress; /* the live line on stderr */
};

/* --report FORMAT:PATH */
static int add_report(struct run_opts *o, const char *v)
{
	const char *colon = strchr(v, ':');
	struct report_req *r;
	if (!colon || !colon[1])
		return cli_usage("--report needs FORMAT:PATH, got", v);
	SR_GROW(o->reports, o->nreports + 1, o->areports);
	r = &o->reports[o->nreports];
	if (!(r->fmt = report_format_find(v, (size_t)(colon - v)))) {
		char *f = xstrndup(v, (size_t)(colon - v));
		int rc = cli_usage("unknown report format (" REPORT_FORMAT_NAMES "):", f);
		free(f);
		return rc;
	}
	r->path = xstrdup(colon + 1);
	o->nreports++;
	return 0;
}

/* --pull missing|always|never */
static int set_pull(struct run_opts *o, const char *v)
{
	if (!strcmp(v, "missing"))
		o->pull = PULL_MISSING;
	else if (!strcmp(v, "always"))
		o->pull = PULL_ALWAYS;
	else if (!strcmp(v, "never"))
		o->pull = PULL_NEVER;
	else
		return cli_usage("--pull must be missing, always or never, got", v);
	return 0;
}

/* The options of baselines, source maps and walls; 0 or a usage error. */
static int set_late_opt(struct run_opts *o, int id, const char *v)
{
	switch (id) {
	case O_RUN_BASELINE:
		o->baseline = v;
		break;
	case O_RUN_RUNTIME:
		o->runtime = v;
		break;
	case O_RUN_SECCOMP:
		o->seccomp = v;
		break;
	case O_RUN_FAIL_ON:
		if (strcmp(v, "new") && strcmp(v, "any"))
			return cli_usage("--fail-on must be new or any, got", v);
		o->fail_on_new = !strcmp(v, "new");
		break;
	case O_RUN_SOURCE_MAP:
		if (!strchr(v, '=') || v[0] == '=')
			return cli_usage("--source-map needs FROM=TO, got", v);
		strvec_push(&o->source_map, v);
		break;
	}
	return 0;
}

/* One option of `run` (or an argument) into o; 0, or the exit code of a
 * usage error. */
static int set_run_opt(struct run_opts *o, int id, const char *v, struct sr_err *err)
{
	char *end;

	switch (id) {
	case OPT_ARG:
		strvec_push(&o->paths, v);
		break;
	case O_RUN_JOBS: {
		long j = strtol(v, &end, 10);
		if (*end || j < 1 || j > 256)
			return cli_usage("-j needs a number from 1 to 256, got", v);
		o->jobs = (unsigned)j;
		break;
	}
	case O_RUN_SHARD:
		if (run_shard_option(&o->shard, v, err) < 0)
			return cli_fail(err);
		break;
	case O_RUN_FILTER:
		strvec_push(&o->filters, v);
		break;
	case O_RUN_REPORT:
		return add_report(o, v);
	case O_RUN_PULL:
		return set_pull(o, v);
	case O_RUN_PULL_TIMEOUT:
		if (sr_parse_duration_ms(v, &o->pull_timeout_ms) < 0 || !o->pull_timeout_ms)
			return cli_usage("--pull-timeout needs a duration, got", v);
		break;
	case O_RUN_CACHE:
		o->cache = v;
		break;
	case O_RUN_KEEP:
		o->keep = true;
		break;
	case O_RUN_TIMEOUT_SCALE: {
		double f = strtod(v, &end);
		if (*end || !(f > 0) || f > 1000)
			return cli_usage("--timeout-scale needs a positive number, got", v);
		o->timeout_scale = f;
		break;
	}
	case O_RUN_REPEAT: {
		long r = strtol(v, &end, 10);
		if (*end || r < 1 || r > 1000)
			return cli_usage("--repeat needs a number from 1 to 1000, got", v);
		o->repeat = (unsigned)r;
		break;
	}
	case O_RUN_REQUIRE_PINNED:
		o->require_pinned = true;
		break;
	case O_RUN_REQUIRE_FIREWALL:
		o->require_firewall = true;
		break;
	case O_RUN_OOB_GRACE:
		if (sr_parse_duration_ms(v, &o->grace_ms) < 0)
			return cli_usage("--oob-grace needs a duration, got", v);
		o->grace_set = true;
		break;
	default:
		return set_late_opt(o, id, v);
	}
	return 0;
}

static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	struct sr_err err = SR_ERR_INIT;
	struct opt_iter it;
	const char *v;
	int id, rc;

	memset(o, 0, sizeof(*o));
	o->jobs = n > 0 ? (unsigned)n : 1;
	o->timeout_scale = 1.0;
	opt_iter_init(&it, verb_find("run"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == OPT_HELP || id == OPT_BAD) {
			o->help = id == OPT_HELP;
			return verb_stop(it.verb, id, &err);
		}
		if ((rc = set_run_opt(o, id, v, &err)))
			return rc;
	}
	return 0;
}

static void run_opts_release(struct run_opts *o)
{
	for (size_t i = 0; i < o->nreports; i++) {
		free(o->reports[i].path);
	}
	free(o->reports);
	strvec_clear(&o->source_map);
	strvec_clear(&o->filters);
	strvec_clear(&o->paths);
}

/* The report of --baseline, read before the first run. */
struct baseline {
	struct record *recs;
	size_t n;
	struct run_meta meta;
};

static void baseline_release(struct baseline *b)
{
	for (size_t i = 0; i < b->n; i++)
		record_release(&b->recs[i]);
	free(b->recs);
	run_meta_release(&b->meta);
}

static bool selected(const struct run_opts *o, const struct spec *s)
{
	if (o->filters.nr) {
		bool any = false;
		for (size_t i = 0; i < o->filters.nr && !any; i++)
			any = !fnmatch(o->filters.v[i], s->name, 0);
		if (!any)
			return false;
	}
	return shard_selects(&o->shard, s->name);
}

static void print_done(struct run_job *job, void *ctx)
{
	struct run_opts *o = ctx;

	progress_clear(&o->progress);
	if (sr_verbosity >= 0) {
		report_console_line(o->console, &job->rec,
				    isatty(fileno(o->console)) && !getenv("NO_COLOR"));
		fflush(o->console);
	}
	progress_done(&o->progress, &job->rec, sr_now_ms());
}

/* Every report target is checked before the first container starts: a
 * report that cannot be written must not cost a whole suite. */
static int check_reports(struct run_opts *o)
{
	unsigned to_stdout = 0;

	o->console = stdout;
	if (o->fail_on_new && !o->baseline)
		return cli_usage("--fail-on new needs --baseline REPORT", NULL);
	for (size_t i = 0; i < o->nreports; i++) {
		struct sr_err err = SR_ERR_INIT;
		const char *p = o->reports[i].path;
		if (run_report_is_dir(p)) {
			/* PATH/ : the default name, with the shard in it. */
			char *d = run_report_default_path(p, o->reports[i].fmt->ext, &o->shard);
			if (mkdir(p, 0777) < 0 && errno != EEXIST) {
				sr_log("report %s:%s: %s", o->reports[i].fmt->name, p,
				       strerror(errno));
				free(d);
				return EXIT_USAGE;
			}
			free(o->reports[i].path);
			o->reports[i].path = d;
			p = d;
		}
		if (!strcmp(p, "-")) {
			if (++to_stdout > 1)
				return cli_usage("at most one report may go to standard output:",
						 "-");
			/* The report owns stdout; progress goes to stderr. */
			o->console = stderr;
			continue;
		}
		if (sr_check_writable(p, &err) < 0) {
			sr_log("report %s:%s: %s", o->reports[i].fmt->name, p, err.msg);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static void fill_meta(struct run_meta *m, const struct engine *e, const struct catalogue *cat,
		      const char *run_id, uint64_t start, const struct run_opts *o,
		      const char *suite_path)
{
	char host[256], hex[17];
	struct sr_err err = SR_ERR_INIT;

	memset(m, 0, sizeof(*m));
	m->run_id = xstrdup(run_id);
	m->start_wall_ms = start;
	m->end_wall_ms = sr_wall_ms();
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	m->host = xstrdup(host);
	m->engine = xstrdup(e && e->name ? e->name : "unknown");
	m->engine_version = e && e->version ? xstrdup(e->version) : NULL;
	if (cat) {
		m->catalogue_path = xstrdup(cat->path);
		sr_hash_hex(cat->text, cat->len, hex);
		m->catalogue_hash = xstrdup(hex);
	}
	m->git_dirty = -1;
	if (gitrepo_head_info(suite_path, &m->git_head, &m->git_dirty, &err) < 0)
		sr_debug("no git information: %s", err.msg);
	m->interrupted = sr_interrupted != 0;
	m->shard_k = o->shard.count ? o->shard.index : 0;
	m->shard_n = o->shard.count;
	m->tool_version = xstrdup(SANDRUN_VERSION);
}

/* Each record's repro: `sandrun repro` on the first JSON report written to a
 * file, by the record's selector. */
static void set_repro(const struct run_opts *o, struct record *recs, size_t n)
{
	const char *report = "REPORT.json";
	struct strbuf sel = STRBUF_INIT;

	for (size_t i = 0; i < o->nreports; i++) {
		if (o->reports[i].fmt == &report_formats[0] && strcmp(o->reports[i].path, "-")) {
			report = o->reports[i].path;
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char k[16];
		snprintf(k, sizeof(k), "%u", recs[i].repeat_index + 1);
		strbuf_reset(&sel);
		record_selector(&sel, recs[i].harness, recs[i].payload, k);
		strvec_clear(&recs[i].repro);
		strvec_push(&recs[i].repro, "sandrun");
		strvec_push(&recs[i].repro, "repro");
		strvec_push(&recs[i].repro, report);
		strvec_push(&recs[i].repro, sel.buf);
	}
	strbuf_release(&sel);
}

static int write_reports(const struct run_opts *o, const struct run_meta *m,
			 const struct record *recs, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < o->nreports; i++) {
		struct sr_err err = SR_ERR_INIT;
		if (o->reports[i].fmt->write(o->reports[i].path, m, recs, n, true, &err) < 0) {
			sr_log("%s", err.msg);
			rc = EXIT_FAIL;
		}
	}
	return rc;
}

/* `expect` judges verdicts (k-of-n), not single runs. */
static bool any_verdict_failed(const struct record *recs, size_t n)
{
	struct verdict *v;
	size_t nv;
	bool failed = false;

	verdicts_build(&v, &nv, recs, n, verdict_confirm_of_record, NULL);
	for (size_t i = 0; i < nv && !failed; i++)
		failed = !v[i].match;
	verdicts_free(v, nv);
	return failed;
}

/* One line per invocation for each guarantee these runs get weaker than
 * DESIGN §6 promises (not for each run: the records say which runs). */
static void warn_weaker(const struct runner *r, const struct run_job *jobs, size_t n)
{
	bool net = false;

	for (size_t i = 0; i < n && !net; i++)
		net = jobs[i].spec->network == NET_OOB || jobs[i].spec->network == NET_STUBS;
	if (net && !r->firewall && !r->require_firewall)
		sr_log(
		    "warning: no firewall (it needs root and iptables): oob/stubs runs can reach "
		    "every port of their network's gateway address on this host; "
		    "--require-firewall makes them errors");
	if (n && !r->is_root)
		sr_log("warning: not root: /work is a plain host directory, so limits.disk bounds "
		       "only the copied workdir, not what a harness writes");
}

/* One job per harness x payload x repeat, in suite order. */
static void plan_jobs(struct run_job **jobs, size_t *njobs, const struct run_opts *o,
		      struct cli_suite *su)
{
	size_t ajobs = 0;

	*jobs = NULL;
	*njobs = 0;
	for (size_t i = 0; i < su->n; i++) {
		struct spec *s = &su->specs[i];
		if (!selected(o, s))
			continue;
		if (o->repeat) {
			s->repeat = o->repeat;
			/* K of a shorter run cannot exceed its N. */
			if (s->confirm > o->repeat)
				s->confirm = o->repeat;
		}
		for (size_t p = 0; p < s->npayloads; p++)
			for (unsigned k = 0; k < s->repeat; k++) {
				SR_GROW(*jobs, *njobs + 1, ajobs);
				(*jobs)[*njobs] = (struct run_job){.spec = s,
								   .payload = p,
								   .repeat = k,
								   .seq = (unsigned)*njobs + 1};
				(*njobs)++;
			}
	}
}

/* Run every job; a job that could not run gets an error record. Returns
 * EXIT_ENGINE when the engine cannot be reached, else 0. */
static int run_jobs(struct runner *r, struct engine *eng, const struct cli *cli, struct run_opts *o,
		    struct run_job *jobs, size_t njobs)
{
	struct sr_err err = SR_ERR_INIT;
	int rc = 0;

	r->timeout_scale = o->timeout_scale;
	if (o->grace_set)
		r->grace_ms = o->grace_ms;
	r->keep = o->keep;
	r->require_pinned = o->require_pinned;
	r->require_firewall = o->require_firewall;
	r->jobs = o->jobs;
	r->cache_dir = o->cache;
	/* An invocation that selects nothing leaves housekeeping to the next
	 * run or `sandrun gc`: its start-up is the engine probe alone. */
	r->no_sweep = njobs == 0;
	if (cli_engine(eng, cli, &err) < 0) {
		rc = EXIT_ENGINE;
	} else {
		eng->pull_timeout_ms = o->pull_timeout_ms;
		r->engine = eng;
		warn_weaker(r, jobs, njobs);
		if (runner_start(r, o->pull, &err) == 0) {
			progress_init(&o->progress, stderr, njobs, o->jobs,
				      getenv("NO_COLOR") != NULL, sr_now_ms());
			run_all(r, jobs, njobs, print_done, o);
			progress_end(&o->progress);
			return 0;
		}
	}
	/* Nothing can run, but the reports still hold every run. */
	sr_log("%s", err.msg);
	for (size_t i = 0; i < njobs; i++)
		run_error_record(r, &jobs[i], "create", err.msg);
	return rc;
}

/* Per payload: how many of its repeats fired. */
static void count_fired(struct run_job *jobs, size_t njobs)
{
	for (size_t i = 0; i < njobs;) {
		size_t j = i;
		unsigned fired = 0;
		while (j < njobs && jobs[j].spec == jobs[i].spec &&
		       jobs[j].payload == jobs[i].payload)
			fired += jobs[j++].rec.fired;
		for (size_t k = i; k < j; k++) {
			jobs[k].rec.fired = fired;
			jobs[k].rec.runs = (unsigned)(j - i);
		}
		i = j;
	}
}

/* The records of the reports: every job's, then one error record per
 * invalid spec this shard reports (the one shard its name selects). */
static struct record *collect_records(size_t *n, struct run_job *jobs, size_t njobs,
				      const struct cli_suite *su, const struct run_opts *o)
{
	struct record *recs = xcalloc(njobs + su->bad_paths.nr, sizeof(*recs));

	count_fired(jobs, njobs);
	for (size_t i = 0; i < njobs; i++)
		recs[i] = jobs[i].rec;
	*n = njobs;
	for (size_t i = 0; i < su->bad_paths.nr; i++) {
		struct record *x = &recs[*n];
		const char *base = strrchr(su->bad_paths.v[i], '/');
		base = base ? base + 1 : su->bad_paths.v[i];
		if (!shard_selects(&o->shard, base))
			continue;
		(*n)++;
		record_init(x);
		x->harness = xstrdup(base);
		x->payload = xstrdup("");
		x->spec_path = xstrdup(su->bad_paths.v[i]);
		x->outcome = OUTCOME_ERROR;
		x->phase = strstr(su->bad_msgs.v[i], "not in catalogue") ? "catalogue" : "spec";
		x->cause = xstrdup(su->bad_msgs.v[i]);
		x->runs = 1;
	}
	return recs;
}

/* Console summary and every report; the invocation's exit code. */
static int report_all(const struct run_opts *o, const struct runner *r, const struct engine *eng,
		      const struct catalogue *cat, const struct cli_suite *su, uint64_t start,
		      struct record *recs, size_t njobs, size_t n, const struct baseline *bl,
		      struct report_diff *diff)
{
	struct sr_err err = SR_ERR_INIT;
	struct run_meta meta;
	int rc;

	set_repro(o, recs, njobs);
	fill_meta(&meta, eng, cat, r->run_id, start, o, o->paths.nr ? o->paths.v[0] : "harnesses");
	if (run_suite_fingerprint(&meta.fingerprint, su, &o->paths, meta.catalogue_hash, &err) < 0)
		sr_log("no suite fingerprint in the report: %s", err.msg);
	if (r->unattributed.len)
		meta.unattributed_json = xasprintf("[%s]", r->unattributed.buf);
	meta.source_map = o->source_map.nr ? &o->source_map : NULL;
	if (o->baseline) {
		report_diff_build(diff, bl->recs, bl->n, recs, n);
		diff->old_label = xstrdup(o->baseline);
		diff->old_id = bl->meta.run_id ? xstrdup(bl->meta.run_id) : NULL;
		meta.baseline = diff;
	}
	if (sr_verbosity >= 0) {
		report_console_summary(o->console, recs, n);
		report_console_crashes(o->console, recs, n);
		if (o->baseline)
			report_diff_console(o->console, diff,
					    isatty(fileno(o->console)) && !getenv("NO_COLOR"));
	}
	rc = write_reports(o, &meta, recs, n);
	run_meta_release(&meta);
	return rc;
}

int cmd_run(const struct cli *cli, int argc, char **argv)
{
	struct run_opts o;
	struct catalogue cat = {0};
	struct cli_suite su = {0};
	struct engine eng = {0};
	struct sr_err err = SR_ERR_INIT;
	struct runner r = {0};
	struct run_job *jobs = NULL;
	struct record *recs;
	struct baseline bl = {0};
	struct report_diff diff = {0};
	size_t njobs = 0, n;
	uint64_t start = sr_wall_ms();
	int rc, engine_rc;

	if ((rc = parse_run_opts(argc, argv, &o)) || o.help || (rc = check_reports(&o)) ||
	    (rc = cli_load_catalogue(&cat, cli, &err) < 0 ? cli_fail(&err) : 0) ||
	    (rc = o.baseline && report_read(&bl.recs, &bl.n, &bl.meta, o.baseline, &err) < 0
		      ? cli_fail(&err)
		      : 0) ||
	    (rc = cli_load_suite(&su, &o.paths, &cat, &err) < 0 ? cli_fail(&err) : 0) ||
	    (rc = walls_override(su.specs, su.n, o.runtime, o.seccomp, &err) < 0 ? cli_fail(&err)
										 : 0) ||
	    (rc = runner_init(&r, NULL, &cat, false, &err) < 0 ? cli_fail(&err) : 0))
		goto out;
	for (size_t i = 0; i < su.bad_msgs.nr; i++)
		sr_log("%s", su.bad_msgs.v[i]);
	plan_jobs(&jobs, &njobs, &o, &su);
	engine_rc = run_jobs(&r, &eng, cli, &o, jobs, njobs);
	recs = collect_records(&n, jobs, njobs, &su, &o);
	rc = report_all(&o, &r, engine_rc ? NULL : &eng, &cat, &su, start, recs, njobs, n, &bl,
			&diff);
	if (sr_interrupted)
		rc = 128 + sr_interrupted;
	else if (engine_rc)
		rc = engine_rc;
	else if (su.bad_paths.nr)
		rc = EXIT_USAGE;
	else if (o.fail_on_new) /* PR mode: only regressions against the baseline */
		rc = diff.regressions ? EXIT_FAIL : rc;
	else if (any_verdict_failed(recs, njobs)) /* else EXIT_FAIL when a report failed */
		rc = EXIT_FAIL;
	for (size_t i = 0; i < n; i++)
		record_release(&recs[i]);
	free(recs);
out:
	report_diff_release(&diff);
	baseline_release(&bl);
	runner_release(&r);
	free(jobs);
	cli_suite_release(&su);
	catalogue_release(&cat);
	engine_release(&eng);
	run_opts_release(&o);
	return rc;
}
