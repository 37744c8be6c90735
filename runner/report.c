/* Reports: JSON, JUnit XML, SARIF 2.1.0, console, and report merge. */
#include "report.h"

#include <limits.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../lib/jsonparse.h"

#define NOUTCOMES (OUTCOME_NOT_CONFIRMED + 1)

/* Our own table, so that the report writers stand without spec.c. */
static const char *const outcome_names[NOUTCOMES] = {
    [OUTCOME_ERROR] = "error",	   [OUTCOME_CONFIRMED] = "confirmed",
    [OUTCOME_CRASH] = "crash",	   [OUTCOME_OOM] = "oom",
    [OUTCOME_TIMEOUT] = "timeout", [OUTCOME_NOT_CONFIRMED] = "not_confirmed",
};

/* NULL for OUTCOME_NONE and anything out of range. */
static const char *oname(enum outcome o)
{
	return (int)o >= 0 && (int)o < NOUTCOMES ? outcome_names[o] : NULL;
}

/* For text: never NULL. */
static const char *oshow(enum outcome o)
{
	return oname(o) ? oname(o) : "?";
}

static enum outcome outcome_of(const char *s, size_t len)
{
	for (int i = 0; i < NOUTCOMES; i++)
		if (strlen(outcome_names[i]) == len && !memcmp(outcome_names[i], s, len))
			return (enum outcome)i;
	return OUTCOME_NONE;
}

/* ---- token redaction ---- */

#define REDACTED "<token>"

/* A copy of s with every occurrence of tok, in any letter case (it is hex),
 * replaced by "<token>"; NULL for NULL. tok NULL or empty: a plain copy. */
static char *redact(const char *s, const char *tok)
{
	struct strbuf sb = STRBUF_INIT;
	size_t tl = tok ? strlen(tok) : 0;
	const char *p, *hit;

	if (!s)
		return NULL;
	if (!tl || !strcasestr(s, tok))
		return xstrdup(s);
	for (p = s; (hit = strcasestr(p, tok)); p = hit + tl) {
		strbuf_add(&sb, p, (size_t)(hit - p));
		strbuf_addstr(&sb, REDACTED);
	}
	strbuf_addstr(&sb, p);
	return strbuf_detach(&sb, NULL);
}

/* Same for a byte string that may hold NULs; returns true when it changed. */
static bool redact_bytes(char **s, size_t *len, const char *tok)
{
	struct strbuf sb = STRBUF_INIT;
	size_t tl = tok ? strlen(tok) : 0, i = 0;
	bool changed = false;

	if (!tl || *len < tl)
		return false;
	while (i < *len) {
		if (*len - i >= tl && !strncasecmp(*s + i, tok, tl)) {
			strbuf_addstr(&sb, REDACTED);
			i += tl;
			changed = true;
		} else {
			strbuf_addch(&sb, (*s)[i++]);
		}
	}
	if (!changed) {
		strbuf_release(&sb);
		return false;
	}
	free(*s);
	*s = strbuf_detach(&sb, len);
	return true;
}

static bool key_taken(const struct json_value *obj, size_t self, const char *k, size_t len)
{
	for (size_t i = 0; i < obj->u.obj.n; i++)
		if (i != self && obj->u.obj.m[i].key_len == len &&
		    !memcmp(obj->u.obj.m[i].key, k, len))
			return true;
	return false;
}

/* A redacted key may now equal a sibling ("<token>" sent as a key next to
 * the token itself); suffix it so that the report keeps unique keys and stays
 * readable by report merge. */
static void unique_key(struct json_value *obj, size_t i)
{
	struct json_member *m = &obj->u.obj.m[i];
	struct strbuf sb = STRBUF_INIT;

	if (!key_taken(obj, i, m->key, m->key_len))
		return;
	for (unsigned n = 2;; n++) {
		strbuf_reset(&sb);
		strbuf_add(&sb, m->key, m->key_len);
		strbuf_addf(&sb, "#%u", n);
		if (!key_taken(obj, i, sb.buf, sb.len))
			break;
	}
	free(m->key);
	m->key = strbuf_detach(&sb, &m->key_len);
}

static void redact_tree(struct json_value *v, const char *tok)
{
	switch (v->type) {
	case JSON_STRING:
		redact_bytes(&v->u.str.s, &v->u.str.len, tok);
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->u.arr.n; i++)
			redact_tree(v->u.arr.v[i], tok);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->u.obj.n; i++) {
			struct json_member *m = &v->u.obj.m[i];
			if (redact_bytes(&m->key, &m->key_len, tok))
				unique_key(v, i);
			redact_tree(m->value, tok);
		}
		break;
	default:
		break;
	}
}

/* ---- JSON ---- */

/* A JSON string of s with tok redacted, or null. */
static void add_jstr(struct strbuf *sb, const char *s, const char *tok)
{
	char *c = redact(s, tok);
	json_add_str(sb, c);
	free(c);
}

static void add_joutcome(struct strbuf *sb, enum outcome o)
{
	json_add_str(sb, oname(o));
}

/* A raw JSON array from another module, re-serialized (compact, one line). */
static void add_raw_array(struct strbuf *sb, const char *json, const char *tok)
{
	struct json_value *v = NULL;

	if (!json) {
		strbuf_addstr(sb, "[]");
		return;
	}
	if (json_parse(&v, "evidence", json, strlen(json), NULL) == 0 && v->type == JSON_ARRAY) {
		redact_tree(v, tok);
		json_serialize(sb, v);
	} else {
		strbuf_addch(sb, '[');
		add_jstr(sb, json, tok);
		strbuf_addch(sb, ']');
	}
	json_free(v);
}

static void add_jstrvec(struct strbuf *sb, const struct strvec *sv, const char *tok)
{
	strbuf_addch(sb, '[');
	for (size_t i = 0; i < sv->nr; i++) {
		if (i)
			strbuf_addch(sb, ',');
		add_jstr(sb, sv->v[i], tok);
	}
	strbuf_addch(sb, ']');
}

