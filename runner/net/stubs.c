/* The stub protocols, run on the session's loop thread: HTTP (also the OOB
 * port's HTTP side), redis and PostgreSQL. raw tcp needs no code here. */
#include "runner/net/netint.h"

#include <stdio.h>
#include <string.h>

#include "runner/net/pgwire.h"

#define SUMMARY_MAX 256

/* ---- HTTP ---- */

static bool span_is(struct proto_span s, const char *lit)
{
	return s.len == strlen(lit) && !memcmp(s.p, lit, s.len);
}

static bool expects_continue(const struct http_request *r)
{
	const struct http_header *h = http_find_header(r, "expect");

	return r->minor_version >= 1 && h && h->value.len == 12 &&
	       proto_memcasemem(h->value.p, h->value.len, "100-continue", 12);
}

void serve_http(struct net_session *s, struct conn *c)
{
	struct http_request *r = s->http;

	while (!c->closing && c->in.len && conn_out_pending(c) < CONN_OUT_HIGH) {
		int rc = http_parse_request(r, c->in.buf, c->in.len);
		struct strbuf sum = STRBUF_INIT;
		struct ev_rec *rec;
		bool keep, head;

		if (rc == PROTO_NEED_MORE) {
			/* Clients that wait for 100 Continue would otherwise
			 * sit out their timeout before sending the body. */
			if (r->head_len && !c->sent_continue && expects_continue(r)) {
				strbuf_addstr(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
				c->sent_continue = true;
			}
			return;
		}
		if (rc == PROTO_ERROR) {
			static const char msg[] = "bad request\n";

			conn_record_leftover(s, c, "malformed request");
			http_put_response(&c->out, 400, msg, sizeof(msg) - 1, false, false);
			c->closing = true;
			return;
		}
		proto_add_printable(&sum, r->method.p, r->method.len, 32);
		strbuf_addch(&sum, ' ');
		proto_add_printable(&sum, r->target.p, r->target.len, SUMMARY_MAX);
		rec = ev_add(&s->ev, c->stub, "http", c->ip, c->port, sum.buf, c->in.buf,
			     r->consumed);
		ev_done(&s->ev, rec);
		strbuf_release(&sum);

		keep = r->keep_alive && ++c->requests < MAX_REQUESTS;
		head = span_is(r->method, "HEAD");
		if (c->stub < 0) {
			http_put_response(&c->out, 200, "ok", 2, keep, head);
		} else {
			const struct stub_rt *st = &s->stubs[c->stub];
			http_put_response(&c->out, st->status, st->body, st->body_len, keep, head);
		}
		conn_consume(s, c, r->consumed);
		c->sent_continue = false;
		if (!keep)
			c->closing = true;
	}
}

/* ---- redis ---- */

static uint32_t kv_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 16777619u;
	}
	return h;
}

static struct kv_ent **kv_slot(struct kv *kv, struct proto_span key)
{
	struct kv_ent **p = &kv->b[kv_hash(key.p, key.len) % SR_ARRAY_SIZE(kv->b)];

	while (*p && ((*p)->klen != key.len || memcmp((*p)->key, key.p, key.len)))
		p = &(*p)->next;
	return p;
}

static void kv_free_ent(struct kv *kv, struct kv_ent **p)
{
	struct kv_ent *e = *p;

	*p = e->next;
	kv->n--;
	kv->bytes -= e->klen + e->vlen;
	free(e->key);
	free(e->val);
	free(e);
}

/* Returns false when the stub's memory bound would be exceeded. */
static bool kv_set(struct kv *kv, struct proto_span key, const char *val, size_t vlen)
{
	struct kv_ent **p = kv_slot(kv, key), *e = *p;
	size_t old = e ? e->klen + e->vlen : 0;

	if (kv->bytes - old + key.len + vlen > KV_MAX_BYTES || (!e && kv->n >= KV_MAX_KEYS))
		return false;
	if (!e) {
		e = xcalloc(1, sizeof(*e));
		e->key = xstrndup(key.p, key.len);
		e->klen = key.len;
		*p = e;
		kv->n++;
		kv->bytes += key.len;
	} else {
		kv->bytes -= e->vlen;
		free(e->val);
	}
	e->val = xstrndup(val, vlen);
	e->vlen = vlen;
	kv->bytes += vlen;
	return true;
}

