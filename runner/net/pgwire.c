#include "runner/net/pgwire.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

static uint32_t be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static uint16_t be16(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint16_t)(u[0] << 8 | u[1]);
}

int pg_parse_startup(struct pg_msg *m, const char *buf, size_t len)
{
	uint32_t n;

	memset(m, 0, sizeof(*m));
	if (len < 4)
		return PROTO_NEED_MORE;
	n = be32(buf);
	if (n < 8 || n > PG_MAX_STARTUP)
		return PROTO_ERROR;
	if (len < n)
		return PROTO_NEED_MORE;
	m->code = be32(buf + 4);
	m->body = buf + 8;
	m->len = n - 8;
	m->consumed = n;
	return PROTO_OK;
}

int pg_parse_message(struct pg_msg *m, const char *buf, size_t len)
{
	uint32_t n;

	memset(m, 0, sizeof(*m));
	if (len < 5)
		return PROTO_NEED_MORE;
	n = be32(buf + 1);
	if (n < 4 || n > PG_MAX_MSG)
		return PROTO_ERROR;
	if (len - 1 < n)
		return PROTO_NEED_MORE;
	m->type = buf[0];
	m->body = buf + 5;
	m->len = n - 4;
	m->consumed = (size_t)n + 1;
	return PROTO_OK;
}

/* A NUL-terminated string at body[*off..len); -1 if the NUL is missing. */
static int get_cstr(const char *body, size_t len, size_t *off, const char **s, size_t *slen)
{
	const char *z;

	if (*off >= len)
		return -1;
	z = memchr(body + *off, '\0', len - *off);
	if (!z)
		return -1;
	*s = body + *off;
	if (slen)
		*slen = (size_t)(z - *s);
	*off = (size_t)(z - body) + 1;
	return 0;
}

static int get16(const char *body, size_t len, size_t *off, uint16_t *v)
{
	if (len - *off < 2)
		return -1;
	*v = be16(body + *off);
	*off += 2;
	return 0;
}

static int get32(const char *body, size_t len, size_t *off, uint32_t *v)
{
	if (len - *off < 4)
		return -1;
	*v = be32(body + *off);
	*off += 4;
	return 0;
}

int pg_decode_startup(struct pg_param *out, size_t max, size_t *n, const char *body, size_t len)
{
	size_t off = 0;

	*n = 0;
	for (;;) {
		const char *k, *v;

		if (off >= len)
			return -1;
		if (body[off] == '\0')
			return off + 1 == len ? 0 : -1;
		if (get_cstr(body, len, &off, &k, NULL) < 0 ||
		    get_cstr(body, len, &off, &v, NULL) < 0)
			return -1;
		if (*n == max)
			return -1;
		out[*n].key = k;
		out[*n].value = v;
		(*n)++;
	}
}

int pg_decode_query(const char **sql, size_t *sql_len, const char *body, size_t len)
{
	size_t off = 0;

	if (get_cstr(body, len, &off, sql, sql_len) < 0 || off != len)
		return -1;
	return 0;
}

int pg_decode_parse(struct pg_parse *p, const char *body, size_t len)
{
	size_t off = 0;

	memset(p, 0, sizeof(*p));
	if (get_cstr(body, len, &off, &p->stmt, NULL) < 0 ||
	    get_cstr(body, len, &off, &p->sql, &p->sql_len) < 0 ||
	    get16(body, len, &off, &p->ntypes) < 0)
		return -1;
	if ((len - off) != (size_t)p->ntypes * 4)
		return -1;
	return 0;
}

int pg_decode_bind(struct pg_bind *b, const char *body, size_t len)
{
	size_t off = 0;

	memset(b, 0, sizeof(*b));
	if (get_cstr(body, len, &off, &b->portal, NULL) < 0 ||
	    get_cstr(body, len, &off, &b->stmt, NULL) < 0 ||
	    get16(body, len, &off, &b->nformats) < 0)
		return -1;
	if ((size_t)b->nformats * 2 > len - off)
		return -1;
	off += (size_t)b->nformats * 2;
	if (get16(body, len, &off, &b->nparams) < 0 || b->nparams > PG_MAX_BIND_PARAMS)
		return -1;
	/* Format codes: none (all text), one for all, or one per parameter. */
	if (b->nformats > 1 && b->nformats != b->nparams)
		return -1;
	for (unsigned i = 0; i < b->nparams; i++) {
		uint32_t vl;

		if (get32(body, len, &off, &vl) < 0)
			return -1;
		if (vl == 0xffffffffu) /* NULL */
			continue;
		if (vl > len - off)
			return -1;
		off += vl;
	}
	if (get16(body, len, &off, &b->nresult_formats) < 0)
		return -1;
	if (len - off != (size_t)b->nresult_formats * 2)
		return -1;
	return 0;
}

