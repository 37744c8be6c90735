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
#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"
#include "runner/exec/gc.h"
#include "runner/report/report.h"
#include "runner/exec/run.h"
#include "runner/exec/runner.h"

/* What the report says about the record being reproduced. */
struct orig {
	const char *harness, *payload, *spec, *image, *outcome, *signature, *cause;
	const char *artifact_dir;
	const struct json_value *artifacts;
	unsigned repeat; /* 1-based */
};

static const char *jstr_at(const struct json_value *obj, const char *key)
{
	return json_str(json_get(obj, key));
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
		record_selector(&name, h, p, NULL);
		if (first && !strcmp(name.buf, sel))
			hit = r;
		strbuf_reset(&name);
		record_selector(&name, h, p, k && k->type == JSON_NUMBER ? k->u.num.text : "1");
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
	o->image = jstr_at(rec, "image");
	o->outcome = jstr_at(rec, "outcome");
	o->cause = jstr_at(rec, "cause");
	o->signature = jstr_at(json_get(rec, "crash"), "signature");
	o->artifact_dir = jstr_at(ev, "artifact_dir");
	o->artifacts = json_get(ev, "artifacts");
	o->repeat = k && k->type == JSON_NUMBER && k->u.num.v >= 1 ? (unsigned)k->u.num.v : 1;
	if (!o->harness || !o->spec || !o->image || !o->outcome) {
		fprintf(stderr,
			"sandrun: record '%s' lacks its harness, spec, image or outcome: "
			"not a sandrun JSON report record\n",
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
			   struct sr_err *err)
{
	const char *art = pick_artifact(o);
	struct strvec rels = STRVEC_INIT, argv = STRVEC_INIT;
	char *in = xasprintf("%s/input", dir), *path;
	int rc;

	if (!art || !o->artifact_dir)
		return sr_err_set(err, SR_EINVAL,
				  "the record has no saved input for 'reproduce' (no artifacts)");
	if ((rc = fs_mkdirs(in, 0755, err)) < 0 ||
	    (s->workdir && (rc = fs_copy_tree(s->workdir, in, (uid_t)-1, (gid_t)-1, err)) < 0)) {
		free(in);
		return rc;
	}
	path = xasprintf("%s/%s", o->artifact_dir, art);
	rc = access(path, R_OK) < 0
		 ? sr_err_set(err, SR_EINVAL, "the saved input '%s' is gone", path)
		 : fs_collect(o->artifact_dir, art, in, &rels, err);
	free(path);
	if (rc >= 0 && rels.nr != 1)
		rc = sr_err_set(err, SR_EINVAL, "cannot copy the saved input '%s'", art);
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
	strvec_clear(&rels);
	free(in);
	return rc < 0 ? rc : 0;
}

/* Text the harness chose (causes, signatures, file names) never reaches the
 * terminal as control characters. */
static void put_text(const char *s)
{
	for (; s && *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void print_side(const char *what, const char *outcome, const char *sig, const char *cause)
{
	printf("  %-9s %-13s ", what, outcome ? outcome : "?");
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
	bool help; /* --help was printed: parse_opts returned 0 */
	const char *report, *selector;
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
	if (!o->selector)
		return cli_usage("usage: sandrun repro [--keep] REPORT SELECTOR "
				 "(SELECTOR: harness[payload]#k or the record's number)",
				 NULL);
	return 0;
}

/* Run job with the set-up every verb that runs containers shares (grace,
 * engine route, signal handling, owner file); fills job->rec. */
static int run_again(const struct cli *cli, struct run_job *job, const char *image, bool keep,
		     struct sr_err *err)
{
	struct catalogue cat = {0};
	struct engine eng = {0};
	struct sr_err cerr = SR_ERR_INIT;
	struct runner r = {0};
	int rc;

	if (cli_engine(&eng, cli, err) < 0)
		return SR_EENGINE;
	/* The image comes from the record; the catalogue only names it. */
	if (cli_load_catalogue(&cat, cli, &cerr) < 0)
		memset(&cat, 0, sizeof(cat));
	rc = runner_init(&r, &eng, &cat, false, err);
	if (rc == 0) {
		r.image = image;
		r.keep = keep;
		rc = runner_start(&r, PULL_MISSING, err);
	}
	if (rc == 0)
		run_all(&r, job, 1, NULL, NULL);
	runner_release(&r);
	catalogue_release(&cat);
	engine_release(&eng);
	return rc;
}

int cmd_repro(const struct cli *cli, int argc, char **argv)
{
	struct repro_opts ro;
	struct json_value *doc = NULL;
	const struct json_value *rec;
	struct sr_err err = SR_ERR_INIT;
	struct spec s;
	struct orig o;
	struct run_job job;
	char *dir = NULL;
	bool same;
	int rc;

	if ((rc = parse_opts(&ro, argc, argv)) || ro.help)
		return rc;
	if (json_parse_file(&doc, ro.report, &err) < 0)
		return cli_fail(&err);
	rec = json_get(doc, "records");
	if (!rec || rec->type != JSON_ARRAY || !(rec = find_record(rec, ro.selector))) {
		fprintf(stderr, "sandrun: no record '%s' in %s\n", ro.selector, ro.report);
		json_free(doc);
		return EXIT_USAGE;
	}
	if ((rc = read_orig(&o, rec, ro.selector))) {
		json_free(doc);
		return rc;
	}
	if (spec_load(&s, o.spec, &err) < 0) {
		json_free(doc);
		return cli_fail(&err);
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
		fprintf(stderr, "sandrun: %s has no payload '%s' any more\n", o.spec,
			o.payload ? o.payload : "");
		rc = EXIT_USAGE;
		goto out;
	}
	if (s.reproduce.nr && (!pick_artifact(&o) || !o.artifact_dir)) {
		printf("%s has no saved input: running the harness's command\n", ro.selector);
	} else if (s.reproduce.nr) {
		/* Not named like a run's directory: gc leaves it alone. */
		dir = xasprintf("%s/sr-repro-XXXXXX", gc_tmp_base());
		if (!mkdtemp(dir)) {
			sr_err_set(&err, SR_EFAIL, "cannot create '%s': %s", dir, strerror(errno));
			rc = cli_fail(&err);
			goto out;
		}
		if (use_saved_input(&s, &o, dir, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
		printf("reproducing %s on its saved input:", ro.selector);
		for (size_t i = 0; i < s.command.nr; i++) {
			putchar(' ');
			put_text(s.command.v[i]);
		}
		putchar('\n');
	}
	if ((rc = run_again(cli, &job, o.image, ro.keep, &err)) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (sr_interrupted) {
		fprintf(stderr, "sandrun: interrupted by signal %d\n", (int)sr_interrupted);
		rc = 128 + sr_interrupted;
		record_release(&job.rec);
		goto out;
	}
	same = !strcmp(o.outcome, outcome_name(job.rec.outcome));
	if (same && job.rec.outcome == OUTCOME_CRASH && o.signature)
		same = job.rec.signature && !strcmp(o.signature, job.rec.signature);
	print_side("original", o.outcome, o.signature, o.cause);
	{
		char *cause = report_redact(job.rec.cause, job.rec.token);
		char *sig = report_redact(job.rec.signature, job.rec.token);
		print_side("repro", outcome_name(job.rec.outcome), sig, cause);
		free(cause);
		free(sig);
	}
	if (job.rec.evidence.artifact_dir)
		printf("  artifacts %s\n", job.rec.evidence.artifact_dir);
	printf("%s\n", same ? "reproduced" : "NOT reproduced");
	rc = same ? EXIT_OK : EXIT_FAIL;
	record_release(&job.rec);
out:
	if (dir) {
		fs_remove_tree(dir);
		free(dir);
	}
	spec_release(&s);
	json_free(doc);
	return rc;
}
