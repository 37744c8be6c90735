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
#include "runner/report/report.h"
#include "runner/cli/progress.h"
#include "runner/report/report_html.h"
#include "runner/exec/run.h"
#include "runner/spec/walls.h"
#include "runner/exec/run_api.h"
#include "runner/cli/shard_option.h"
#include "runner/cli/verbs.h"
#include "runner/verdict/kofn.h"

#define DEFAULT_GRACE_MS 500

struct report_req {
	char *fmt;
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
	uint64_t grace_ms;
	uint64_t pull_timeout_ms;
	const char *runtime, *seccomp; /* --runtime, --seccomp (walls.h) */
	struct strvec paths;
	bool help;     /* --help was asked: parse_run_opts returned 0 after printing it */
	FILE *console; /* per-run lines and the summary: stdout unless a report is */
	struct progress progress; /* the live line on stderr */
};

static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	const char *env_grace = getenv("SANDRUN_OOB_GRACE");
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	struct sr_err err = SR_ERR_INIT;
	struct opt_iter it;
	const char *v;
	int id;

	memset(o, 0, sizeof(*o));
	o->jobs = n > 0 ? (unsigned)n : 1;
	o->timeout_scale = 1.0;
	o->grace_ms = DEFAULT_GRACE_MS;
	if (env_grace && sr_parse_duration_ms(env_grace, &o->grace_ms) < 0)
		return cli_usage("SANDRUN_OOB_GRACE is not a duration:", env_grace);
	opt_iter_init(&it, verb_find("run"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
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
			if (run_shard_option(&o->shard, v, &err) < 0)
				return cli_fail(&err);
			break;
		case O_RUN_FILTER:
			strvec_push(&o->filters, v);
			break;
		case O_RUN_REPORT: {
			const char *colon = strchr(v, ':');
			struct report_req *r;
			if (!colon || !colon[1])
				return cli_usage("--report needs FORMAT:PATH, got", v);
			SR_GROW(o->reports, o->nreports + 1, o->areports);
			r = &o->reports[o->nreports++];
			r->fmt = xstrndup(v, (size_t)(colon - v));
			r->path = xstrdup(colon + 1);
			if (strcmp(r->fmt, "json") && strcmp(r->fmt, "junit") &&
			    strcmp(r->fmt, "sarif") && strcmp(r->fmt, "html"))
				return cli_usage(
				    "unknown report format (json, junit, sarif, html):", r->fmt);
			break;
		}
		case O_RUN_PULL:
			if (!strcmp(v, "missing"))
				o->pull = PULL_MISSING;
			else if (!strcmp(v, "always"))
				o->pull = PULL_ALWAYS;
			else if (!strcmp(v, "never"))
				o->pull = PULL_NEVER;
			else
				return cli_usage("--pull must be missing, always or never, got", v);
			break;
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
			break;
		case O_RUN_RUNTIME:
			o->runtime = v;
			break;
		case O_RUN_SECCOMP:
			o->seccomp = v;
			break;
		default: /* OPT_HELP: exit 0 with the help; OPT_BAD */
			o->help = id == OPT_HELP;
			return verb_stop(it.verb, id, &err);
		}
	}
	return 0;
}