int pg_decode_target(char *what, const char **name, const char *body, size_t len)
{
	size_t off = 1;

	if (len < 2 || (body[0] != 'S' && body[0] != 'P'))
		return -1;
	*what = body[0];
	if (get_cstr(body, len, &off, name, NULL) < 0 || off != len)
		return -1;
	return 0;
}

int pg_decode_execute(const char **portal, uint32_t *max_rows, const char *body, size_t len)
{
	size_t off = 0;

	if (get_cstr(body, len, &off, portal, NULL) < 0 || get32(body, len, &off, max_rows) < 0 ||
	    off != len)
		return -1;
	return 0;
}

int pg_decode_password(const char **pw, size_t *pw_len, const char *body, size_t len)
{
	*pw = body;
	*pw_len = len;
	if (len && body[len - 1] == '\0')
		(*pw_len)--;
	return 0;
}

static bool is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80 || c == '$';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* If sql[i] opens a quoted construct or a comment, the index just past it
 * (len when unterminated); otherwise i. Nested block comments as in PG. */
static size_t skip_lexeme(const char *s, size_t len, size_t i)
{
	char c = s[i];

	if (c == '\'') {
		/* E'...' strings take backslash escapes; plain ones do not
		 * (standard_conforming_strings is on). */
		bool esc = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
			   (i == 1 || !is_ident((unsigned char)s[i - 2]));
		size_t j = i + 1;

		while (j < len) {
			if (esc && s[j] == '\\') {
				j += 2;
				continue;
			}
			if (s[j] == '\'') {
				if (j + 1 < len && s[j + 1] == '\'') {
					j += 2;
					continue;
				}
				return j + 1;
			}
			j++;
		}
		return len;
	}
	if (c == '"') {
		size_t j = i + 1;

		while (j < len) {
			if (s[j] == '"') {
				if (j + 1 < len && s[j + 1] == '"') {
					j += 2;
					continue;
				}
				return j + 1;
			}
			j++;
		}
		return len;
	}
	if (c == '-' && i + 1 < len && s[i + 1] == '-') {
		const char *nl = memchr(s + i, '\n', len - i);
		return nl ? (size_t)(nl - s) + 1 : len;
	}
	if (c == '/' && i + 1 < len && s[i + 1] == '*') {
		size_t j = i + 2, depth = 1;

		while (j < len && depth) {
			if (s[j] == '/' && j + 1 < len && s[j + 1] == '*') {
				depth++;
				j += 2;
			} else if (s[j] == '*' && j + 1 < len && s[j + 1] == '/') {
				depth--;
				j += 2;
			} else {
				j++;
			}
		}
		return j > len ? len : j;
	}
	if (c == '$' && (i == 0 || !is_ident((unsigned char)s[i - 1]))) {
		/* $tag$ ... $tag$ where tag is empty or an identifier not starting
		 * with a digit ($1 is a placeholder). */
		size_t j = i + 1;
		const char *close;

		if (j < len && s[j] >= '0' && s[j] <= '9')
			return i;
		while (j < len && s[j] != '$' && is_ident((unsigned char)s[j]))
			j++;
		if (j >= len || s[j] != '$')
			return i;
		j++;
		close = memmem(s + j, len - j, s + i, j - i);
		return close ? (size_t)(close - s) + (j - i) : len;
	}
	return i;
}

bool pg_next_statement(const char *sql, size_t len, size_t *off, size_t *start, size_t *slen)
{
	size_t i = *off, s, e;

	if (i >= len)
		return false;
	s = i;
	while (i < len && sql[i] != ';') {
		size_t j = skip_lexeme(sql, len, i);
		i = j > i ? j : i + 1;
	}
	e = i;
	if (i < len)
		i++; /* the ';' */
	while (s < e && is_space(sql[s]))
		s++;
	while (e > s && is_space(sql[e - 1]))
		e--;
	*start = s;
	*slen = e - s;
	*off = i;
	return true;
}

