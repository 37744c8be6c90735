/* sandrun repro REPORT SELECTOR: run one record of a JSON report again, with
 * the record's image, spec, payload, limits and network policy, and say
 * whether the same outcome (for a crash, the same signature) comes back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/jsonparse.h"
#include "lib/sanitize.h"
#include "runner/cli/cli.h"
#include "runner/spec/walls.h"
#include "runner/cli/verbs.h"
#include "runner/cmd/repro_trust.h"
#include "runner/exec/gc.h"
#include "runner/report/report.h"
#include "runner/exec/run.h"
#include "runner/exec/runner.h"

/* What the report says about the record being reproduced. */
struct orig {
	const char *harness, *payload, *spec, *spec_hash, *image, *outcome, *signature, *cause;
	const char *artifact_dir;
	const struct json_value *artifacts;
	unsigned repeat; /* 1-based */
};

static const char *jstr_at(const struct json_value *obj, const char *key)
{
	return json_str(json_get(obj, key));
}

/* The walls the record ran behind: its runtime and seccomp profile (a
 * profile file that is gone leaves the spec's). */
static int record_walls(struct spec *s, const struct json_value *rec, struct sr_err *err)
{
	const struct json_value *iso = json_get(rec, "isolation");
	const char *rt = iso ? jstr_at(iso, "runtime") : NULL;
	const char *sc = iso ? jstr_at(iso, "seccomp") : NULL;

	if (sc && strcmp(sc, "default") && strcmp(sc, "strict") && access(sc, R_OK) < 0)
		sc = NULL;
	return walls_override(s, 1, rt, sc, err);
}

/* The selector's record: "harness[payload]#k" (#k optional: run 1), or a
 * number: the record's seq, or its 1-based position when none has that seq. */
static const struct json_value *find_record(const struct json_value *recs, const char *sel)
{
	char *end;
	unsigned long n = strtoul(sel, &end, 10);
	struct strbuf name = STRBUF_INIT;
	const struct json_value *hit = NULL;

	if (*sel && !*end) {
		/* A record's seq when the report has them, else its position. */
		for (size_t i = 0; i < recs->u.arr.n; i++) {
			const struct json_value *q = json_get(recs->u.arr.v[i], "seq");
			if (q && q->type == JSON_NUMBER && q->u.num.v == (double)n)
				return recs->u.arr.v[i];
		}
		return n >= 1 && n <= recs->u.arr.n ? recs->u.arr.v[n - 1] : NULL;
	}
	for (size_t i = 0; i < recs->u.arr.n && !hit; i++) {
		const struct json_value *r = recs->u.arr.v[i], *k = json_get(r, "repeat");
		const char *h = jstr_at(r, "harness"), *p = jstr_at(r, "payload");
		bool first = k && k->type == JSON_NUMBER && k->u.num.v == 1;

		strbuf_reset(&name);
		strbuf_addstr(&name, h ? h : "");
		if (p && *p)
			strbuf_addf(&name, "[%s]", p);
		if (first && !strcmp(name.buf, sel))
			hit = r;
		strbuf_addf(&name, "#%s", k && k->type == JSON_NUMBER ? k->u.num.text : "1");
		if (!strcmp(name.buf, sel))
			hit = r;
	}
	strbuf_release(&name);
	return hit;
}

static int read_orig(struct orig *o, const struct json_value *rec, const char *sel)
{
	const struct json_value *ev = json_get(rec, "evidence"), *k = json_get(rec, "repeat");

	memset(o, 0, sizeof(*o));
	o->harness = jstr_at(rec, "harness");
	o->payload = jstr_at(rec, "payload");
	o->spec = jstr_at(rec, "spec");
	o->spec_hash = jstr_at(rec, "spec_hash");
	o->image = jstr_at(rec, "image");
	o->outcome = jstr_at(rec, "outcome");
	o->cause = jstr_at(rec, "cause");
	o->signature = jstr_at(json_get(rec, "crash"), "signature");
	o->artifact_dir = jstr_at(ev, "artifact_dir");
	o->artifacts = json_get(ev, "artifacts");
	o->repeat = k && k->type == JSON_NUMBER && k->u.num.v >= 1 ? (unsigned)k->u.num.v : 1;
	if (!o->harness || !o->spec || !o->image || !o->outcome) {
		sr_log("record '%s' lacks its harness, spec, image or outcome: "
		       "not a sandrun JSON report record",
		       sel);
		return EXIT_USAGE;
	}
	return 0;
}