static void run_opts_release(struct run_opts *o)
{
	for (size_t i = 0; i < o->nreports; i++) {
		free(o->reports[i].fmt);
		free(o->reports[i].path);
	}
	free(o->reports);
	strvec_clear(&o->filters);
	strvec_clear(&o->paths);
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

static void unlink_owner(const char *tmp_root)
{
	char *path = xasprintf("%s/" GC_OWNER_FILE, tmp_root);

	if (unlink(path) < 0 && errno != ENOENT)
		sr_debug("cannot remove '%s': %s", path, strerror(errno));
	free(path);
}

static void on_sig(int sig)
{
	sr_interrupted = sig;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
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
	for (size_t i = 0; i < o->nreports; i++) {
		struct sr_err err = SR_ERR_INIT;
		const char *p = o->reports[i].path;
		if (run_report_is_dir(p)) {
			/* PATH/ : the default name, with the shard in it. */
			char *d = run_report_default_path(p, o->reports[i].fmt, &o->shard);
			if (mkdir(p, 0777) < 0 && errno != EEXIST) {
				sr_log("report %s:%s: %s", o->reports[i].fmt, p, strerror(errno));
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
			sr_log("report %s:%s: %s", o->reports[i].fmt, p, err.msg);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static char *random_hex(size_t bytes)
{
	unsigned char raw[16];
	struct strbuf sb = STRBUF_INIT;

	if (bytes > sizeof(raw) || sr_random(raw, bytes, NULL) < 0)
		abort();
	for (size_t i = 0; i < bytes; i++)
		strbuf_addf(&sb, "%02x", raw[i]);
	return strbuf_detach(&sb, NULL);
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

static int write_html(const char *path, const struct run_meta *m, const struct record *recs,
		      size_t n, struct sr_err *err)
{
	struct html_timing *t = n ? xcalloc(n, sizeof(*t)) : NULL;
	struct verdict *v;
	size_t nv;
	int rc;

	for (size_t i = 0; i < n; i++)
		t[i] = (struct html_timing){.start_ms = recs[i].start_ms, .worker = recs[i].worker};
	verdicts_build(&v, &nv, recs, n, verdict_confirm_of_record, NULL);
	rc = report_html_write_file(path, m, recs, n, v, nv, t, err);
	verdicts_free(v, nv);
	free(t);
	return rc;
}

/* Each record's repro: `sandrun repro` on the first JSON report written to a
 * file, by the record's selector. */
static void set_repro(const struct run_opts *o, struct record *recs, size_t n)
{
	const char *report = "REPORT.json";
	struct strbuf sel = STRBUF_INIT;

	for (size_t i = 0; i < o->nreports; i++) {
		if (!strcmp(o->reports[i].fmt, "json") && strcmp(o->reports[i].path, "-")) {
			report = o->reports[i].path;
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		strbuf_reset(&sel);
		strbuf_addstr(&sel, recs[i].harness ? recs[i].harness : "");
		if (recs[i].payload && *recs[i].payload)
			strbuf_addf(&sel, "[%s]", recs[i].payload);
		strbuf_addf(&sel, "#%u", recs[i].repeat_index + 1);
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
		const char *f = o->reports[i].fmt, *p = o->reports[i].path;
		int r;
		if (!strcmp(f, "json"))
			r = report_write_json(p, m, recs, n, &err);
		else if (!strcmp(f, "junit"))
			r = report_write_junit(p, m, recs, n, &err);
		else if (!strcmp(f, "html"))
			r = write_html(p, m, recs, n, &err);
		else
			r = report_write_sarif(p, m, recs, n, &err);
		if (r < 0) {
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

int cmd_run(const struct cli *cli, int argc, char **argv)
{
	struct run_opts o;
	struct catalogue cat = {0};
	struct cli_suite su = {0};
	struct engine eng = {0};
	struct sr_err err = SR_ERR_INIT;
	struct runner r;
	struct run_job *jobs = NULL;
	struct record *recs = NULL;
	struct run_meta meta;
	size_t njobs = 0, ajobs = 0, nbad = 0, nb = 0;
	char *run_id = NULL, *owner = NULL, *tmp_root = NULL, *art_root = NULL;
	const char *art = getenv("SANDRUN_ARTIFACTS");
	uint64_t start = sr_wall_ms();
	bool engine_ok = false;
	int rc = EXIT_OK, engine_rc = 0;

	memset(&r, 0, sizeof(r));
	if ((rc = parse_run_opts(argc, argv, &o)) || o.help || (rc = check_reports(&o))) {
		run_opts_release(&o);
		return rc;
	}
	if (cli_load_catalogue(&cat, cli, &err) < 0) {
		run_opts_release(&o);
		return cli_fail(&err);
	}
	if (cli_load_suite(&su, &o.paths, &cat, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (walls_override(su.specs, su.n, o.runtime, o.seccomp, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	for (size_t i = 0; i < su.bad_msgs.nr; i++)
		sr_log("%s", su.bad_msgs.v[i]);

	run_id = random_hex(6);
	owner = gc_owner_self();
	install_signals();

	/* One job per harness x payload x repeat, in suite order. */
	for (size_t i = 0; i < su.n; i++) {
		struct spec *s = &su.specs[i];
		if (!selected(&o, s))
			continue;
		if (o.repeat) {
			s->repeat = o.repeat;
			/* K of a shorter run cannot exceed its N. */
			if (s->confirm > o.repeat)
				s->confirm = o.repeat;
		}
		for (size_t p = 0; p < s->npayloads; p++)
			for (unsigned k = 0; k < s->repeat; k++) {
				SR_GROW(jobs, njobs + 1, ajobs);
				memset(&jobs[njobs], 0, sizeof(jobs[njobs]));
				jobs[njobs].spec = s;
				jobs[njobs].payload = p;
				jobs[njobs].repeat = k;
				jobs[njobs].seq = (unsigned)njobs + 1;
				njobs++;
			}
	}

	r.run_id = run_id;
	r.owner = owner;
	r.cat = &cat;
	r.timeout_scale = o.timeout_scale;
	r.grace_ms = o.grace_ms;
	r.keep = o.keep;
	r.require_pinned = o.require_pinned;
	r.is_root = geteuid() == 0;
	r.oob_domain = SR_OOB_DOMAIN;
	r.jobs = o.jobs;
	r.cache_dir = o.cache;
	pthread_mutex_init(&r.lock, NULL);
	tmp_root = xasprintf("%s/" GC_TMP_PREFIX "%s", gc_tmp_base(), run_id);
	art_root = xasprintf("%s/%s", art && *art ? art : "sandrun-artifacts", run_id);
	r.tmp_root = tmp_root;
	r.artifacts_root = art_root;

	if (cli_engine(&eng, cli, &err) < 0) {
		sr_log("%s", err.msg);
		engine_rc = EXIT_ENGINE;
		for (size_t i = 0; i < njobs; i++)
			run_error_record(&r, &jobs[i], "create", err.msg);
	} else {
		engine_ok = true;
		eng.pull_timeout_ms = o.pull_timeout_ms;
		r.engine = &eng;
		r.images = imgcache_new(&eng, o.pull);
		r.firewall = fw_available();
		r.require_firewall = o.require_firewall;
		warn_weaker(&r, jobs, njobs);
		gc_sweep(&eng, gc_tmp_base(), false);
		if (gc_tmp_root_create(tmp_root, owner, &err) < 0) {
			/* Nothing can run, but the reports still hold every run. */
			sr_log("%s", err.msg);
			for (size_t i = 0; i < njobs; i++)
				run_error_record(&r, &jobs[i], "create", err.msg);
		} else {
			r.api = run_api_open(&eng);
			progress_init(&o.progress, stderr, njobs, o.jobs,
				      getenv("NO_COLOR") != NULL, sr_now_ms());
			run_all(&r, jobs, njobs, print_done, &o);
			progress_end(&o.progress);
			eapi_close(r.api);
			/* Without the owner file gc leaves what --keep kept
			 * alone; a killed run keeps it, so gc can tell its
			 * leftovers apart. */
			unlink_owner(tmp_root);
			if (!o.keep)
				rmdir(tmp_root);
		}
	}

	/* Per payload: how many of its repeats fired. */
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

	nbad = su.bad_paths.nr;
	recs = xcalloc(njobs + nbad, sizeof(*recs));
	for (size_t i = 0; i < njobs; i++)
		recs[i] = jobs[i].rec;
	for (size_t i = 0; i < su.bad_paths.nr; i++) {
		struct record *x = &recs[njobs + nb];
		const char *base = strrchr(su.bad_paths.v[i], '/');
		base = base ? base + 1 : su.bad_paths.v[i];
		/* An invalid spec is reported by the one shard its name selects. */
		if (!shard_selects(&o.shard, base))
			continue;
		nb++;
		record_init(x);
		x->harness = xstrdup(base);
		x->payload = xstrdup("");
		x->spec_path = xstrdup(su.bad_paths.v[i]);
		x->outcome = OUTCOME_ERROR;
		x->phase = strstr(su.bad_msgs.v[i], "not in catalogue") ? "catalogue" : "spec";
		x->cause = xstrdup(su.bad_msgs.v[i]);
		x->runs = 1;
	}
	set_repro(&o, recs, njobs);
	fill_meta(&meta, engine_ok ? &eng : NULL, &cat, run_id, start, &o,
		  o.paths.nr ? o.paths.v[0] : "harnesses");
	if (run_suite_fingerprint(&meta.fingerprint, &su, &o.paths, meta.catalogue_hash, &err) < 0)
		sr_log("no suite fingerprint in the report: %s", err.msg);
	if (r.unattributed.len)
		meta.unattributed_json = xasprintf("[%s]", r.unattributed.buf);
	if (sr_verbosity >= 0) {
		report_console_summary(o.console, recs, njobs + nb);
		report_console_crashes(o.console, recs, njobs + nb);
	}
	rc = write_reports(&o, &meta, recs, njobs + nb);
	run_meta_release(&meta);

	if (sr_interrupted)
		rc = 128 + sr_interrupted;
	else if (engine_rc)
		rc = engine_rc;
	else if (nbad)
		rc = EXIT_USAGE;
	else if (any_verdict_failed(recs, njobs)) /* else EXIT_FAIL when a report failed */
		rc = EXIT_FAIL;
	for (size_t i = 0; i < njobs + nb; i++)
		record_release(&recs[i]);
	free(recs);
out:
	if (r.images)
		imgcache_free(r.images);
	strbuf_release(&r.unattributed);
	free(jobs);
	free(run_id);
	free(owner);
	free(tmp_root);
	free(art_root);
	cli_suite_release(&su);
	catalogue_release(&cat);
	engine_release(&eng);
	run_opts_release(&o);
	return rc;
}