/* Skip whitespace, comments and opening parentheses. */
static size_t skip_noise(const char *s, size_t len, size_t i)
{
	while (i < len) {
		size_t j;

		if (is_space(s[i]) || s[i] == '(') {
			i++;
			continue;
		}
		if ((s[i] == '-' && i + 1 < len && s[i + 1] == '-') ||
		    (s[i] == '/' && i + 1 < len && s[i + 1] == '*')) {
			j = skip_lexeme(s, len, i);
			i = j;
			continue;
		}
		break;
	}
	return i;
}

/* The keyword at s[*i..), uppercased into kw; empty when none. */
static void next_word(const char *s, size_t len, size_t *i, char *kw, size_t kwsz)
{
	size_t n = 0;

	*i = skip_noise(s, len, *i);
	while (*i < len &&
	       ((s[*i] >= 'a' && s[*i] <= 'z') || (s[*i] >= 'A' && s[*i] <= 'Z') || s[*i] == '_')) {
		char c = s[*i];
		if (n + 1 < kwsz)
			kw[n++] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
		(*i)++;
	}
	kw[n] = '\0';
}

void pg_command_tag(char *out, size_t outsz, const char *stmt, size_t len, bool *returns_rows)
{
	static const char *const rows[] = {"SELECT", "VALUES", "TABLE", "WITH"};
	static const char *const counted[] = {"UPDATE", "DELETE", "MERGE", "MOVE", "COPY"};
	static const char *const skip[] = {"OR",	"REPLACE",  "UNIQUE",	   "TEMP",
					   "TEMPORARY", "UNLOGGED", "CONCURRENTLY"};
	char kw[32], kw2[32];
	size_t i = 0;

	*returns_rows = false;
	out[0] = '\0';
	i = skip_noise(stmt, len, 0);
	if (i >= len)
		return;
	next_word(stmt, len, &i, kw, sizeof(kw));
	if (!kw[0]) {
		/* Not a statement we can name; answer like a query. */
		*returns_rows = true;
		snprintf(out, outsz, "SELECT 0");
		return;
	}
	for (size_t k = 0; k < SR_ARRAY_SIZE(rows); k++)
		if (!strcmp(kw, rows[k])) {
			*returns_rows = true;
			snprintf(out, outsz, "SELECT 0");
			return;
		}
	if (!strcmp(kw, "SHOW") || !strcmp(kw, "EXPLAIN")) {
		*returns_rows = true;
		snprintf(out, outsz, "%s", kw);
		return;
	}
	if (!strcmp(kw, "FETCH")) {
		*returns_rows = true;
		snprintf(out, outsz, "FETCH 0");
		return;
	}
	if (!strcmp(kw, "INSERT")) {
		snprintf(out, outsz, "INSERT 0 0");
		return;
	}
	for (size_t k = 0; k < SR_ARRAY_SIZE(counted); k++)
		if (!strcmp(kw, counted[k])) {
			snprintf(out, outsz, "%s 0", kw);
			return;
		}
	if (!strcmp(kw, "START")) {
		snprintf(out, outsz, "BEGIN");
		return;
	}
	if (!strcmp(kw, "END")) {
		snprintf(out, outsz, "COMMIT");
		return;
	}
	if (!strcmp(kw, "ABORT")) {
		snprintf(out, outsz, "ROLLBACK");
		return;
	}
	if (!strcmp(kw, "CREATE") || !strcmp(kw, "DROP") || !strcmp(kw, "ALTER")) {
		bool again = true;

		while (again) {
			again = false;
			next_word(stmt, len, &i, kw2, sizeof(kw2));
			for (size_t k = 0; k < SR_ARRAY_SIZE(skip) && kw2[0]; k++)
				if (!strcmp(kw2, skip[k]))
					again = true;
		}
		if (kw2[0])
			snprintf(out, outsz, "%s %s", kw, kw2);
		else
			snprintf(out, outsz, "%s", kw);
		return;
	}
	snprintf(out, outsz, "%s", kw);
}