static const char *jbool(bool b)
{
	return b ? "true" : "false";
}

void report_record_json(struct strbuf *out, const struct record *r)
{
	const char *tok = r->token;

	strbuf_addstr(out, "{\"harness\":");
	add_jstr(out, r->harness ? r->harness : "", tok);
	strbuf_addstr(out, ",\"payload\":");
	add_jstr(out, r->payload ? r->payload : "", tok);
	strbuf_addstr(out, ",\"outcome\":");
	add_joutcome(out, r->outcome);
	strbuf_addstr(out, ",\"expected\":");
	add_joutcome(out, r->expected);
	strbuf_addf(out, ",\"match\":%s", jbool(!record_failed(r)));
	strbuf_addstr(out, ",\"phase\":");
	json_add_str(out, r->phase);
	strbuf_addstr(out, ",\"cause\":");
	add_jstr(out, r->cause, tok);
	if (r->exit_code == -1)
		strbuf_addstr(out, ",\"exit_code\":null");
	else
		strbuf_addf(out, ",\"exit_code\":%d", r->exit_code);
	if (!r->signal)
		strbuf_addstr(out, ",\"signal\":null");
	else
		strbuf_addf(out, ",\"signal\":%d", r->signal);
	strbuf_addf(out, ",\"duration_ms\":%llu", (unsigned long long)r->duration_ms);
	strbuf_addf(out, ",\"fired\":\"%u/%u\"", r->fired, r->runs);
	strbuf_addstr(out, ",\"image\":");
	add_jstr(out, r->image, tok);
	strbuf_addf(out, ",\"pinned\":%s,\"cached\":%s", jbool(r->pinned), jbool(r->cached));
	strbuf_addstr(out, ",\"isolation\":{\"network\":");
	json_add_str(out, r->isolation.network);
	strbuf_addf(out,
		    ",\"firewall\":%s,\"read_only\":%s,\"user\":", jbool(r->isolation.firewall),
		    jbool(r->isolation.read_only));
	json_add_str(out, r->isolation.user);
	strbuf_addstr(out, "},\"evidence\":{\"oob\":");
	add_raw_array(out, r->evidence.oob_json, tok);
	strbuf_addstr(out, ",\"stubs\":");
	add_raw_array(out, r->evidence.stubs_json, tok);
	strbuf_addstr(out, ",\"stdout_tail\":");
	add_jstr(out, r->evidence.stdout_tail, tok);
	strbuf_addstr(out, ",\"stderr_tail\":");
	add_jstr(out, r->evidence.stderr_tail, tok);
	strbuf_addstr(out, ",\"artifacts\":");
	add_jstrvec(out, &r->evidence.artifacts, tok);
	strbuf_addstr(out, ",\"artifact_dir\":");
	add_jstr(out, r->evidence.artifact_dir, tok);
	strbuf_addstr(out, "},\"repro\":");
	add_jstrvec(out, &r->repro, tok);
	strbuf_addstr(out, ",\"spec\":");
	add_jstr(out, r->spec_path, tok);
	strbuf_addstr(out, ",\"container\":");
	add_jstr(out, r->container, tok);
	strbuf_addf(out, ",\"repeat\":%u}", r->repeat_index + 1);
}

/* The report document layout shared by report_write_json and report_merge:
 * one run field a line, one record a line, so that reports diff well. */
static void doc_open_run(struct strbuf *sb)
{
	strbuf_addstr(sb, "{\n  \"run\": {");
}

static void doc_field_sep(struct strbuf *sb, bool *first)
{
	strbuf_addstr(sb, *first ? "\n    " : ",\n    ");
	*first = false;
}

static void doc_field(struct strbuf *sb, bool *first, const char *key)
{
	doc_field_sep(sb, first);
	json_add_str(sb, key);
	strbuf_addstr(sb, ": ");
}

static void doc_open_records(struct strbuf *sb)
{
	strbuf_addstr(sb, "\n  },\n  \"records\": [");
}

static void doc_record_sep(struct strbuf *sb, size_t i)
{
	strbuf_addstr(sb, i ? ",\n    " : "\n    ");
}

static void doc_close(struct strbuf *sb, size_t nrecords)
{
	strbuf_addstr(sb, nrecords ? "\n  ]\n}\n" : "]\n}\n");
}

static void add_time(struct strbuf *sb, uint64_t wall_ms)
{
	char ts[64];

	if (!wall_ms) {
		strbuf_addstr(sb, "null");
		return;
	}
	sr_fmt_time(ts, sizeof(ts), wall_ms);
	json_add_str(sb, ts);
}

static void add_counts(struct strbuf *sb, const size_t counts[NOUTCOMES])
{
	strbuf_addch(sb, '{');
	for (int i = 0; i < NOUTCOMES; i++)
		strbuf_addf(sb, "%s\"%s\": %zu", i ? ", " : "", outcome_names[i], counts[i]);
	strbuf_addch(sb, '}');
}

static size_t tally(const struct record *recs, size_t n, size_t counts[NOUTCOMES])
{
	size_t failed = 0;

	for (int i = 0; i < NOUTCOMES; i++)
		counts[i] = 0;
	for (size_t i = 0; i < n; i++) {
		if (oname(recs[i].outcome))
			counts[recs[i].outcome]++;
		failed += record_failed(&recs[i]);
	}
	return failed;
}