void kv_release(struct kv *kv)
{
	for (size_t i = 0; i < SR_ARRAY_SIZE(kv->b); i++)
		while (kv->b[i])
			kv_free_ent(kv, &kv->b[i]);
}

static bool arg_is(struct proto_span a, const char *lit)
{
	size_t n = strlen(lit);

	return a.len == n && proto_memcasemem(a.p, a.len, lit, n) == a.p;
}

/* Parse a signed decimal the way redis does (no spaces, no '+'). */
static bool parse_ll(const char *p, size_t n, long long *out)
{
	long long v = 0;
	size_t i = 0;
	bool neg = false;

	if (n && p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == n || n - i > 18)
		return false;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

static void wrong_args(struct strbuf *out, struct proto_span cmd)
{
	struct strbuf m = STRBUF_INIT;

	strbuf_addstr(&m, "ERR wrong number of arguments for '");
	for (size_t i = 0; i < cmd.len && i < 32; i++) {
		char ch = cmd.p[i];
		strbuf_addch(&m, (ch >= 'A' && ch <= 'Z')   ? (char)(ch + 32)
				 : (ch > 0x20 && ch < 0x7f) ? ch
							    : '?');
	}
	strbuf_addstr(&m, "' command");
	resp_put_error(out, m.buf);
	strbuf_release(&m);
}

/* One function a command; argc >= 1, a[0] is the command's name. */
#define REDIS_CMD(name)                                                                            \
	static void name(struct conn *c, struct kv *kv, const struct proto_span *a, size_t argc)

REDIS_CMD(r_ping)
{
	(void)kv;
	if (argc == 1)
		resp_put_simple(&c->out, "PONG");
	else if (argc == 2)
		resp_put_bulk(&c->out, a[1].p, a[1].len);
	else
		wrong_args(&c->out, a[0]);
}

REDIS_CMD(r_echo)
{
	(void)kv;
	if (argc == 2)
		resp_put_bulk(&c->out, a[1].p, a[1].len);
	else
		wrong_args(&c->out, a[0]);
}

REDIS_CMD(r_set)
{
	if (argc < 3)
		wrong_args(&c->out, a[0]);
	else if (!kv_set(kv, a[1], a[2].p, a[2].len))
		resp_put_error(&c->out, "OOM sandrun stub memory limit reached");
	else
		resp_put_simple(&c->out, "OK");
}

/* GET key, MGET key... */
REDIS_CMD(r_get)
{
	bool multi = arg_is(a[0], "MGET");

	if (multi ? argc < 2 : argc != 2) {
		wrong_args(&c->out, a[0]);
		return;
	}
	if (multi)
		resp_put_array_len(&c->out, argc - 1);
	for (size_t i = 1; i < argc; i++) {
		struct kv_ent *e = *kv_slot(kv, a[i]);
		if (e)
			resp_put_bulk(&c->out, e->val, e->vlen);
		else
			resp_put_null(&c->out);
	}
}

/* DEL, UNLINK, EXISTS: how many of the keys there were (and remove them). */
REDIS_CMD(r_del)
{
	bool del = !arg_is(a[0], "EXISTS");
	long long n = 0;

	if (argc < 2) {
		wrong_args(&c->out, a[0]);
		return;
	}
	for (size_t i = 1; i < argc; i++) {
		struct kv_ent **p = kv_slot(kv, a[i]);
		if (!*p)
			continue;
		n++;
		if (del)
			kv_free_ent(kv, p);
	}
	resp_put_int(&c->out, n);
}

/* INCR, DECR */
REDIS_CMD(r_incr)
{
	struct kv_ent *e;
	long long v = 0;
	char num[32];

	if (argc != 2) {
		wrong_args(&c->out, a[0]);
		return;
	}
	e = *kv_slot(kv, a[1]);
	if (e && !parse_ll(e->val, e->vlen, &v)) {
		resp_put_error(&c->out, "ERR value is not an integer or out of range");
		return;
	}
	v += arg_is(a[0], "INCR") ? 1 : -1;
	snprintf(num, sizeof(num), "%lld", v);
	if (!kv_set(kv, a[1], num, strlen(num)))
		resp_put_error(&c->out, "OOM sandrun stub memory limit reached");
	else
		resp_put_int(&c->out, v);
}

REDIS_CMD(r_command)
{
	(void)kv;
	(void)a;
	(void)argc;
	resp_put_array_len(&c->out, 0);
}

REDIS_CMD(r_hello)
{
	struct strbuf *out = &c->out;

	(void)kv;
	if (argc >= 2 && !arg_is(a[1], "2")) {
		resp_put_error(out, "NOPROTO sandrun's redis stub speaks RESP2 only");
		return;
	}
	/* HELLO's map reply, flattened the RESP2 way. */
	resp_put_array_len(out, 14);
	resp_put_bulk(out, "server", 6);
	resp_put_bulk(out, "redis", 5);
	resp_put_bulk(out, "version", 7);
	resp_put_bulk(out, "7.0.0", 5);
	resp_put_bulk(out, "proto", 5);
	resp_put_int(out, 2);
	resp_put_bulk(out, "id", 2);
	resp_put_int(out, 1);
	resp_put_bulk(out, "mode", 4);
	resp_put_bulk(out, "standalone", 10);
	resp_put_bulk(out, "role", 4);
	resp_put_bulk(out, "master", 6);
	resp_put_bulk(out, "modules", 7);
	resp_put_array_len(out, 0);
}

REDIS_CMD(r_quit)
{
	(void)kv;
	(void)a;
	(void)argc;
	resp_put_simple(&c->out, "OK");
	c->closing = true;
}

static const struct {
	const char *name;
	void (*fn)(struct conn *c, struct kv *kv, const struct proto_span *a, size_t argc);
} redis_cmds[] = {
    {"PING", r_ping}, {"ECHO", r_echo}, {"SET", r_set},		{"GET", r_get},
    {"MGET", r_get},  {"DEL", r_del},	{"UNLINK", r_del},	{"EXISTS", r_del},
    {"INCR", r_incr}, {"DECR", r_incr}, {"COMMAND", r_command}, {"HELLO", r_hello},
    {"QUIT", r_quit},
};

static void redis_exec(struct conn *c, struct kv *kv, const struct resp_cmd *cmd)
{
	for (size_t i = 0; i < SR_ARRAY_SIZE(redis_cmds); i++)
		if (arg_is(cmd->argv[0], redis_cmds[i].name)) {
			redis_cmds[i].fn(c, kv, cmd->argv, cmd->argc);
			return;
		}
	/* Anything else succeeds: the stub is there to be talked to. */
	resp_put_simple(&c->out, "OK");
}

void stub_redis_process(struct net_session *s, struct conn *c)
{
	struct resp_cmd *cmd = s->resp;
	struct stub_rt *st = &s->stubs[c->stub];

	while (!c->closing && c->in.len && conn_out_pending(c) < CONN_OUT_HIGH) {
		int rc = resp_parse(cmd, c->in.buf, c->in.len);

		if (rc == PROTO_NEED_MORE)
			return;
		if (rc == PROTO_ERROR) {
			conn_record_leftover(s, c, "protocol error");
			resp_put_error(&c->out, "ERR Protocol error");
			c->closing = true;
			return;
		}
		if (cmd->argc) {
			struct strbuf text = STRBUF_INIT;
			struct ev_rec *rec;

			resp_cmd_text(&text, cmd, EV_REC_MAX);
			rec = ev_add(&s->ev, c->stub, st->kind_name, c->ip, c->port, NULL, text.buf,
				     text.len);
			ev_done(&s->ev, rec);
			strbuf_release(&text);
			redis_exec(c, &st->kv, cmd);
		}
		conn_consume(s, c, cmd->consumed);
	}
}

/* ---- PostgreSQL ---- */

static void pg_record(struct net_session *s, struct conn *c, const char *what, const char *text,
		      size_t len)
{
	struct ev_rec *rec =
	    ev_add(&s->ev, c->stub, s->stubs[c->stub].kind_name, c->ip, c->port, what, text, len);
	ev_done(&s->ev, rec);
}

static struct pg_named *pg_find(struct pg_named *tab, const char *name)
{
	for (size_t i = 0; i < PG_MAX_NAMED; i++)
		if (tab[i].used && !strncmp(tab[i].name, name, sizeof(tab[i].name) - 1))
			return &tab[i];
	return NULL;
}

/* The slot for name: the existing one (the unnamed one is simply
 * replaced), else a free one; NULL when the table is full. */
static struct pg_named *pg_slot(struct pg_named *tab, const char *name)
{
	struct pg_named *n = pg_find(tab, name);

	for (size_t i = 0; !n && i < PG_MAX_NAMED; i++)
		if (!tab[i].used)
			n = &tab[i];
	if (n) {
		memset(n, 0, sizeof(*n));
		n->used = true;
		snprintf(n->name, sizeof(n->name), "%s", name);
	}
	return n;
}

/* Tag and row-ness of the first statement of sql; "" when it has none. */
static void pg_first_tag(const char *sql, size_t len, char *tag, size_t tagsz, bool *rows)
{
	size_t off = 0, st, sl;

	tag[0] = '\0';
	*rows = false;
	while (pg_next_statement(sql, len, &off, &st, &sl)) {
		pg_command_tag(tag, tagsz, sql + st, sl, rows);
		if (tag[0])
			return;
	}
}

static void pg_simple_query(struct conn *c, const char *sql, size_t len)
{
	size_t off = 0, st, sl;
	bool any = false;

	while (pg_next_statement(sql, len, &off, &st, &sl)) {
		char tag[48];
		bool rows;

		pg_command_tag(tag, sizeof(tag), sql + st, sl, &rows);
		if (!tag[0])
			continue;
		any = true;
		if (rows)
			pg_put_row_description_empty(&c->out);
		pg_put_command_complete(&c->out, tag);
	}
	if (!any)
		pg_put_empty_query(&c->out);
	pg_put_ready(&c->out, 'I');
}

static void pg_fatal(struct conn *c, const char *sqlstate, const char *msg)
{
	pg_put_error(&c->out, "FATAL", sqlstate, msg);
	c->closing = true;
}

/* An error inside the extended protocol: the server skips to the next Sync. */
static void pg_ext_error(struct conn *c, const char *sqlstate, const char *msg)
{
	pg_put_error(&c->out, "ERROR", sqlstate, msg);
	c->pg->skip_to_sync = true;
}

static void pg_startup(struct net_session *s, struct conn *c, const struct pg_msg *m)
{
	struct pg_param params[PG_MAX_PARAMS];
	const char *unknown[PG_MAX_PARAMS];
	const char *user = "sandrun", *app = "";
	size_t n, nunknown = 0;
	struct strbuf text = STRBUF_INIT;
	uint32_t key;

	if (m->code == PG_SSL_REQUEST || m->code == PG_GSSENC_REQUEST) {
		/* No TLS, no GSSAPI: 'N' and the client carries on in clear. */
		if (++c->pg->negotiations > 4) {
			c->closing = true;
			return;
		}
		strbuf_addch(&c->out, 'N');
		return;
	}
	if (m->code == PG_CANCEL_REQUEST) {
		pg_record(s, c, "cancel request", "", 0);
		c->closing = true;
		return;
	}
	if (m->code >> 16 != 3) {
		pg_record(s, c, "unsupported protocol", m->body, m->len);
		pg_fatal(c, "0A000", "unsupported frontend protocol: server supports 3.0");
		return;
	}
	if (pg_decode_startup(params, PG_MAX_PARAMS, &n, m->body, m->len) < 0) {
		pg_record(s, c, "malformed startup", m->body, m->len);
		pg_fatal(c, "08P01", "invalid startup packet layout");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(params[i].key, "_pq_.", 5)) {
			unknown[nunknown++] = params[i].key;
			continue;
		}
		if (!strcmp(params[i].key, "user") && *params[i].value)
			user = params[i].value;
		else if (!strcmp(params[i].key, "application_name"))
			app = params[i].value;
		if (text.len)
			strbuf_addch(&text, ' ');
		strbuf_addf(&text, "%s=%s", params[i].key, params[i].value);
	}
	pg_record(s, c, "startup", text.buf ? text.buf : "", text.len);
	strbuf_release(&text);

	/* Newer clients may ask for 3.x or protocol options: say what we
	 * speak instead of failing them. */
	if ((m->code & 0xffff) || nunknown)
		pg_put_negotiate(&c->out, 0, unknown, nunknown);
	pg_put_auth_ok(&c->out);
	pg_put_parameter_status(&c->out, "application_name", app);
	pg_put_parameter_status(&c->out, "client_encoding", "UTF8");
	pg_put_parameter_status(&c->out, "DateStyle", "ISO, MDY");
	pg_put_parameter_status(&c->out, "integer_datetimes", "on");
	pg_put_parameter_status(&c->out, "IntervalStyle", "postgres");
	pg_put_parameter_status(&c->out, "is_superuser", "off");
	pg_put_parameter_status(&c->out, "server_encoding", "UTF8");
	pg_put_parameter_status(&c->out, "server_version", "15.0");
	pg_put_parameter_status(&c->out, "session_authorization", user);
	pg_put_parameter_status(&c->out, "standard_conforming_strings", "on");
	pg_put_parameter_status(&c->out, "TimeZone", "UTC");
	/* Cancel requests are only recorded, so the key need not be secret. */
	key = (uint32_t)(sr_now_ms() * 2654435761u) ^ s->next_pid;
	pg_put_backend_key(&c->out, s->next_pid++, key);
	pg_put_ready(&c->out, 'I');
	c->pg->ready = true;
}

