/* A JSON report back into records (report_read.h). */
#include "runner/report/report_read.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/jsonparse.h"
#include "runner/report/report.h"

/* s when it is one of the static names in list (NULL-terminated), else dflt. */
static const char *static_name(const char *s, const char *const *list, const char *dflt)
{
	for (size_t i = 0; s && list[i]; i++)
		if (!strcmp(s, list[i]))
			return list[i];
	return dflt;
}

static char *dup_or_null(const struct json_value *v)
{
	const char *s = json_str(v);
	return s ? xstrdup(s) : NULL;
}

static long num_or(const struct json_value *v, long dflt)
{
	return v && v->type == JSON_NUMBER ? (long)v->u.num.v : dflt;
}

static bool bool_of(const struct json_value *v)
{
	return v && v->type == JSON_BOOL && v->u.b;
}

static char *array_text(const struct json_value *v)
{
	struct strbuf sb = STRBUF_INIT;

	if (!v || v->type != JSON_ARRAY)
		return NULL;
	json_serialize(&sb, v);
	return strbuf_detach(&sb, NULL);
}

static void strvec_of(struct strvec *out, const struct json_value *v)
{
	for (size_t i = 0; v && v->type == JSON_ARRAY && i < v->u.arr.n; i++)
		if (json_str(v->u.arr.v[i]))
			strvec_push(out, json_str(v->u.arr.v[i]));
}

static void read_record(struct record *r, const struct json_value *o)
{
	static const char *const phases[] = {"spec",  "catalogue", "pull",    "create",
					     "start", "run",	   "collect", NULL};
	static const char *const nets[] = {"none", "oob", "stubs", "open", NULL};
	static const char *const users[] = {"65534:65534", NULL};
	const struct json_value *iso = json_get(o, "isolation"), *ev = json_get(o, "evidence");
	const char *s;
	unsigned k, n;

	record_init(r);
	r->harness =
	    xstrdup(json_str(json_get(o, "harness")) ? json_str(json_get(o, "harness")) : "");
	r->payload =
	    xstrdup(json_str(json_get(o, "payload")) ? json_str(json_get(o, "payload")) : "");
	r->spec_path = dup_or_null(json_get(o, "spec"));
	r->spec_hash = dup_or_null(json_get(o, "spec_hash"));
	s = json_str(json_get(o, "outcome"));
	r->outcome = s ? outcome_from_name(s) : OUTCOME_ERROR;
	if (r->outcome == OUTCOME_NONE)
		r->outcome = OUTCOME_ERROR;
	s = json_str(json_get(o, "expected"));
	r->expected = s ? outcome_from_name(s) : OUTCOME_NONE;
	r->match = !record_failed(r);
	r->phase = static_name(json_str(json_get(o, "phase")), phases, NULL);
	r->cause = dup_or_null(json_get(o, "cause"));
	r->exit_code = (int)num_or(json_get(o, "exit_code"), -1);
	r->signal = (int)num_or(json_get(o, "signal"), 0);
	r->duration_ms = (uint64_t)num_or(json_get(o, "duration_ms"), 0);
	if ((s = json_str(json_get(o, "fired"))) && sscanf(s, "%u/%u", &k, &n) == 2) {
		r->fired = k;
		r->runs = n;
	}
	r->image = dup_or_null(json_get(o, "image"));
	r->pinned = bool_of(json_get(o, "pinned"));
	r->cached = bool_of(json_get(o, "cached"));
	r->isolation.network = static_name(json_str(json_get(iso, "network")), nets, NULL);
	r->isolation.firewall = bool_of(json_get(iso, "firewall"));
	r->isolation.read_only = bool_of(json_get(iso, "read_only"));
	r->isolation.user = static_name(json_str(json_get(iso, "user")), users, NULL);
	r->isolation.runtime = dup_or_null(json_get(iso, "runtime"));
	r->isolation.seccomp = dup_or_null(json_get(iso, "seccomp"));
	r->evidence.oob_json = array_text(json_get(ev, "oob"));
	r->evidence.stubs_json = array_text(json_get(ev, "stubs"));
	r->evidence.untokened_json = array_text(json_get(ev, "untokened"));
	r->evidence.stdout_tail = dup_or_null(json_get(ev, "stdout_tail"));
	r->evidence.stderr_tail = dup_or_null(json_get(ev, "stderr_tail"));
	strvec_of(&r->evidence.artifacts, json_get(ev, "artifacts"));
	r->evidence.artifact_dir = dup_or_null(json_get(ev, "artifact_dir"));
	strvec_of(&r->repro, json_get(o, "repro"));
	r->container = dup_or_null(json_get(o, "container"));
	r->repeat_index = (unsigned)(num_or(json_get(o, "repeat"), 1) - 1);
	report_read_crash_fields(r, o);
}