/* The saved input `reproduce` runs on: the first reproducer libFuzzer left
 * among the record's artifacts, else the first artifact. */
static const char *pick_artifact(const struct orig *o)
{
	static const char *const kinds[] = {"crash-", "timeout-", "oom-", "leak-"};
	const char *first = NULL;

	if (!o->artifacts || o->artifacts->type != JSON_ARRAY)
		return NULL;
	for (size_t i = 0; i < o->artifacts->u.arr.n; i++) {
		const char *a = json_str(o->artifacts->u.arr.v[i]), *base;
		if (!a)
			continue;
		base = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
		first = first ? first : a;
		for (size_t k = 0; k < SR_ARRAY_SIZE(kinds); k++)
			if (!strncmp(base, kinds[k], strlen(kinds[k])))
				return a;
	}
	return first;
}

/* Point s at a copy of its workdir holding the saved input at its relative
 * path, and its command at `reproduce` with {artifact} filled in. */
static int use_saved_input(struct spec *s, const struct orig *o, const char *dir,
			   const char *art_root, struct sr_err *err)
{
	const char *art = pick_artifact(o);
	struct strvec argv = STRVEC_INIT;
	char *in = xasprintf("%s/input", dir);
	int rc;

	if (!art || !o->artifact_dir)
		return sr_err_set(err, SR_EINVAL,
				  "the record has no saved input for 'reproduce' (no artifacts)");
	if ((rc = fs_mkdirs(in, 0755, err)) < 0 ||
	    (s->workdir && (rc = fs_copy_tree(s->workdir, in, (uid_t)-1, (gid_t)-1, err)) < 0)) {
		free(in);
		return rc;
	}
	/* Read from beneath the artifacts root only, never the report's path. */
	rc = repro_copy_input(art_root, o->artifact_dir, art, in, err);
	for (size_t i = 0; rc >= 0 && i < s->reproduce.nr; i++) {
		struct strbuf sb = STRBUF_INIT;
		const char *p = s->reproduce.v[i], *q;
		while ((q = strstr(p, "{artifact}"))) {
			strbuf_add(&sb, p, (size_t)(q - p));
			strbuf_addf(&sb, "/work/%s", art);
			p = q + strlen("{artifact}");
		}
		strbuf_addstr(&sb, p);
		strvec_push(&argv, sb.buf);
		strbuf_release(&sb);
	}
	if (rc >= 0) {
		strvec_clear(&s->command);
		strvec_pushv(&s->command, (const char *const *)argv.v);
		free(s->workdir);
		s->workdir = in;
		in = NULL;
	}
	strvec_clear(&argv);
	free(in);
	return rc < 0 ? rc : 0;
}

/* Text the harness or the report chose (causes, signatures, file names)
 * reaches the terminal through the one sanitiser. */
static void put_text(const char *s)
{
	if (s)
		sr_fputs_safe(s, stdout);
}

static void print_side(const char *what, const char *outcome, const char *sig, const char *cause)
{
	char *o = sr_sanitized(outcome ? outcome : "?", 0);

	printf("  %-9s %-13s ", what, o);
	free(o);
	put_text(cause);
	putchar('\n');
	if (sig) {
		printf("  %-9s signature ", "");
		put_text(sig);
		putchar('\n');
	}
}

struct repro_opts {
	bool keep;
	bool allow_changed; /* --allow-changed-spec */
	bool help;	    /* --help was printed: parse_opts returned 0 */
	const char *report, *selector;
	const char *artifacts; /* --artifacts, else $SANDRUN_ARTIFACTS, else ./sandrun-artifacts */
	const char *suite;     /* --suite, else the current directory */
};