/* Query: a simple query. */
static void pg_on_query(struct net_session *s, struct conn *c, const struct pg_msg *m)
{
	const char *sql;
	size_t len;

	if (pg_decode_query(&sql, &len, m->body, m->len) < 0) {
		pg_record(s, c, "malformed query", m->body, m->len);
		pg_fatal(c, "08P01", "invalid Query message");
		return;
	}
	pg_record(s, c, "query", sql, len);
	pg_simple_query(c, sql, len);
}

/* Parse: a prepared statement. */
static void pg_on_parse(struct net_session *s, struct conn *c, const struct pg_msg *m)
{
	struct pg_conn *pg = c->pg;
	struct pg_parse p;
	struct pg_named *st;
	unsigned n;

	if (pg_decode_parse(&p, m->body, m->len) < 0) {
		pg_record(s, c, "malformed parse", m->body, m->len);
		pg_ext_error(c, "08P01", "invalid Parse message");
		return;
	}
	pg_record(s, c, "parse", p.sql, p.sql_len);
	if (*p.stmt && pg_find(pg->stmts, p.stmt)) {
		pg_ext_error(c, "42P05", "prepared statement already exists");
		return;
	}
	st = pg_slot(pg->stmts, p.stmt);
	if (!st) {
		pg_ext_error(c, "53000", "too many prepared statements");
		return;
	}
	n = pg_count_placeholders(p.sql, p.sql_len);
	st->nparams = n > p.ntypes ? n : p.ntypes;
	pg_first_tag(p.sql, p.sql_len, st->tag, sizeof(st->tag), &st->rows);
	pg_put_simple(&c->out, '1');
}