/* "2023-11-14T22:13:20.123Z" -> ms since the epoch; 0 when unparsable. */
static uint64_t iso_ms(const char *s)
{
	struct tm tm;
	const char *rest;
	unsigned ms = 0;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	if (*rest == '.')
		sscanf(rest + 1, "%3u", &ms);
	return (uint64_t)timegm(&tm) * 1000 + ms;
}

static void read_meta(struct run_meta *m, const struct json_value *run)
{
	const struct json_value *cat = json_get(run, "catalogue"), *git = json_get(run, "git");
	const struct json_value *un = json_get(run, "unattributed");
	const struct json_value *shard = json_get(run, "shard");

	memset(m, 0, sizeof(*m));
	m->run_id = dup_or_null(json_get(run, "run_id"));
	m->tool_version = dup_or_null(json_get(run, "sandrun_version"));
	m->start_wall_ms = iso_ms(json_str(json_get(run, "started")));
	m->end_wall_ms = iso_ms(json_str(json_get(run, "finished")));
	m->host = dup_or_null(json_get(run, "host"));
	m->engine = dup_or_null(json_get(run, "engine"));
	m->engine_version = dup_or_null(json_get(run, "engine_version"));
	m->catalogue_path = dup_or_null(json_get(cat, "path"));
	m->catalogue_hash = dup_or_null(json_get(cat, "xxh64"));
	m->git_head = dup_or_null(json_get(git, "head"));
	m->git_dirty = json_get(git, "dirty") && json_get(git, "dirty")->type == JSON_BOOL
			   ? json_get(git, "dirty")->u.b
			   : -1;
	m->interrupted = bool_of(json_get(run, "interrupted"));
	m->unattributed_json = array_text(un);
	/* {"index": K, "count": N}; older reports wrote "K/N". */
	if (shard && shard->type == JSON_OBJECT) {
		m->shard_k = (unsigned)num_or(json_get(shard, "index"), 0);
		m->shard_n = (unsigned)num_or(json_get(shard, "count"), 0);
	} else if (json_str(shard)) {
		sscanf(json_str(shard), "%u/%u", &m->shard_k, &m->shard_n);
	}
	m->fingerprint = dup_or_null(json_get(run, "fingerprint"));
}

int report_read_doc(struct record **recs, size_t *n, struct run_meta *meta,
		    const struct json_value *doc, const char *path, struct sr_err *err)
{
	const struct json_value *rv, *vv;
	struct record *r;
	size_t nr;

	*recs = NULL;
	*n = 0;
	rv = json_get(doc, "records");
	if (!json_get(doc, "run") || !rv || rv->type != JSON_ARRAY)
		return sr_err_set(err, SR_EINVAL, "%s:1:1: not a sandrun report", path);
	nr = rv->u.arr.n;
	r = xcalloc(nr ? nr : 1, sizeof(*r));
	for (size_t i = 0; i < nr; i++)
		read_record(&r[i], rv->u.arr.v[i]);
	vv = json_get(doc, "verdicts");
	for (size_t i = 0; vv && vv->type == JSON_ARRAY && i < vv->u.arr.n; i++) {
		const struct json_value *v = vv->u.arr.v[i], *seq = json_get(v, "seq");
		long k = num_or(json_get(v, "confirm"), 1);
		for (size_t j = 0; seq && seq->type == JSON_ARRAY && j < seq->u.arr.n; j++) {
			long s = num_or(seq->u.arr.v[j], 0);
			if (s >= 1 && (size_t)s <= nr && k >= 1)
				r[s - 1].confirm = (unsigned)k;
		}
	}
	read_meta(meta, json_get(doc, "run"));
	*recs = r;
	*n = nr;
	return 0;
}

int report_read(struct record **recs, size_t *n, struct run_meta *meta, const char *path,
		struct sr_err *err)
{
	struct json_value *doc;
	int rc;

	*recs = NULL;
	*n = 0;
	if (json_parse_file(&doc, path, err) < 0)
		return SR_EINVAL;
	rc = report_read_doc(recs, n, meta, doc, path, err);
	json_free(doc);
	return rc;
}