static int parse_opts(struct repro_opts *o, int argc, char **argv)
{
	struct sr_err err = SR_ERR_INIT;
	struct opt_iter it;
	const char *v;
	int id;

	memset(o, 0, sizeof(*o));
	opt_iter_init(&it, verb_find("repro"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == O_REPRO_KEEP) {
			o->keep = true;
		} else if (id == O_REPRO_ALLOW_CHANGED_SPEC) {
			o->allow_changed = true;
		} else if (id == O_REPRO_ARTIFACTS) {
			o->artifacts = v;
		} else if (id == O_REPRO_SUITE) {
			o->suite = v;
		} else if (id != OPT_ARG) {
			o->help = id == OPT_HELP;
			return verb_stop(it.verb, id, &err);
		} else if (!o->report) {
			o->report = v;
		} else if (!o->selector) {
			o->selector = v;
		} else {
			return cli_usage("repro takes REPORT and SELECTOR, extra argument", v);
		}
	}
	if (!o->artifacts)
		o->artifacts = getenv("SANDRUN_ARTIFACTS");
	if (!o->artifacts || !*o->artifacts)
		o->artifacts = "sandrun-artifacts";
	if (!o->selector)
		return cli_usage("usage: sandrun repro [--keep] [--artifacts DIR] [--suite DIR] "
				 "[--allow-changed-spec] REPORT SELECTOR "
				 "(SELECTOR: harness[payload]#k or the record's number)",
				 NULL);
	return 0;
}

/* Run job with the set-up every verb that runs containers shares (grace,
 * engine route, signal handling, owner file); fills job->rec. */
static int run_again(const struct cli *cli, struct run_job *job, const char *image,
		     const struct repro_opts *ro, struct sr_err *err)
{
	struct catalogue cat = {0};
	struct engine eng = {0};
	struct sr_err cerr = SR_ERR_INIT;
	struct runner r = {0};
	int rc;

	if (cli_engine(&eng, cli, err) < 0)
		return SR_EENGINE;
	/* The image is the catalogue's (repro_image checked the record's). */
	if (cli_load_catalogue(&cat, cli, &cerr) < 0)
		memset(&cat, 0, sizeof(cat));
	rc = runner_init(&r, &eng, &cat, false, err);
	if (rc == 0) {
		r.image = image;
		r.keep = ro->keep;
		free(r.own_art);
		r.artifacts_root = r.own_art = xasprintf("%s/%s", ro->artifacts, r.run_id);
		rc = runner_start(&r, PULL_MISSING, err);
	}
	if (rc == 0)
		run_all(&r, job, 1, NULL, NULL);
	runner_release(&r);
	catalogue_release(&cat);
	engine_release(&eng);
	return rc;
}

/* The record's spec and image, checked (repro_trust.h): 0, or the exit
 * code after saying why not. */
static int trusted_inputs(struct spec *s, char **image, const struct cli *cli,
			  const struct repro_opts *ro, const struct orig *o)
{
	struct catalogue cat = {0};
	struct sr_err err = SR_ERR_INIT;
	int rc;

	if (repro_load_spec(s, ro->suite, o->spec, o->spec_hash, ro->allow_changed, &err) < 0)
		return cli_fail(&err);
	if (cli_load_catalogue(&cat, cli, &err) < 0 ||
	    repro_image(image, &cat, s, o->image, &err) < 0) {
		err.code = SR_EINVAL;
		rc = cli_fail(&err);
		catalogue_release(&cat);
		spec_release(s);
		return rc;
	}
	catalogue_release(&cat);
	return 0;
}