/* Bind: a portal of a statement. */
static void pg_on_bind(struct net_session *s, struct conn *c, const struct pg_msg *m)
{
	struct pg_conn *pg = c->pg;
	(void)s;
	struct pg_bind b;
	struct pg_named *st, *po;

	if (pg_decode_bind(&b, m->body, m->len) < 0) {
		pg_ext_error(c, "08P01", "invalid Bind message");
		return;
	}
	st = pg_find(pg->stmts, b.stmt);
	if (!st) {
		pg_ext_error(c, "26000", "prepared statement does not exist");
		return;
	}
	po = pg_slot(pg->portals, b.portal);
	if (!po) {
		pg_ext_error(c, "53000", "too many portals");
		return;
	}
	snprintf(po->tag, sizeof(po->tag), "%s", st->tag);
	po->rows = st->rows;
	pg_put_simple(&c->out, '2');
}

/* Describe a statement or portal. */
static void pg_on_describe(struct net_session *s, struct conn *c, const struct pg_msg *m)
{
	struct pg_conn *pg = c->pg;
	(void)s;
	struct pg_named *t;
	const char *name;
	char what;

	if (pg_decode_target(&what, &name, m->body, m->len) < 0) {
		pg_ext_error(c, "08P01", "invalid Describe message");
		return;
	}
	t = pg_find(what == 'S' ? pg->stmts : pg->portals, name);
	if (!t) {
		pg_ext_error(c, what == 'S' ? "26000" : "34000",
			     what == 'S' ? "prepared statement does not exist"
					 : "portal does not exist");
		return;
	}
	if (what == 'S')
		pg_put_parameter_description(&c->out, t->nparams, 25 /* text */);
	if (t->rows)
		pg_put_row_description_empty(&c->out);
	else
		pg_put_no_data(&c->out);
}