unsigned pg_count_placeholders(const char *sql, size_t len)
{
	unsigned best = 0;
	size_t i = 0;

	while (i < len) {
		size_t j = skip_lexeme(sql, len, i);

		if (j > i) {
			i = j;
			continue;
		}
		if (sql[i] == '$' && (i == 0 || !is_ident((unsigned char)sql[i - 1]))) {
			unsigned v = 0;
			size_t k = i + 1;

			while (k < len && sql[k] >= '0' && sql[k] <= '9') {
				if (v <= PG_MAX_BIND_PARAMS)
					v = v * 10 + (unsigned)(sql[k] - '0');
				k++;
			}
			if (k > i + 1 && v <= PG_MAX_BIND_PARAMS && v > best)
				best = v;
			i = k;
			continue;
		}
		i++;
	}
	return best;
}

static void put32(struct strbuf *out, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};
	strbuf_add(out, b, 4);
}

static void put16(struct strbuf *out, uint16_t v)
{
	unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};
	strbuf_add(out, b, 2);
}

void pg_put_msg(struct strbuf *out, char type, const void *body, size_t len)
{
	strbuf_addch(out, type);
	put32(out, (uint32_t)(len + 4));
	if (len)
		strbuf_add(out, body, len);
}

void pg_put_auth_ok(struct strbuf *out)
{
	static const char zero[4] = {0, 0, 0, 0};
	pg_put_msg(out, 'R', zero, 4);
}

void pg_put_parameter_status(struct strbuf *out, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value);

	strbuf_addch(out, 'S');
	put32(out, (uint32_t)(4 + kl + 1 + vl + 1));
	strbuf_add(out, key, kl + 1);
	strbuf_add(out, value, vl + 1);
}

void pg_put_backend_key(struct strbuf *out, uint32_t pid, uint32_t key)
{
	strbuf_addch(out, 'K');
	put32(out, 12);
	put32(out, pid);
	put32(out, key);
}

void pg_put_ready(struct strbuf *out, char tx_status)
{
	pg_put_msg(out, 'Z', &tx_status, 1);
}

void pg_put_command_complete(struct strbuf *out, const char *tag)
{
	pg_put_msg(out, 'C', tag, strlen(tag) + 1);
}

void pg_put_empty_query(struct strbuf *out)
{
	pg_put_msg(out, 'I', NULL, 0);
}

void pg_put_row_description_empty(struct strbuf *out)
{
	static const char zero[2] = {0, 0};
	pg_put_msg(out, 'T', zero, 2);
}

void pg_put_parameter_description(struct strbuf *out, unsigned nparams, uint32_t type_oid)
{
	if (nparams > PG_MAX_BIND_PARAMS)
		nparams = PG_MAX_BIND_PARAMS;
	strbuf_addch(out, 't');
	put32(out, (uint32_t)(4 + 2 + 4 * nparams));
	put16(out, (uint16_t)nparams);
	for (unsigned i = 0; i < nparams; i++)
		put32(out, type_oid);
}

void pg_put_no_data(struct strbuf *out)
{
	pg_put_msg(out, 'n', NULL, 0);
}

void pg_put_simple(struct strbuf *out, char type)
{
	pg_put_msg(out, type, NULL, 0);
}

void pg_put_error(struct strbuf *out, const char *severity, const char *sqlstate,
		  const char *message)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_addch(&b, 'S');
	strbuf_add(&b, severity, strlen(severity) + 1);
	strbuf_addch(&b, 'V');
	strbuf_add(&b, severity, strlen(severity) + 1);
	strbuf_addch(&b, 'C');
	strbuf_add(&b, sqlstate, strlen(sqlstate) + 1);
	strbuf_addch(&b, 'M');
	strbuf_add(&b, message, strlen(message) + 1);
	strbuf_addch(&b, '\0');
	pg_put_msg(out, 'E', b.buf, b.len);
	strbuf_release(&b);
}

void pg_put_negotiate(struct strbuf *out, uint32_t minor, const char *const *opts, size_t nopts)
{
	struct strbuf b = STRBUF_INIT;

	put32(&b, minor);
	put32(&b, (uint32_t)nopts);
	for (size_t i = 0; i < nopts; i++)
		strbuf_add(&b, opts[i], strlen(opts[i]) + 1);
	pg_put_msg(out, 'v', b.buf, b.len);
	strbuf_release(&b);
}