/* The saved input in a directory of its own (*dir, removed by the caller). */
static int prepare_input(struct spec *s, char **dir, const struct orig *o,
			 const struct repro_opts *ro)
{
	struct sr_err err = SR_ERR_INIT;

	if (!s->reproduce.nr)
		return 0;
	if (!pick_artifact(o) || !o->artifact_dir) {
		printf("%s has no saved input: running the harness's command\n", ro->selector);
		return 0;
	}
	/* Not named like a run's directory: gc leaves it alone. */
	*dir = xasprintf("%s/sr-repro-XXXXXX", gc_tmp_base());
	if (!mkdtemp(*dir)) {
		sr_err_set(&err, SR_EFAIL, "cannot create '%s': %s", *dir, strerror(errno));
		free(*dir);
		*dir = NULL;
		return cli_fail(&err);
	}
	if (use_saved_input(s, o, *dir, ro->artifacts, &err) < 0)
		return cli_fail(&err);
	printf("reproducing ");
	put_text(ro->selector);
	printf(" on its saved input:");
	for (size_t i = 0; i < s->command.nr; i++) {
		putchar(' ');
		put_text(s->command.v[i]);
	}
	putchar('\n');
	return 0;
}

static int interrupted(void)
{
	fprintf(stderr, "sandrun: interrupted by signal %d\n", (int)sr_interrupted);
	return 128 + sr_interrupted;
}

static int print_result(const struct orig *o, struct record *rec)
{
	bool same = !strcmp(o->outcome, outcome_name(rec->outcome));
	char *cause, *sig;

	if (same && rec->outcome == OUTCOME_CRASH && o->signature)
		same = rec->signature && !strcmp(o->signature, rec->signature);
	print_side("original", o->outcome, o->signature, o->cause);
	cause = report_redact(rec->cause, rec->token);
	sig = report_redact(rec->signature, rec->token);
	print_side("repro", outcome_name(rec->outcome), sig, cause);
	free(cause);
	free(sig);
	if (rec->evidence.artifact_dir) {
		printf("  artifacts ");
		put_text(rec->evidence.artifact_dir);
		putchar('\n');
	}
	printf("%s\n", same ? "reproduced" : "NOT reproduced");
	return same ? EXIT_OK : EXIT_FAIL;
}

int cmd_repro(const struct cli *cli, int argc, char **argv)
{
	struct repro_opts ro;
	struct json_value *doc = NULL;
	const struct json_value *rec;
	struct sr_err err = SR_ERR_INIT;
	struct spec s = {0};
	struct orig o;
	struct run_job job;
	char *dir = NULL, *image = NULL;
	int rc;

	if ((rc = parse_opts(&ro, argc, argv)) || ro.help)
		return rc;
	if (json_parse_file(&doc, ro.report, &err) < 0)
		return cli_fail(&err);
	rec = json_get(doc, "records");
	if (!rec || rec->type != JSON_ARRAY || !(rec = find_record(rec, ro.selector))) {
		sr_log("no record '%s' in %s", ro.selector, ro.report);
		json_free(doc);
		return EXIT_USAGE;
	}
	if ((rc = read_orig(&o, rec, ro.selector)) ||
	    (rc = trusted_inputs(&s, &image, cli, &ro, &o))) {
		json_free(doc);
		return rc;
	}
	memset(&job, 0, sizeof(job));
	job.spec = &s;
	job.repeat = o.repeat - 1;
	job.seq = 1;
	job.payload = s.npayloads;
	for (size_t i = 0; i < s.npayloads; i++)
		if (!strcmp(s.payloads[i].name, o.payload ? o.payload : ""))
			job.payload = i;
	if (job.payload == s.npayloads) {
		sr_log("%s has no payload '%s' any more", o.spec, o.payload ? o.payload : "");
		rc = EXIT_USAGE;
	} else if (!(rc = prepare_input(&s, &dir, &o, &ro))) {
		if (record_walls(&s, rec, &err) < 0)
			sr_log("%s (the spec's walls apply)", err.msg);
		if ((rc = run_again(cli, &job, image, &ro, &err)) < 0)
			rc = cli_fail(&err);
		else if (sr_interrupted)
			rc = interrupted();
		else
			rc = print_result(&o, &job.rec);
		record_release(&job.rec);
	}
	if (dir) {
		fs_remove_tree(dir);
		free(dir);
	}
	free(image);
	spec_release(&s);
	json_free(doc);
	return rc;
}