/* Execute a portal. */
static void pg_on_execute(struct net_session *s, struct conn *c, const struct pg_msg *m)
{
	struct pg_conn *pg = c->pg;
	(void)s;
	struct pg_named *po;
	const char *portal;
	uint32_t max_rows;

	if (pg_decode_execute(&portal, &max_rows, m->body, m->len) < 0) {
		pg_ext_error(c, "08P01", "invalid Execute message");
		return;
	}
	po = pg_find(pg->portals, portal);
	if (!po) {
		pg_ext_error(c, "34000", "portal does not exist");
		return;
	}
	if (po->tag[0])
		pg_put_command_complete(&c->out, po->tag);
	else
		pg_put_empty_query(&c->out);
}

/* Close a statement or portal. */
static void pg_on_close(struct net_session *s, struct conn *c, const struct pg_msg *m)
{
	struct pg_conn *pg = c->pg;
	(void)s;
	struct pg_named *t;
	const char *name;
	char what;

	if (pg_decode_target(&what, &name, m->body, m->len) < 0) {
		pg_ext_error(c, "08P01", "invalid Close message");
		return;
	}
	t = pg_find(what == 'S' ? pg->stmts : pg->portals, name);
	if (t)
		t->used = false;
	pg_put_simple(&c->out, '3');
}