int report_write_json(const char *path, const struct run_meta *m, const struct record *recs,
		      size_t n, struct sr_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t counts[NOUTCOMES], failed = tally(recs, n, counts);
	bool first = true;
	int rc;

	doc_open_run(&sb);
	doc_field(&sb, &first, "run_id");
	json_add_str(&sb, m->run_id);
	doc_field(&sb, &first, "sandrun_version");
	json_add_str(&sb, m->tool_version);
	doc_field(&sb, &first, "started");
	add_time(&sb, m->start_wall_ms);
	doc_field(&sb, &first, "finished");
	add_time(&sb, m->end_wall_ms);
	doc_field(&sb, &first, "host");
	json_add_str(&sb, m->host);
	doc_field(&sb, &first, "engine");
	json_add_str(&sb, m->engine);
	doc_field(&sb, &first, "engine_version");
	json_add_str(&sb, m->engine_version);
	doc_field(&sb, &first, "catalogue");
	strbuf_addstr(&sb, "{\"path\": ");
	json_add_str(&sb, m->catalogue_path);
	strbuf_addstr(&sb, ", \"xxh64\": ");
	json_add_str(&sb, m->catalogue_hash);
	strbuf_addstr(&sb, "}");
	doc_field(&sb, &first, "git");
	strbuf_addstr(&sb, "{\"head\": ");
	json_add_str(&sb, m->git_head);
	strbuf_addstr(&sb, ", \"dirty\": ");
	strbuf_addstr(&sb, m->git_dirty < 0 ? "null" : jbool(m->git_dirty));
	strbuf_addstr(&sb, "}");
	doc_field(&sb, &first, "interrupted");
	strbuf_addstr(&sb, jbool(m->interrupted));
	doc_field(&sb, &first, "shard");
	if (m->shard_n)
		strbuf_addf(&sb, "\"%u/%u\"", m->shard_k, m->shard_n);
	else
		strbuf_addstr(&sb, "null");
	doc_field(&sb, &first, "counts");
	add_counts(&sb, counts);
	doc_field(&sb, &first, "total");
	strbuf_addf(&sb, "%zu", n);
	doc_field(&sb, &first, "failed");
	strbuf_addf(&sb, "%zu", failed);
	doc_field(&sb, &first, "unattributed");
	add_raw_array(&sb, m->unattributed_json, NULL);
	doc_open_records(&sb);
	for (size_t i = 0; i < n; i++) {
		doc_record_sep(&sb, i);
		report_record_json(&sb, &recs[i]);
	}
	doc_close(&sb, n);
	rc = sr_write_file_atomic(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return rc;
}

/* ---- XML ---- */

static bool xml_char_ok(uint32_t cp)
{
	return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
	       (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

static uint32_t utf8_decode(const unsigned char *s, size_t k)
{
	static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = s[0] & lead_mask[k];

	for (size_t i = 1; i < k; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* s as text XML 1.0 accepts: valid UTF-8 (invalid bytes become U+FFFD),
 * characters outside the XML Char production dropped. */
static void xml_clean(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);

	while (s < end) {
		size_t k = json_utf8_len(s, end);
		if (!k) {
			strbuf_addstr(sb, "\xef\xbf\xbd");
			s++;
			continue;
		}
		if (xml_char_ok(utf8_decode(s, k)))
			strbuf_add(sb, s, k);
		s += k;
	}
}

/* Escaped for character data (attr false) or a double-quoted attribute. */
static void xml_add(struct strbuf *sb, const char *s, const char *tok, bool attr)
{
	struct strbuf clean = STRBUF_INIT;
	char *red = redact(s ? s : "", tok);

	xml_clean(&clean, red);
	free(red);
	for (size_t i = 0; i < clean.len; i++) {
		char c = clean.buf[i];
		switch (c) {
		case '&':
			strbuf_addstr(sb, "&amp;");
			break;
		case '<':
			strbuf_addstr(sb, "&lt;");
			break;
		case '>':
			strbuf_addstr(sb, "&gt;");
			break;
		case '"':
			strbuf_addstr(sb, attr ? "&quot;" : "\"");
			break;
		case '\'':
			strbuf_addstr(sb, attr ? "&apos;" : "'");
			break;
		case '\r':
			strbuf_addstr(sb, "&#13;");
			break;
		case '\n':
			strbuf_addstr(sb, attr ? "&#10;" : "\n");
			break;
		case '\t':
			strbuf_addstr(sb, attr ? "&#9;" : "\t");
			break;
		default:
			strbuf_addch(sb, c);
		}
	}
	strbuf_release(&clean);
}

/* A CDATA section; "]]>" inside s is split across two sections, and line
 * ends become "\n" as an XML parser would read them anyway. */
static void xml_cdata(struct strbuf *sb, const char *s, const char *tok)
{
	struct strbuf clean = STRBUF_INIT;
	char *red = redact(s, tok);
	const char *p, *hit;
	size_t j = 0;

	xml_clean(&clean, red);
	free(red);
	for (size_t i = 0; i < clean.len; i++) {
		if (clean.buf[i] == '\r' && i + 1 < clean.len && clean.buf[i + 1] == '\n')
			continue;
		clean.buf[j++] = clean.buf[i] == '\r' ? '\n' : clean.buf[i];
	}
	if (clean.buf) {
		clean.len = j;
		clean.buf[j] = '\0';
	}
	strbuf_addstr(sb, "<![CDATA[");
	for (p = strbuf_str(&clean); (hit = strstr(p, "]]>")); p = hit + 3) {
		strbuf_add(sb, p, (size_t)(hit - p));
		strbuf_addstr(sb, "]]]]><![CDATA[>");
	}
	strbuf_addstr(sb, p);
	strbuf_addstr(sb, "]]>");
	strbuf_release(&clean);
}

/* "<harness>[<payload>]#<k>" ("[...]" left out for the implicit payload). */
static void run_name(struct strbuf *sb, const struct record *r)
{
	strbuf_addstr(sb, r->harness ? r->harness : "");
	if (r->payload && *r->payload)
		strbuf_addf(sb, "[%s]", r->payload);
	strbuf_addf(sb, "#%u", r->repeat_index + 1);
}

/* The repro argv as one shell-quoted line. */
static void shell_line(struct strbuf *sb, const struct strvec *argv)
{
	for (size_t i = 0; i < argv->nr; i++) {
		const char *a = argv->v[i];
		if (i)
			strbuf_addch(sb, ' ');
		if (*a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789-_./:=@%+,") == strlen(a)) {
			strbuf_addstr(sb, a);
			continue;
		}
		strbuf_addch(sb, '\'');
		for (; *a; a++) {
			if (*a == '\'')
				strbuf_addstr(sb, "'\\''");
			else
				strbuf_addch(sb, *a);
		}
		strbuf_addch(sb, '\'');
	}
}

/* Plain-text details of a run for a JUnit failure or error body. */
static void run_details(struct strbuf *sb, const struct record *r)
{
	if (r->spec_path)
		strbuf_addf(sb, "spec: %s\n", r->spec_path);
	strbuf_addf(sb, "outcome: %s\n", oshow(r->outcome));
	if (oname(r->expected))
		strbuf_addf(sb, "expected: %s\n", oname(r->expected));
	if (r->outcome == OUTCOME_ERROR && r->phase)
		strbuf_addf(sb, "phase: %s\n", r->phase);
	if (r->cause)
		strbuf_addf(sb, "cause: %s\n", r->cause);
	if (r->exit_code != -1)
		strbuf_addf(sb, "exit code: %d\n", r->exit_code);
	if (r->signal)
		strbuf_addf(sb, "signal: %d\n", r->signal);
	if (r->image)
		strbuf_addf(sb, "image: %s%s\n", r->image, r->pinned ? "" : " (not pinned)");
	for (size_t i = 0; i < r->evidence.artifacts.nr; i++)
		strbuf_addf(sb, "artifact: %s\n", r->evidence.artifacts.v[i]);
	if (r->evidence.artifact_dir)
		strbuf_addf(sb, "artifacts copied to: %s\n", r->evidence.artifact_dir);
	if (r->repro.nr) {
		strbuf_addstr(sb, "repro: ");
		shell_line(sb, &r->repro);
		strbuf_addch(sb, '\n');
	}
}

static void xml_property(struct strbuf *sb, const char *name, const char *value)
{
	if (!value)
		return;
	strbuf_addf(sb, "      <property name=\"%s\" value=\"", name);
	xml_add(sb, value, NULL, true);
	strbuf_addstr(sb, "\"/>\n");
}

int report_write_junit(const char *path, const struct run_meta *m, const struct record *recs,
		       size_t n, struct sr_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t failures = 0, errors = 0;
	uint64_t total_ms = 0;
	char ts[64] = "1970-01-01T00:00:00";
	double secs;
	int rc;

	for (size_t i = 0; i < n; i++) {
		total_ms += recs[i].duration_ms;
		if (!record_failed(&recs[i]))
			continue;
		if (recs[i].expected == OUTCOME_NONE)
			errors++;
		else
			failures++;
	}
	secs = m->end_wall_ms > m->start_wall_ms
		   ? (double)(m->end_wall_ms - m->start_wall_ms) / 1000.0
		   : (double)total_ms / 1000.0;
	if (m->start_wall_ms) {
		/* xs:dateTime without zone, as the JUnit schemas want; it is UTC. */
		sr_fmt_time(ts, sizeof(ts), m->start_wall_ms);
		ts[19] = '\0';
	}

	strbuf_addstr(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	strbuf_addf(&sb,
		    "<testsuites name=\"sandrun\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		    "time=\"%.3f\">\n",
		    n, failures, errors, secs);
	strbuf_addf(&sb,
		    "  <testsuite name=\"sandrun\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		    "skipped=\"0\" time=\"%.3f\" timestamp=\"%s\" hostname=\"",
		    n, failures, errors, secs, ts);
	xml_add(&sb, m->host ? m->host : "localhost", NULL, true);
	strbuf_addstr(&sb, "\" id=\"0\" package=\"sandrun\">\n");

	strbuf_addstr(&sb, "    <properties>\n");
	xml_property(&sb, "run_id", m->run_id);
	xml_property(&sb, "sandrun_version", m->tool_version);
	xml_property(&sb, "engine", m->engine);
	xml_property(&sb, "engine_version", m->engine_version);
	xml_property(&sb, "catalogue", m->catalogue_path);
	xml_property(&sb, "catalogue_xxh64", m->catalogue_hash);
	xml_property(&sb, "git_head", m->git_head);
	xml_property(&sb, "interrupted", m->interrupted ? "true" : "false");
	strbuf_addstr(&sb, "    </properties>\n");

	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		const char *tok = r->token;
		struct strbuf name = STRBUF_INIT, det = STRBUF_INIT;

		run_name(&name, r);
		strbuf_addstr(&sb, "    <testcase classname=\"");
		xml_add(&sb, r->harness, tok, true);
		strbuf_addstr(&sb, "\" name=\"");
		xml_add(&sb, name.buf, tok, true);
		/* No file= attribute: the Jenkins xUnit schema rejects it; the spec
		 * path is in the failure text instead. */
		strbuf_addf(&sb, "\" time=\"%.3f\">\n", (double)r->duration_ms / 1000.0);
		if (record_failed(r)) {
			run_details(&det, r);
			if (r->expected != OUTCOME_NONE) {
				strbuf_addf(&sb,
					    "      <failure message=\"expected %s, got %s\" "
					    "type=\"mismatch\">",
					    oshow(r->expected), oshow(r->outcome));
			} else {
				struct strbuf msg = STRBUF_INIT;
				const char *cause = r->cause ? r->cause : "unknown error";
				strbuf_addf(&msg, "%s: %.*s", r->phase ? r->phase : "error",
					    (int)strcspn(cause, "\n"), cause);
				strbuf_addstr(&sb, "      <error message=\"");
				xml_add(&sb, msg.buf, tok, true);
				strbuf_addstr(&sb, "\" type=\"");
				xml_add(&sb, r->phase ? r->phase : "error", NULL, true);
				strbuf_addstr(&sb, "\">");
				strbuf_release(&msg);
			}
			xml_add(&sb, det.buf, tok, false);
			strbuf_addstr(&sb,
				      r->expected != OUTCOME_NONE ? "</failure>\n" : "</error>\n");
		}
		if (r->evidence.stdout_tail && *r->evidence.stdout_tail) {
			strbuf_addstr(&sb, "      <system-out>");
			xml_cdata(&sb, r->evidence.stdout_tail, tok);
			strbuf_addstr(&sb, "</system-out>\n");
		}
		if (r->evidence.stderr_tail && *r->evidence.stderr_tail) {
			strbuf_addstr(&sb, "      <system-err>");
			xml_cdata(&sb, r->evidence.stderr_tail, tok);
			strbuf_addstr(&sb, "</system-err>\n");
		}
		strbuf_addstr(&sb, "    </testcase>\n");
		strbuf_release(&name);
		strbuf_release(&det);
	}
	strbuf_addstr(&sb, "  </testsuite>\n</testsuites>\n");
	rc = sr_write_file_atomic(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return rc;
}

/* ---- SARIF ---- */

/* FNV-1a, 64 bit: stable across runs and machines, no library needed. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ull

/* Percent-encode everything but unreserved characters and '/'. */
static void uri_path(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
			strbuf_addch(sb, (char)c);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

/* The artifactLocation of r's spec: relative to %SRCROOT% (the working
 * directory) when it can be, else an absolute file URI. Every result needs a
 * location, so a record without a spec path points at "<harness>.yaml". */
static void add_spec_location(struct strbuf *sb, const struct record *r, const char *cwd)
{
	struct strbuf uri = STRBUF_INIT, fallback = STRBUF_INIT;
	const char *spec = r->spec_path;
	bool rel = true;

	if (!spec || !*spec) {
		strbuf_addf(&fallback, "%s.yaml",
			    r->harness && *r->harness ? r->harness : "harness");
		spec = fallback.buf;
	}

	if (spec[0] == '/') {
		size_t cl = cwd ? strlen(cwd) : 0;
		if (cl > 1 && !strncmp(spec, cwd, cl) && spec[cl] == '/') {
			spec += cl + 1;
		} else {
			rel = false;
			strbuf_addstr(&uri, "file://");
		}
	}
	while (rel && spec[0] == '.' && spec[1] == '/')
		for (spec += 2; *spec == '/'; spec++)
			;
	uri_path(&uri, spec);
	strbuf_addstr(sb, "{\"uri\": ");
	json_add_str(sb, uri.buf);
	if (rel)
		strbuf_addstr(sb, ", \"uriBaseId\": \"%SRCROOT%\"");
	strbuf_addch(sb, '}');
	strbuf_release(&uri);
	strbuf_release(&fallback);
}

static bool is_finding(const struct record *r)
{
	return r->outcome == OUTCOME_CONFIRMED || r->outcome == OUTCOME_CRASH;
}

/* One reportingDescriptor: a harness, with the texts GitHub shows. */
static void add_rule(struct strbuf *sb, const char *id, const char *spec)
{
	struct strbuf t = STRBUF_INIT;

	strbuf_addstr(sb, "{\"id\": ");
	json_add_str(sb, id);
	strbuf_addf(&t, "sandrun harness %s fired", id);
	strbuf_addstr(sb, ", \"shortDescription\": {\"text\": ");
	json_add_str(sb, t.buf);
	strbuf_reset(&t);
	strbuf_addf(&t,
		    "The sandrun harness %s%s%s%s confirmed its vulnerability or crashed the "
		    "target inside its sandbox.",
		    id, spec ? " (" : "", spec ? spec : "", spec ? ")" : "");
	strbuf_addstr(sb, "}, \"fullDescription\": {\"text\": ");
	json_add_str(sb, t.buf);
	strbuf_reset(&t);
	strbuf_addf(
	    &t, "Run `sandrun run %s` to reproduce; the result's properties carry the evidence.",
	    spec ? spec : id);
	strbuf_addstr(sb, "}, \"help\": {\"text\": ");
	json_add_str(sb, t.buf);
	strbuf_addstr(sb, "}, \"defaultConfiguration\": {\"level\": \"error\"}, "
			  "\"properties\": {\"tags\": [\"security\", \"sandrun\"], "
			  "\"precision\": \"very-high\", \"problem.severity\": \"error\"}}");
	strbuf_release(&t);
}

/* One SARIF result for a confirmed or crash record, under rule index k. */
static void add_result(struct strbuf *sb, const struct record *r, size_t k, const char *run_id,
		       const char *wd)
{
	const char *tok = r->token, *h = r->harness ? r->harness : "";
	const char *p = r->payload ? r->payload : "";
	struct strbuf msg = STRBUF_INIT;
	uint64_t fp;

	strbuf_addstr(sb, "{\"ruleId\": ");
	json_add_str(sb, h);
	strbuf_addf(sb, ", \"ruleIndex\": %zu, \"level\": \"error\", \"message\": {\"text\": ", k);
	strbuf_addstr(&msg, h);
	if (*p)
		strbuf_addf(&msg, " [%s]", p);
	strbuf_addf(&msg, ": %s", oshow(r->outcome));
	if (r->cause && *r->cause)
		strbuf_addf(&msg, ": %s", r->cause);
	add_jstr(sb, msg.buf, tok);
	strbuf_release(&msg);
	strbuf_addstr(sb, "}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": ");
	add_spec_location(sb, r, wd);
	strbuf_addstr(sb, ", \"region\": {\"startLine\": 1}}}]");
	fp = fnv1a(FNV_OFFSET, h, strlen(h) + 1);
	fp = fnv1a(fp, p, strlen(p));
	strbuf_addf(sb, ", \"partialFingerprints\": {\"sandrunRun/v1\": \"%016llx\"}",
		    (unsigned long long)fp);
	strbuf_addstr(sb, ", \"properties\": {\"outcome\": ");
	add_joutcome(sb, r->outcome);
	strbuf_addstr(sb, ", \"expected\": ");
	add_joutcome(sb, r->expected);
	strbuf_addstr(sb, ", \"payload\": ");
	add_jstr(sb, p, tok);
	strbuf_addstr(sb, ", \"image\": ");
	add_jstr(sb, r->image, tok);
	strbuf_addf(sb, ", \"pinned\": %s, \"fired\": \"%u/%u\", \"repeat\": %u", jbool(r->pinned),
		    r->fired, r->runs, r->repeat_index + 1);
	if (r->exit_code != -1)
		strbuf_addf(sb, ", \"exitCode\": %d", r->exit_code);
	if (r->signal)
		strbuf_addf(sb, ", \"signal\": %d", r->signal);
	strbuf_addstr(sb, ", \"artifacts\": ");
	add_jstrvec(sb, &r->evidence.artifacts, tok);
	if (r->evidence.artifact_dir) {
		strbuf_addstr(sb, ", \"artifactDir\": ");
		add_jstr(sb, r->evidence.artifact_dir, tok);
	}
	strbuf_addstr(sb, ", \"runId\": ");
	json_add_str(sb, run_id);
	strbuf_addstr(sb, "}}");
}

int report_write_sarif(const char *path, const struct run_meta *m, const struct record *recs,
		       size_t n, struct sr_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char **rules = NULL;
	size_t nrules = 0, arules = 0, nres = 0;
	char cwd[PATH_MAX];
	const char *wd = getcwd(cwd, sizeof(cwd));
	int rc;

	for (size_t i = 0; i < n; i++) {
		const char *h = recs[i].harness ? recs[i].harness : "";
		size_t k = 0;
		while (k < nrules && strcmp(rules[k], h))
			k++;
		if (k == nrules) {
			SR_GROW(rules, nrules + 1, arules);
			rules[nrules++] = h;
		}
	}

	strbuf_addstr(&sb, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
			   "  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n");
	strbuf_addstr(&sb,
		      "      \"tool\": {\"driver\": {\"name\": \"sandrun\", \"informationUri\": ");
	json_add_str(&sb, SR_INFORMATION_URI);
	strbuf_addstr(&sb, ", \"version\": ");
	json_add_str(&sb, m->tool_version ? m->tool_version : "unknown");
	strbuf_addstr(&sb, ", \"rules\": [");
	for (size_t k = 0; k < nrules; k++) {
		const char *spec = NULL;
		for (size_t i = 0; i < n && !spec; i++)
			if (!strcmp(recs[i].harness ? recs[i].harness : "", rules[k]))
				spec = recs[i].spec_path;
		strbuf_addstr(&sb, k ? ",\n        " : "\n        ");
		add_rule(&sb, rules[k], spec);
	}
	strbuf_addstr(&sb, nrules ? "\n      ]}},\n" : "]}},\n");

	strbuf_addstr(&sb, "      \"invocations\": [{\"executionSuccessful\": ");
	strbuf_addstr(&sb, jbool(!m->interrupted));
	if (m->start_wall_ms) {
		strbuf_addstr(&sb, ", \"startTimeUtc\": ");
		add_time(&sb, m->start_wall_ms);
	}
	if (m->end_wall_ms) {
		strbuf_addstr(&sb, ", \"endTimeUtc\": ");
		add_time(&sb, m->end_wall_ms);
	}
	strbuf_addstr(&sb, "}],\n");
	if (wd && wd[0] == '/') {
		struct strbuf u = STRBUF_INIT;
		strbuf_addstr(&u, "file://");
		uri_path(&u, wd);
		if (u.buf[u.len - 1] != '/')
			strbuf_addch(&u, '/');
		strbuf_addstr(&sb, "      \"originalUriBaseIds\": {\"%SRCROOT%\": {\"uri\": ");
		json_add_str(&sb, u.buf);
		strbuf_addstr(&sb, "}},\n");
		strbuf_release(&u);
	}

	strbuf_addstr(&sb, "      \"results\": [");
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		size_t k = 0;

		if (!is_finding(r))
			continue;
		while (strcmp(rules[k], r->harness ? r->harness : ""))
			k++;
		strbuf_addstr(&sb, nres++ ? ",\n        " : "\n        ");
		add_result(&sb, r, k, m->run_id, wd);
	}
	strbuf_addstr(&sb, nres ? "\n      ]\n    }\n  ]\n}\n" : "]\n    }\n  ]\n}\n");
	free(rules);
	rc = sr_write_file_atomic(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return rc;
}

/* ---- console ---- */

#define C_RESET "\033[0m"
#define C_GREEN "\033[32m"
#define C_RED	"\033[1;31m"
#define C_DIM	"\033[2m"

/* Text safe for a terminal: control characters (C0, DEL and the C1 range,
 * which some terminals obey) become spaces, invalid UTF-8 '?', and at most
 * max bytes are kept. */
static void term_text(struct strbuf *sb, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);
	size_t start = sb->len;

	while (s < end) {
		size_t k = json_utf8_len(s, end);
		uint32_t cp = k ? utf8_decode(s, k) : 0xfffd;
		if (sb->len - start + (k ? k : 1) > max) {
			strbuf_addstr(sb, "...");
			return;
		}
		if (!k) {
			strbuf_addch(sb, '?');
			s++;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			strbuf_addch(sb, ' ');
		else
			strbuf_add(sb, s, k);
		s += k;
	}
}

void report_console_line(FILE *f, const struct record *r, bool color)
{
	struct strbuf line = STRBUF_INIT, name = STRBUF_INIT, why = STRBUF_INIT;
	bool failed = record_failed(r);
	const char *out = oshow(r->outcome);
	char *cause = redact(r->cause, r->token);

	run_name(&name, r);
	if (failed && r->expected != OUTCOME_NONE) {
		strbuf_addf(&why, "expected %s, got %s", oshow(r->expected), out);
		if (cause && *cause)
			strbuf_addf(&why, " (%s)", cause);
	} else if (r->outcome == OUTCOME_ERROR) {
		strbuf_addf(&why, "%s: %s", r->phase ? r->phase : "error",
			    cause && *cause ? cause : "unknown error");
	} else if (cause) {
		strbuf_addstr(&why, cause);
	}
	strbuf_addstr(&line, "  ");
	if (color)
		strbuf_addstr(&line, failed ? C_RED : C_GREEN);
	strbuf_addstr(&line, failed ? "FAIL" : "ok  ");
	if (color)
		strbuf_addstr(&line, C_RESET);
	strbuf_addstr(&line, "  ");
	{
		size_t at = line.len;
		term_text(&line, name.buf, 120);
		while (line.len - at < 28)
			strbuf_addch(&line, ' ');
	}
	strbuf_addf(&line, "  %-13s %7llums  ", out, (unsigned long long)r->duration_ms);
	term_text(&line, why.buf, 240);
	while (line.len && line.buf[line.len - 1] == ' ')
		line.buf[--line.len] = '\0';
	fprintf(f, "%s\n", line.buf);
	free(cause);
	strbuf_release(&line);
	strbuf_release(&name);
	strbuf_release(&why);
}

void report_console_summary(FILE *f, const struct record *recs, size_t n)
{
	size_t counts[NOUTCOMES] = {0}, bad[NOUTCOMES] = {0}, failed = 0, other = 0;

	for (size_t i = 0; i < n; i++) {
		bool fl = record_failed(&recs[i]);
		failed += fl;
		if (oname(recs[i].outcome)) {
			counts[recs[i].outcome]++;
			bad[recs[i].outcome] += fl;
		} else {
			other++;
		}
	}
	fprintf(f, "\n  %-14s %6s %6s %9s\n", "outcome", "runs", "match", "mismatch");
	for (int i = 0; i < NOUTCOMES; i++)
		fprintf(f, "  %-14s %6zu %6zu %9zu\n", outcome_names[i], counts[i],
			counts[i] - bad[i], bad[i]);
	if (other)
		fprintf(f, "  %-14s %6zu\n", "unknown", other);
	fprintf(f, "  %-14s %6zu %6zu %9zu\n", "total", n, n - failed, failed);
	if (!failed)
		return;
	fprintf(f, "\n  failed runs:\n");
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recs[i];
		struct strbuf line = STRBUF_INIT, name = STRBUF_INIT, why = STRBUF_INIT;
		char *cause;

		if (!record_failed(r))
			continue;
		cause = redact(r->cause, r->token);
		run_name(&name, r);
		if (r->expected != OUTCOME_NONE)
			strbuf_addf(&why, "expected %s, got %s", oshow(r->expected),
				    oshow(r->outcome));
		else
			strbuf_addf(&why, "%s: %s", r->phase ? r->phase : "error",
				    cause && *cause ? cause : "unknown error");
		strbuf_addstr(&line, "    ");
		term_text(&line, name.buf, 120);
		strbuf_addstr(&line, "  ");
		term_text(&line, why.buf, 240);
		fprintf(f, "%s\n", line.buf);
		free(cause);
		strbuf_release(&line);
		strbuf_release(&name);
		strbuf_release(&why);
	}
}

/* ---- merge ---- */

static int merr(struct sr_err *err, const char *path, const struct json_value *at, const char *fmt,
		...) SR_PRINTF(4, 5);
static int merr(struct sr_err *err, const char *path, const struct json_value *at, const char *fmt,
		...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	sr_err_set(err, SR_EINVAL, "%s:%u:%u: %s", path, at->line, at->col, strbuf_str(&sb));
	strbuf_release(&sb);
	return SR_EINVAL;
}

/* The member of obj that must exist and be of type t. */
static int need(const struct json_value **out, const char *path, const struct json_value *obj,
		const char *key, enum json_type t, struct sr_err *err)
{
	const struct json_value *v = json_get(obj, key);

	*out = v;
	if (!v)
		return merr(err, path, obj, "missing \"%s\"", key);
	if (v->type != t)
		return merr(err, path, v, "\"%s\" must be %s %s, not %s", key,
			    t == JSON_ARRAY || t == JSON_OBJECT ? "an" : "a", json_type_name(t),
			    json_type_name(v->type));
	return 0;
}

/* An outcome name in v (a JSON string), or null when nullable. */
static int outcome_value(enum outcome *out, const char *path, const struct json_value *v,
			 const char *key, bool nullable, struct sr_err *err)
{
	*out = OUTCOME_NONE;
	if (nullable && v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_STRING)
		return merr(err, path, v, "\"%s\" must be an outcome name", key);
	*out = outcome_of(v->u.str.s, v->u.str.len);
	if (*out == OUTCOME_NONE)
		return merr(err, path, v, "unknown outcome in \"%s\"", key);
	return 0;
}

struct merge_state {
	size_t counts[NOUTCOMES];
	size_t total, failed;
	const struct json_value *started, *finished; /* earliest / latest strings */
	bool interrupted;
	struct strbuf unattributed; /* comma-separated serialized elements */
	struct strbuf run_ids;	    /* comma-separated serialized strings */
};

static int merge_one(struct merge_state *st, const char *path, const struct json_value *doc,
		     struct sr_err *err)
{
	const struct json_value *run, *recs, *v;

	if (doc->type != JSON_OBJECT)
		return merr(err, path, doc, "a report must be an object, not %s",
			    json_type_name(doc->type));
	if (need(&run, path, doc, "run", JSON_OBJECT, err) < 0 ||
	    need(&recs, path, doc, "records", JSON_ARRAY, err) < 0)
		return SR_EINVAL;

	if ((v = json_get(run, "merged_from")) && v->type != JSON_NULL) {
		if (v->type != JSON_ARRAY)
			return merr(err, path, v, "\"merged_from\" must be an array");
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (v->u.arr.v[i]->type != JSON_STRING)
				return merr(err, path, v->u.arr.v[i],
					    "\"merged_from\" must hold run ids");
			if (st->run_ids.len)
				strbuf_addstr(&st->run_ids, ", ");
			json_serialize(&st->run_ids, v->u.arr.v[i]);
		}
	} else {
		if (need(&v, path, run, "run_id", JSON_STRING, err) < 0)
			return SR_EINVAL;
		if (st->run_ids.len)
			strbuf_addstr(&st->run_ids, ", ");
		json_serialize(&st->run_ids, v);
	}
	if ((v = json_get(run, "started")) && v->type == JSON_STRING &&
	    (!st->started || strcmp(v->u.str.s, st->started->u.str.s) < 0))
		st->started = v;
	if ((v = json_get(run, "finished")) && v->type == JSON_STRING &&
	    (!st->finished || strcmp(v->u.str.s, st->finished->u.str.s) > 0))
		st->finished = v;
	if ((v = json_get(run, "interrupted")) && v->type == JSON_BOOL && v->u.b)
		st->interrupted = true;
	if ((v = json_get(run, "unattributed")) && v->type != JSON_NULL) {
		if (v->type != JSON_ARRAY)
			return merr(err, path, v, "\"unattributed\" must be an array");
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (st->unattributed.len)
				strbuf_addch(&st->unattributed, ',');
			json_serialize(&st->unattributed, v->u.arr.v[i]);
		}
	}

	for (size_t i = 0; i < recs->u.arr.n; i++) {
		const struct json_value *rec = recs->u.arr.v[i];
		const struct json_value *o, *e;
		enum outcome out, exp = OUTCOME_NONE;

		if (rec->type != JSON_OBJECT)
			return merr(err, path, rec, "a record must be an object, not %s",
				    json_type_name(rec->type));
		if (!(o = json_get(rec, "outcome")))
			return merr(err, path, rec, "record without \"outcome\"");
		if (outcome_value(&out, path, o, "outcome", false, err) < 0)
			return SR_EINVAL;
		if ((e = json_get(rec, "expected")) &&
		    outcome_value(&exp, path, e, "expected", true, err) < 0)
			return SR_EINVAL;
		st->counts[out]++;
		st->total++;
		st->failed += exp == OUTCOME_NONE ? out == OUTCOME_ERROR : out != exp;
	}
	return 0;
}

enum {
	O_STARTED,
	O_FINISHED,
	O_INTERRUPTED,
	O_SHARD,
	O_COUNTS,
	O_TOTAL,
	O_FAILED,
	O_UNATTRIBUTED,
	O_MERGED_FROM,
	O_N
};
static const char *const override_keys[O_N] = {
    "started", "finished", "interrupted",  "shard",	  "counts",
    "total",   "failed",   "unattributed", "merged_from",
};

static void merge_override(struct strbuf *sb, int which, const struct merge_state *st)
{
	switch (which) {
	case O_STARTED:
		json_serialize(sb, st->started);
		break;
	case O_FINISHED:
		json_serialize(sb, st->finished);
		break;
	case O_INTERRUPTED:
		strbuf_addstr(sb, jbool(st->interrupted));
		break;
	case O_SHARD:
		strbuf_addstr(sb, "null");
		break;
	case O_COUNTS:
		add_counts(sb, st->counts);
		break;
	case O_TOTAL:
		strbuf_addf(sb, "%zu", st->total);
		break;
	case O_FAILED:
		strbuf_addf(sb, "%zu", st->failed);
		break;
	case O_UNATTRIBUTED:
		strbuf_addf(sb, "[%s]", strbuf_str(&st->unattributed));
		break;
	case O_MERGED_FROM:
		strbuf_addf(sb, "[%s]", strbuf_str(&st->run_ids));
		break;
	}
}

static int override_index(const struct json_member *m, const struct merge_state *st)
{
	for (int k = 0; k < O_N; k++) {
		if (strlen(override_keys[k]) != m->key_len ||
		    memcmp(override_keys[k], m->key, m->key_len))
			continue;
		/* Without a timestamp in any input, the first input's value stays. */
		if ((k == O_STARTED && !st->started) || (k == O_FINISHED && !st->finished))
			return -1;
		return k;
	}
	return -1;
}

int report_merge(const char *out_path, const char *const *in_paths, size_t nin, struct sr_err *err)
{
	struct json_value **docs;
	struct merge_state st = {.unattributed = STRBUF_INIT, .run_ids = STRBUF_INIT};
	struct strbuf sb = STRBUF_INIT;
	bool done[O_N] = {false}, first = true;
	const struct json_value *run;
	size_t nrec = 0;
	int rc = 0;

	if (!nin)
		return sr_err_set(err, SR_EINVAL, "report merge: no input reports");
	docs = xcalloc(nin, sizeof(*docs));
	for (size_t i = 0; i < nin && !rc; i++) {
		rc = json_parse_file(&docs[i], in_paths[i], err);
		if (!rc)
			rc = merge_one(&st, in_paths[i], docs[i], err);
	}
	if (rc)
		goto done;

	run = json_get(docs[0], "run");
	doc_open_run(&sb);
	for (size_t i = 0; i < run->u.obj.n; i++) {
		const struct json_member *mb = &run->u.obj.m[i];
		int k = override_index(mb, &st);
		doc_field_sep(&sb, &first);
		json_add_strn(&sb, mb->key, mb->key_len);
		strbuf_addstr(&sb, ": ");
		if (k >= 0) {
			merge_override(&sb, k, &st);
			done[k] = true;
		} else {
			json_serialize(&sb, mb->value);
		}
	}
	for (int k = 0; k < O_N; k++) {
		if (done[k] || (k == O_STARTED && !st.started) || (k == O_FINISHED && !st.finished))
			continue;
		doc_field(&sb, &first, override_keys[k]);
		merge_override(&sb, k, &st);
	}
	doc_open_records(&sb);
	for (size_t i = 0; i < nin; i++) {
		const struct json_value *recs = json_get(docs[i], "records");
		for (size_t j = 0; j < recs->u.arr.n; j++) {
			doc_record_sep(&sb, nrec++);
			json_serialize(&sb, recs->u.arr.v[j]);
		}
	}
	doc_close(&sb, nrec);
	rc = sr_write_file_atomic(out_path, sb.buf, sb.len, err);
done:
	for (size_t i = 0; i < nin; i++)
		json_free(docs[i]);
	free(docs);
	strbuf_release(&sb);
	strbuf_release(&st.unattributed);
	strbuf_release(&st.run_ids);
	return rc;
}
