/* Report helpers shared by the writers: token redaction, JSON fragments,
 * the JSON report document layout, counts, UTF-8 decoding, run names. */
#include "runner/report/report_int.h"
#include "runner/report/diff.h"
#include "runner/verdict/kofn.h"

#include <string.h>
#include <strings.h>

const char *rep_oname(enum outcome o)
{
	return (int)o >= 0 && (int)o < NOUTCOMES ? outcome_name(o) : NULL;
}

const char *rep_oshow(enum outcome o)
{
	return rep_oname(o) ? rep_oname(o) : "?";
}

enum outcome rep_outcome_of(const char *s, size_t len)
{
	return strlen(s) == len ? outcome_from_name(s) : OUTCOME_NONE;
}

#define REDACTED "<token>"

/* A copy of s with every occurrence of tok, in any letter case (it is hex),
 * replaced by "<token>"; NULL for NULL. tok NULL or empty: a plain copy. */
char *report_redact(const char *s, const char *tok)
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

void rep_redact_tree(struct json_value *v, const char *tok)
{
	switch (v->type) {
	case JSON_STRING:
		redact_bytes(&v->u.str.s, &v->u.str.len, tok);
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->u.arr.n; i++)
			rep_redact_tree(v->u.arr.v[i], tok);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->u.obj.n; i++) {
			struct json_member *m = &v->u.obj.m[i];
			if (redact_bytes(&m->key, &m->key_len, tok))
				unique_key(v, i);
			rep_redact_tree(m->value, tok);
		}
		break;
	default:
		break;
	}
}

/* A JSON string of s with tok redacted, or null. */
void rep_jstr(struct strbuf *sb, const char *s, const char *tok)
{
	char *c = report_redact(s, tok);
	json_add_str(sb, c);
	free(c);
}

void rep_joutcome(struct strbuf *sb, enum outcome o)
{
	json_add_str(sb, rep_oname(o));
}

/* A raw JSON array from another module, re-serialized (compact, one line). */
void rep_raw_array(struct strbuf *sb, const char *json, const char *tok)
{
	struct json_value *v = NULL;

	if (!json) {
		strbuf_addstr(sb, "[]");
		return;
	}
	if (json_parse(&v, "evidence", json, strlen(json), NULL) == 0 && v->type == JSON_ARRAY) {
		rep_redact_tree(v, tok);
		json_serialize(sb, v);
	} else {
		strbuf_addch(sb, '[');
		rep_jstr(sb, json, tok);
		strbuf_addch(sb, ']');
	}
	json_free(v);
}

void rep_jstrvec(struct strbuf *sb, const struct strvec *sv, const char *tok)
{
	strbuf_addch(sb, '[');
	for (size_t i = 0; i < sv->nr; i++) {
		if (i)
			strbuf_addch(sb, ',');
		rep_jstr(sb, sv->v[i], tok);
	}
	strbuf_addch(sb, ']');
}

const char *rep_jbool(bool b)
{
	return b ? "true" : "false";
}

void rep_doc_open_run(struct strbuf *sb)
{
	strbuf_addstr(sb, "{\n  \"run\": {");
}

void rep_doc_field_sep(struct strbuf *sb, bool *first)
{
	strbuf_addstr(sb, *first ? "\n    " : ",\n    ");
	*first = false;
}

void rep_doc_field(struct strbuf *sb, bool *first, const char *key)
{
	rep_doc_field_sep(sb, first);
	json_add_str(sb, key);
	strbuf_addstr(sb, ": ");
}

void rep_doc_open_records(struct strbuf *sb)
{
	strbuf_addstr(sb, "\n  },\n  \"records\": [");
}

void rep_doc_record_sep(struct strbuf *sb, size_t i)
{
	strbuf_addstr(sb, i ? ",\n    " : "\n    ");
}

void rep_doc_verdicts(struct strbuf *sb, const struct record *recs, size_t n)
{
	rep_doc_verdicts_marked(sb, recs, n, NULL);
}

void rep_doc_verdicts_marked(struct strbuf *sb, const struct record *recs, size_t n,
			     const struct report_diff *base)
{
	struct verdict *v;
	size_t nv;

	verdicts_build(&v, &nv, recs, n, verdict_confirm_of_record, NULL);
	strbuf_addstr(sb, n ? "\n  ],\n  \"verdicts\": [" : "],\n  \"verdicts\": [");
	for (size_t i = 0; i < nv; i++) {
		rep_doc_record_sep(sb, i);
		verdict_json(sb, &v[i]);
		if (base && sb->len && sb->buf[sb->len - 1] == '}') {
			strbuf_setlen(sb, sb->len - 1);
			strbuf_addf(sb, ",\"baseline\":\"%s\"}",
				    report_diff_verdict_state(base, v[i].harness, v[i].payload));
		}
	}
	strbuf_addstr(sb, nv ? "\n  ]\n}\n" : "]\n}\n");
	verdicts_free(v, nv);
}

void rep_time(struct strbuf *sb, uint64_t wall_ms)
{
	char ts[64];

	if (!wall_ms) {
		strbuf_addstr(sb, "null");
		return;
	}
	sr_fmt_time(ts, sizeof(ts), wall_ms);
	json_add_str(sb, ts);
}

void rep_counts(struct strbuf *sb, const size_t counts[NOUTCOMES])
{
	strbuf_addch(sb, '{');
	for (int i = 0; i < NOUTCOMES; i++)
		strbuf_addf(sb, "%s\"%s\": %zu", i ? ", " : "", outcome_name((enum outcome)i),
			    counts[i]);
	strbuf_addch(sb, '}');
}

size_t rep_tally(const struct record *recs, size_t n, size_t counts[NOUTCOMES])
{
	size_t failed = 0;

	for (int i = 0; i < NOUTCOMES; i++)
		counts[i] = 0;
	for (size_t i = 0; i < n; i++) {
		if (rep_oname(recs[i].outcome))
			counts[recs[i].outcome]++;
		failed += record_failed(&recs[i]);
	}
	return failed;
}

uint32_t rep_utf8_decode(const unsigned char *s, size_t k)
{
	static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = s[0] & lead_mask[k];

	for (size_t i = 1; i < k; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* "<harness>[<payload>]#<k>" ("[...]" left out for the implicit payload). */
void rep_run_name(struct strbuf *sb, const struct record *r)
{
	char k[16];

	snprintf(k, sizeof(k), "%u", r->repeat_index + 1);
	record_selector(sb, r->harness, r->payload, k);
}