static void pg_message(struct net_session *s, struct conn *c, const struct pg_msg *m)
{
	struct pg_conn *pg = c->pg;

	if (pg->skip_to_sync && m->type != 'S' && m->type != 'X')
		return;
	switch (m->type) {
	case 'Q':
		pg_on_query(s, c, m);
		return;
	case 'P':
		pg_on_parse(s, c, m);
		return;
	case 'B':
		pg_on_bind(s, c, m);
		return;
	case 'D':
		pg_on_describe(s, c, m);
		return;
	case 'E':
		pg_on_execute(s, c, m);
		return;
	case 'C':
		pg_on_close(s, c, m);
		return;
	case 'S':
		pg->skip_to_sync = false;
		/* The unnamed portal ends with the implicit transaction. */
		{
			struct pg_named *po = pg_find(pg->portals, "");
			if (po)
				po->used = false;
		}
		pg_put_ready(&c->out, 'I');
		return;
	case 'H':
		return; /* everything is sent as soon as it is produced */
	case 'X':
		c->closing = true;
		return;
	case 'p': {
		const char *pw;
		size_t len;

		pg_decode_password(&pw, &len, m->body, m->len);
		pg_record(s, c, "password", pw, len);
		return;
	}
	case 'F':
		pg_put_error(&c->out, "ERROR", "0A000", "function calls are not supported");
		pg_put_ready(&c->out, 'I');
		return;
	case 'd':
	case 'c':
	case 'f':
		return; /* COPY data outside COPY: ignored like the server does */
	default: {
		char msg[64];

		pg_record(s, c, "unknown message", m->body, m->len);
		snprintf(msg, sizeof(msg), "invalid frontend message type %d",
			 (int)(unsigned char)m->type);
		pg_fatal(c, "08P01", msg);
		return;
	}
	}
}

void stub_sql_process(struct net_session *s, struct conn *c)
{
	while (!c->closing && c->in.len && conn_out_pending(c) < CONN_OUT_HIGH) {
		struct pg_msg m;
		int rc = c->pg->ready ? pg_parse_message(&m, c->in.buf, c->in.len)
				      : pg_parse_startup(&m, c->in.buf, c->in.len);

		if (rc == PROTO_NEED_MORE)
			return;
		if (rc == PROTO_ERROR) {
			conn_record_leftover(s, c, "protocol error");
			if (c->pg->ready)
				pg_fatal(c, "08P01", "invalid message length");
			c->closing = true;
			return;
		}
		if (c->pg->ready)
			pg_message(s, c, &m);
		else
			pg_startup(s, c, &m);
		conn_consume(s, c, m.consumed);
	}
}
