/* The engine API adapter over libcurl (see engine_api.h). The only file that
 * includes curl/curl.h. */
#include "runner/engine/engine_api.h"

#include "lib/rfc3339.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lib/jsonparse.h"
#include "lib/proc.h"

#define POOL_MAX    16
#define RESP_CAP    (8u << 20) /* a response body larger than this is refused */
#define DEFAULT_CAP (1u << 20)
#define DRAIN_GRACE 10000 /* after a kill or the exit: how long the streams may take */
#define CONNECT_TMO 5000

struct eapi {
	char *socket;
	pthread_mutex_t mu;
	CURL *pool[POOL_MAX];
	size_t npool;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int eapi_default_socket(char **out, bool podman, struct sr_err *err)
{
	const char *host = getenv("DOCKER_HOST");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	*out = NULL;
	if (podman) {
		if (xdg && *xdg) {
			char *p = xasprintf("%s/podman/podman.sock", xdg);
			if (access(p, F_OK) == 0) {
				*out = p;
				return 0;
			}
			free(p);
		}
		*out = xstrdup("/run/podman/podman.sock");
		return 0;
	}
	if (host && *host) {
		if (strncmp(host, "unix://", 7) != 0 || !host[7])
			return sr_err_set(err, SR_EINVAL,
					  "DOCKER_HOST '%s': only unix:// sockets are supported",
					  host);
		*out = xstrdup(host + 7);
		return 0;
	}
	*out = xstrdup("/var/run/docker.sock");
	return 0;
}

int eapi_open(struct eapi **out, const char *socket_path, struct sr_err *err)
{
	struct eapi *e;
	char *def = NULL;
	int rc;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return sr_err_set(err, SR_EFAIL, "cannot initialise libcurl: %s",
				  curl_easy_strerror(global_rc));
	if (!socket_path) {
		rc = eapi_default_socket(&def, false, err);
		if (rc)
			return rc;
		socket_path = def;
	}
	e = xcalloc(1, sizeof(*e));
	e->socket = def ? def : xstrdup(socket_path);
	pthread_mutex_init(&e->mu, NULL);
	*out = e;
	return 0;
}

void eapi_close(struct eapi *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->npool; i++)
		curl_easy_cleanup(e->pool[i]);
	pthread_mutex_destroy(&e->mu);
	free(e->socket);
	free(e);
}

/* Borrow a handle (its kept-alive connection with it) from the pool. */
static CURL *handle_get(struct eapi *e)
{
	CURL *h = NULL;

	pthread_mutex_lock(&e->mu);
	if (e->npool)
		h = e->pool[--e->npool];
	pthread_mutex_unlock(&e->mu);
	if (!h)
		h = curl_easy_init();
	if (!h)
		abort(); /* out of memory, as xmalloc */
	return h;
}

/* curl_easy_reset keeps the live connection: the next borrower reuses it. */
static void handle_put(struct eapi *e, CURL *h)
{
	curl_easy_reset(h);
	pthread_mutex_lock(&e->mu);
	if (e->npool < POOL_MAX) {
		e->pool[e->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&e->mu);
	if (h)
		curl_easy_cleanup(h);
}

struct body_sink {
	struct strbuf *sb;
	bool overflow;
};

static size_t body_write(char *data, size_t size, size_t n, void *ctx)
{
	struct body_sink *s = ctx;

	(void)size; /* always 1 */
	if (s->sb->len + n > RESP_CAP) {
		s->overflow = true;
		return 0;
	}
	strbuf_add(s->sb, data, n);
	return n;
}

/* Options every request shares: socket, URL under the API version, deadline. */
static void handle_setup(CURL *h, struct eapi *e, const char *path, uint64_t timeout_ms,
			 char *errbuf)
{
	char *url = xasprintf("http://localhost/" EAPI_VERSION "%s", path);

	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, e->socket);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url); /* libcurl copies string options */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TMO);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	errbuf[0] = '\0';
}

static bool unreachable(CURLcode c)
{
	return c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST ||
	       c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR || c == CURLE_GOT_NOTHING;
}

/* Map a transfer failure to an error value. */
static int curl_fail(struct eapi *e, CURLcode c, const char *errbuf, const char *what,
		     struct sr_err *err)
{
	const char *why = errbuf && errbuf[0] ? errbuf : curl_easy_strerror(c);

	if (unreachable(c))
		return sr_err_set(err, SR_EENGINE, "cannot reach the engine at '%s' (%s): %s",
				  e->socket, what, why);
	if (c == CURLE_OPERATION_TIMEDOUT)
		return sr_err_set(err, SR_ETIMEOUT, "engine %s: no answer in time: %s", what, why);
	return sr_err_set(err, SR_EFAIL, "engine %s: %s", what, why);
}

/* One request/response. status gets the HTTP status; resp (may be NULL) the
 * body. HTTP errors are not failures here: callers decide per status. */
static int request(struct eapi *e, const char *method, const char *path, const struct strbuf *body,
		   uint64_t timeout_ms, long *status, struct strbuf *resp, struct sr_err *err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct strbuf scratch = STRBUF_INIT;
	struct body_sink sink = {resp ? resp : &scratch, false};
	struct curl_slist *hdrs = NULL;
	CURL *h = handle_get(e);
	CURLcode c;
	int rc = 0;

	handle_setup(h, e, path, timeout_ms, errbuf);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->buf);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	/* No "Expect: 100-continue" round trip on larger bodies. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	c = curl_easy_perform(h);
	if (c == CURLE_WRITE_ERROR && sink.overflow)
		rc = sr_err_set(err, SR_EFAIL, "engine %s %s: response larger than %u bytes",
				method, path, RESP_CAP);
	else if (c != CURLE_OK)
		rc = curl_fail(e, c, errbuf, path, err);
	else
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	handle_put(e, h);
	strbuf_release(&scratch);
	return rc;
}

void eapi_error_message(struct strbuf *out, const char *body, size_t len)
{
	struct json_value *v = NULL;
	const char *m;

	if (json_parse(&v, "engine response", body, len, NULL) == 0 &&
	    (m = json_str(json_get(v, "message"))) != NULL) {
		strbuf_addstr(out, m);
	} else {
		size_t n = len > 512 ? 512 : len;
		strbuf_add(out, body, n);
		sr_rtrim(out);
	}
	json_free(v);
	if (!out->len)
		strbuf_addstr(out, "(no message)");
}

/* SR_EFAIL "<what>: <engine's message> (HTTP <status>)". */
static int http_fail(long status, const struct strbuf *resp, const char *what, struct sr_err *err)
{
	struct strbuf m = STRBUF_INIT;
	int rc;

	eapi_error_message(&m, resp->buf, resp->len);
	rc = sr_err_set(err, SR_EFAIL, "%s: %s (HTTP %ld)", what, m.buf, status);
	strbuf_release(&m);
	return rc;
}

/* Escape a reference or name for a URL path: '/', ':' and '@' stay (the
 * engine routes /images/{name:.*}/json on the raw path). */
static void path_escape(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/:@", c))
			strbuf_addch(out, (char)c);
		else
			strbuf_addf(out, "%%%02X", c);
	}
}

static char *path_of(const char *fmt_pre, const char *name, const char *post)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, fmt_pre);
	path_escape(&sb, name);
	strbuf_addstr(&sb, post);
	return strbuf_detach(&sb, NULL);
}

static int parse_body(struct json_value **out, const struct strbuf *resp, const char *what,
		      struct sr_err *err)
{
	int rc = json_parse(out, "engine response", resp->buf, resp->len, err);
	if (rc)
		return sr_err_set(err, SR_EFAIL, "%s: unreadable engine response: %s", what,
				  err ? err->msg : "");
	return 0;
}

int eapi_version(char **out, struct eapi *e, struct sr_err *err)
{
	struct strbuf resp = STRBUF_INIT;
	struct json_value *v = NULL;
	const char *ver;
	long status = 0;
	int rc;

	*out = NULL;
	rc = request(e, "GET", "/version", NULL, EAPI_TMO_QUICK, &status, &resp, err);
	if (!rc && status != 200)
		rc = http_fail(status, &resp, "version", err);
	if (!rc)
		rc = parse_body(&v, &resp, "version", err);
	if (!rc) {
		ver = json_str(json_get(v, "Version"));
		if (ver)
			*out = xstrdup(ver);
		else
			rc =
			    sr_err_set(err, SR_EFAIL, "version: no Version in the engine's answer");
	}
	json_free(v);
	strbuf_release(&resp);
	return rc;
}

static void add_strv(struct strbuf *sb, char *const *v)
{
	strbuf_addch(sb, '[');
	for (size_t i = 0; v[i]; i++) {
		if (i)
			strbuf_addch(sb, ',');
		json_add_str(sb, v[i]);
	}
	strbuf_addch(sb, ']');
}

static void add_labels(struct strbuf *sb, const struct eapi_label *l, size_t n)
{
	strbuf_addch(sb, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addch(sb, ',');
		json_add_str(sb, l[i].key);
		strbuf_addch(sb, ':');
		json_add_str(sb, l[i].value);
	}
	strbuf_addch(sb, '}');
}

static void add_host_config(struct strbuf *sb, const struct eapi_create_opts *o)
{
	strbuf_addf(sb, "\"HostConfig\":{\"Init\":%s,\"ReadonlyRootfs\":%s",
		    o->init ? "true" : "false", o->read_only ? "true" : "false");
	if (o->cap_drop_all)
		strbuf_addstr(sb, ",\"CapDrop\":[\"ALL\"]");
	if (o->no_new_privileges)
		strbuf_addstr(sb, ",\"SecurityOpt\":[\"no-new-privileges\"]");
	if (o->memory)
		strbuf_addf(sb, ",\"Memory\":%llu", (unsigned long long)o->memory);
	if (o->memory_swap)
		strbuf_addf(sb, ",\"MemorySwap\":%llu", (unsigned long long)o->memory_swap);
	if (o->cpus > 0)
		strbuf_addf(sb, ",\"NanoCpus\":%lld", (long long)(o->cpus * 1e9 + 0.5));
	if (o->pids)
		strbuf_addf(sb, ",\"PidsLimit\":%ld", o->pids);
	if (o->tmp_size)
		strbuf_addf(sb, ",\"Tmpfs\":{\"/tmp\":\"rw,nosuid,nodev,size=%llu,mode=1777\"}",
			    (unsigned long long)o->tmp_size);
	if (o->nmounts) {
		strbuf_addstr(sb, ",\"Mounts\":[");
		for (size_t i = 0; i < o->nmounts; i++) {
			strbuf_addstr(sb, i ? ",{\"Type\":\"bind\",\"Source\":"
					    : "{\"Type\":\"bind\",\"Source\":");
			json_add_str(sb, o->mounts[i].source);
			strbuf_addstr(sb, ",\"Target\":");
			json_add_str(sb, o->mounts[i].target);
			strbuf_addf(sb, ",\"ReadOnly\":%s}",
				    o->mounts[i].readonly ? "true" : "false");
		}
		strbuf_addch(sb, ']');
	}
	if (o->network_mode) {
		strbuf_addstr(sb, ",\"NetworkMode\":");
		json_add_str(sb, o->network_mode);
	}
	if (o->log_none)
		strbuf_addstr(sb, ",\"LogConfig\":{\"Type\":\"none\",\"Config\":{}}");
	if (o->core_ulimit_zero)
		strbuf_addstr(sb, ",\"Ulimits\":[{\"Name\":\"core\",\"Soft\":0,\"Hard\":0}]");
	strbuf_addch(sb, '}');
}

void eapi_create_body(struct strbuf *sb, const struct eapi_create_opts *o)
{
	strbuf_addstr(sb, "{\"Image\":");
	json_add_str(sb, o->image);
	if (o->cmd) {
		strbuf_addstr(sb, ",\"Cmd\":");
		add_strv(sb, o->cmd);
	}
	if (o->entrypoint) {
		strbuf_addstr(sb, ",\"Entrypoint\":");
		add_strv(sb, o->entrypoint);
	}
	if (o->env) {
		strbuf_addstr(sb, ",\"Env\":");
		add_strv(sb, o->env);
	}
	if (o->user) {
		strbuf_addstr(sb, ",\"User\":");
		json_add_str(sb, o->user);
	}
	if (o->working_dir) {
		strbuf_addstr(sb, ",\"WorkingDir\":");
		json_add_str(sb, o->working_dir);
	}
	strbuf_addstr(sb, ",\"Labels\":");
	add_labels(sb, o->labels, o->nlabels);
	strbuf_addstr(sb, ",\"AttachStdin\":false,\"AttachStdout\":true,\"AttachStderr\":true,"
			  "\"OpenStdin\":false,\"StdinOnce\":false,\"Tty\":false,");
	add_host_config(sb, o);
	strbuf_addch(sb, '}');
}

int eapi_create(char **out_id, struct eapi *e, const struct eapi_create_opts *o, struct sr_err *err)
{
	struct strbuf body = STRBUF_INIT, resp = STRBUF_INIT, path = STRBUF_INIT;
	struct json_value *v = NULL;
	const char *id;
	long status = 0;
	int rc;

	*out_id = NULL;
	eapi_create_body(&body, o);
	strbuf_addstr(&path, "/containers/create");
	if (o->name) {
		strbuf_addstr(&path, "?name=");
		path_escape(&path, o->name);
	}
	rc = request(e, "POST", path.buf, &body, EAPI_TMO_CREATE, &status, &resp, err);
	if (!rc && status != 201)
		rc = http_fail(status, &resp, "create container", err);
	if (!rc)
		rc = parse_body(&v, &resp, "create container", err);
	if (!rc) {
		id = json_str(json_get(v, "Id"));
		if (id && *id)
			*out_id = xstrdup(id);
		else
			rc = sr_err_set(err, SR_EFAIL, "create container: no Id in the answer");
	}
	json_free(v);
	strbuf_release(&body);
	strbuf_release(&resp);
	strbuf_release(&path);
	return rc;
}

/* A request whose answer carries nothing but its status: ok_status and
 * also_ok (0: none) are success. */
static int simple_call(struct eapi *e, const char *method, const char *pre, const char *name,
		       const char *post, long ok_status, long also_ok, const char *what,
		       struct sr_err *err)
{
	struct strbuf resp = STRBUF_INIT;
	char *path = path_of(pre, name, post);
	long status = 0;
	int rc = request(e, method, path, NULL, EAPI_TMO_QUICK, &status, &resp, err);

	if (!rc && status != ok_status && status != also_ok)
		rc = http_fail(status, &resp, what, err);
	free(path);
	strbuf_release(&resp);
	return rc;
}

int eapi_start(struct eapi *e, const char *id, struct sr_err *err)
{
	/* 304: already started, which is what was asked. */
	return simple_call(e, "POST", "/containers/", id, "/start", 204, 304, "start container",
			   err);
}

int eapi_kill(struct eapi *e, const char *id, struct sr_err *err)
{
	return simple_call(e, "POST", "/containers/", id, "/kill?signal=KILL", 204, 409,
			   "kill container", err);
}

int eapi_remove(struct eapi *e, const char *id, struct sr_err *err)
{
	return simple_call(e, "DELETE", "/containers/", id, "?force=1&v=1", 204, 404,
			   "remove container", err);
}

int eapi_network_remove(struct eapi *e, const char *name, struct sr_err *err)
{
	return simple_call(e, "DELETE", "/networks/", name, "", 204, 404, "remove network", err);
}

int eapi_parse_wait(int *out_code, const char *body, size_t len, struct sr_err *err)
{
	struct json_value *v = NULL;
	const struct json_value *code;
	const char *msg;
	int rc = 0;

	*out_code = -1;
	if (json_parse(&v, "wait response", body, len, err))
		return sr_err_set(err, SR_EFAIL, "wait: unreadable engine response: %s",
				  err ? err->msg : "");
	msg = json_str(json_get(json_get(v, "Error"), "Message"));
	code = json_get(v, "StatusCode");
	if (msg && *msg)
		rc = sr_err_set(err, SR_EFAIL, "wait: %s", msg);
	else if (!code || code->type != JSON_NUMBER || code->u.num.v < -1 || code->u.num.v > 65535)
		rc = sr_err_set(err, SR_EFAIL, "wait: no StatusCode in the engine's answer");
	else
		*out_code = (int)code->u.num.v;
	json_free(v);
	return rc;
}

int eapi_parse_state(struct engine_state *out, const char *body, size_t len, struct sr_err *err)
{
	struct json_value *v = NULL;
	const struct json_value *st, *code, *b;
	const char *s;
	int64_t t;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	if (json_parse(&v, "inspect response", body, len, err))
		return sr_err_set(err, SR_EFAIL, "inspect: unreadable engine response: %s",
				  err ? err->msg : "");
	st = json_get(v, "State");
	code = json_get(st, "ExitCode");
	if (!st || st->type != JSON_OBJECT || !code || code->type != JSON_NUMBER) {
		rc = sr_err_set(err, SR_EFAIL, "inspect: no State.ExitCode in the engine's answer");
		goto out;
	}
	out->exit_code = (int)code->u.num.v;
	if ((s = json_str(json_get(st, "Status"))) != NULL)
		snprintf(out->status, sizeof(out->status), "%s", s);
	if ((b = json_get(st, "OOMKilled")) && b->type == JSON_BOOL)
		out->oom = b->u.b;
	if ((s = json_str(json_get(st, "Error"))) != NULL)
		snprintf(out->error, sizeof(out->error), "%s", s);
	t = sr_time_parse_ms(json_str(json_get(st, "StartedAt")));
	out->started_ms = t > 0 ? (uint64_t)t : 0;
	t = sr_time_parse_ms(json_str(json_get(st, "FinishedAt")));
	out->finished_ms = t > 0 ? (uint64_t)t : 0;
out:
	json_free(v);
	return rc;
}

int eapi_inspect_state(struct engine_state *out, struct eapi *e, const char *id, struct sr_err *err)
{
	struct strbuf resp = STRBUF_INIT;
	char *path = path_of("/containers/", id, "/json");
	long status = 0;
	int rc = request(e, "GET", path, NULL, EAPI_TMO_QUICK, &status, &resp, err);

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	if (!rc && status != 200)
		rc = http_fail(status, &resp, "inspect container", err);
	if (!rc)
		rc = eapi_parse_state(out, resp.buf, resp.len, err);
	free(path);
	strbuf_release(&resp);
	return rc;
}

int eapi_image_present(bool *out, struct eapi *e, const char *ref, struct sr_err *err)
{
	struct strbuf resp = STRBUF_INIT;
	char *path = path_of("/images/", ref, "/json");
	long status = 0;
	int rc = request(e, "GET", path, NULL, EAPI_TMO_QUICK, &status, &resp, err);

	*out = false;
	if (!rc && status == 200)
		*out = true;
	else if (!rc && status != 404)
		rc = http_fail(status, &resp, "inspect image", err);
	free(path);
	strbuf_release(&resp);
	return rc;
}

int eapi_network_create(char **out_id, struct eapi *e, const char *name, bool internal,
			const struct eapi_label *labels, size_t nlabels, const char *bridge,
			struct sr_err *err)
{
	struct strbuf body = STRBUF_INIT, resp = STRBUF_INIT;
	struct json_value *v = NULL;
	long status = 0;
	int rc;

	if (out_id)
		*out_id = NULL;
	strbuf_addstr(&body, "{\"Name\":");
	json_add_str(&body, name);
	strbuf_addf(&body, ",\"CheckDuplicate\":true,\"Internal\":%s,\"Labels\":",
		    internal ? "true" : "false");
	add_labels(&body, labels, nlabels);
	if (bridge) {
		strbuf_addstr(&body, ",\"Options\":{\"com.docker.network.bridge.name\":");
		json_add_str(&body, bridge);
		strbuf_addch(&body, '}');
	}
	strbuf_addch(&body, '}');
	rc = request(e, "POST", "/networks/create", &body, EAPI_TMO_QUICK, &status, &resp, err);
	if (!rc && status != 201)
		rc = http_fail(status, &resp, "create network", err);
	if (!rc && out_id && !(rc = parse_body(&v, &resp, "create network", err))) {
		const char *id = json_str(json_get(v, "Id"));
		if (id)
			*out_id = xstrdup(id);
		else
			rc = sr_err_set(err, SR_EFAIL, "create network: no Id in the answer");
	}
	json_free(v);
	strbuf_release(&body);
	strbuf_release(&resp);
	return rc;
}

/* ---- the attach stream ---- */

void eapi_demux_init(struct eapi_demux *d, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->cap = cap ? cap : DEFAULT_CAP;
	strbuf_init(&d->out);
	strbuf_init(&d->err);
	strbuf_init(&d->sys);
}

void eapi_demux_feed(struct eapi_demux *d, const char *data, size_t n)
{
	while (n && !d->bad) {
		if (d->hdr_have < 8) {
			size_t k = 8 - d->hdr_have < n ? 8 - d->hdr_have : n;
			memcpy(d->hdr + d->hdr_have, data, k);
			d->hdr_have += k;
			data += k;
			n -= k;
			if (d->hdr_have < 8)
				return;
			d->stream = d->hdr[0];
			d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
				  (uint32_t)d->hdr[6] << 8 | d->hdr[7];
			if (d->stream > 3) {
				d->bad = true;
				return;
			}
			if (!d->left)
				d->hdr_have = 0;
			continue;
		}
		size_t k = d->left < n ? d->left : n;
		if (d->stream == 2) {
			strbuf_add_tail(&d->err, data, k, d->cap);
			d->err_total += k;
		} else if (d->stream == 3) {
			strbuf_add_tail(&d->sys, data, k, 4096);
		} else { /* 1, and 0 which the engine only echoes to a TTY */
			strbuf_add_tail(&d->out, data, k, d->cap);
			d->out_total += k;
		}
		d->left -= (uint32_t)k;
		data += k;
		n -= k;
		if (!d->left)
			d->hdr_have = 0;
	}
	if (d->hdr_have == 8 && !d->left)
		d->hdr_have = 0;
}

void eapi_demux_finish(struct eapi_demux *d)
{
	strbuf_trim_tail(&d->out, d->cap);
	strbuf_trim_tail(&d->err, d->cap);
	strbuf_trim_tail(&d->sys, 4096);
}

void eapi_demux_release(struct eapi_demux *d)
{
	strbuf_release(&d->out);
	strbuf_release(&d->err);
	strbuf_release(&d->sys);
}

/* ---- one run: attach, start, wait ---- */

struct eapi_run {
	struct eapi *e;
	char *id;
	struct eapi_run_opts o;
	CURLM *multi;
	CURL *attach, *wait;
	char attach_errbuf[CURL_ERROR_SIZE], wait_errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs;
	long attach_status; /* 0 until the response headers are complete */
	bool attach_done, wait_done;
	CURLcode attach_rc, wait_rc;
	struct eapi_demux demux;
	struct strbuf attach_body; /* an error response's body */
	struct strbuf wait_body;
	struct body_sink wait_sink;
	uint64_t start_ms;
};

static size_t attach_header(char *data, size_t size, size_t n, void *ctx)
{
	struct eapi_run *r = ctx;
	long code = 0;

	(void)size;
	if (n <= 2 && (n == 1 || data[0] == '\r')) { /* the blank line ends a header block */
		curl_easy_getinfo(r->attach, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200)
			r->attach_status = code;
	}
	return n;
}

static size_t attach_write(char *data, size_t size, size_t n, void *ctx)
{
	struct eapi_run *r = ctx;

	(void)size;
	if (r->attach_status == 200)
		eapi_demux_feed(&r->demux, data, n);
	else if (r->attach_body.len < 4096)
		strbuf_add(&r->attach_body, data, n);
	return n;
}

/* Move finished transfers' results into r. */
static void collect_done(struct eapi_run *r)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(r->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		if (m->easy_handle == r->attach) {
			r->attach_done = true;
			r->attach_rc = m->data.result;
		} else if (m->easy_handle == r->wait) {
			r->wait_done = true;
			r->wait_rc = m->data.result;
		}
	}
}

static int pump(struct eapi_run *r, int wait_ms, struct sr_err *err)
{
	int running;
	CURLMcode mc = curl_multi_perform(r->multi, &running);

	if (mc == CURLM_OK && wait_ms > 0)
		mc = curl_multi_poll(r->multi, NULL, 0, wait_ms, NULL);
	if (mc == CURLM_OK)
		mc = curl_multi_perform(r->multi, &running);
	if (mc != CURLM_OK)
		return sr_err_set(err, SR_EFAIL, "engine stream: %s", curl_multi_strerror(mc));
	collect_done(r);
	return 0;
}

static void run_free(struct eapi_run *r)
{
	if (r->attach) {
		curl_multi_remove_handle(r->multi, r->attach);
		curl_easy_cleanup(r->attach); /* hijacked: its connection is not reusable */
	}
	if (r->wait) {
		curl_multi_remove_handle(r->multi, r->wait);
		handle_put(r->e, r->wait);
	}
	curl_multi_cleanup(r->multi);
	curl_slist_free_all(r->hdrs);
	eapi_demux_release(&r->demux);
	strbuf_release(&r->attach_body);
	strbuf_release(&r->wait_body);
	free(r->id);
	free(r);
}

static void add_attach(struct eapi_run *r)
{
	char *path = path_of("/containers/", r->id, "/attach?stream=1&stdout=1&stderr=1");

	r->attach = curl_easy_init();
	if (!r->attach)
		abort();
	handle_setup(r->attach, r->e, path, 0, r->attach_errbuf);
	free(path);
	curl_easy_setopt(r->attach, CURLOPT_POST, 1L);
	curl_easy_setopt(r->attach, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(r->attach, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(r->attach, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->attach, CURLOPT_HEADERFUNCTION, attach_header);
	curl_easy_setopt(r->attach, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->attach, CURLOPT_WRITEFUNCTION, attach_write);
	curl_easy_setopt(r->attach, CURLOPT_WRITEDATA, r);
	curl_multi_add_handle(r->multi, r->attach);
}

static void add_wait(struct eapi_run *r)
{
	char *path = path_of("/containers/", r->id, "/wait?condition=not-running");

	r->wait = handle_get(r->e);
	handle_setup(r->wait, r->e, path, 0, r->wait_errbuf);
	free(path);
	r->wait_sink.sb = &r->wait_body;
	curl_easy_setopt(r->wait, CURLOPT_POST, 1L);
	curl_easy_setopt(r->wait, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(r->wait, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(r->wait, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->wait, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(r->wait, CURLOPT_WRITEDATA, &r->wait_sink);
	curl_multi_add_handle(r->multi, r->wait);
}

/* Until the attach response's headers are in: then the engine has hooked
 * the streams and start cannot lose output. */
static int await_attached(struct eapi_run *r, struct sr_err *err)
{
	uint64_t deadline = sr_now_ms() + EAPI_TMO_QUICK;
	int rc;

	while (!r->attach_status && !r->attach_done) {
		if (sr_now_ms() >= deadline)
			return sr_err_set(err, SR_ETIMEOUT, "attach '%s': no answer in time",
					  r->id);
		if ((rc = pump(r, 100, err)) != 0)
			return rc;
	}
	if (r->attach_status == 200)
		return 0;
	while (!r->attach_done) { /* an error: read its message */
		if (sr_now_ms() >= deadline)
			return sr_err_set(err, SR_ETIMEOUT, "attach '%s': no answer in time",
					  r->id);
		if ((rc = pump(r, 100, err)) != 0)
			return rc;
	}
	if (r->attach_rc != CURLE_OK)
		return curl_fail(r->e, r->attach_rc, r->attach_errbuf, "attach", err);
	curl_easy_getinfo(r->attach, CURLINFO_RESPONSE_CODE, &r->attach_status);
	return http_fail(r->attach_status, &r->attach_body, "attach container", err);
}

int eapi_run_begin(struct eapi_run **out, struct eapi *e, const char *id,
		   const struct eapi_run_opts *o, struct sr_err *err)
{
	struct eapi_run *r = xcalloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	r->e = e;
	r->id = xstrdup(id);
	r->o = *o;
	r->multi = curl_multi_init();
	if (!r->multi)
		abort();
	r->hdrs = curl_slist_append(NULL, "Expect:");
	eapi_demux_init(&r->demux, o->out_cap);
	strbuf_init(&r->attach_body);
	strbuf_init(&r->wait_body);
	add_attach(r);
	rc = await_attached(r, err);
	if (!rc) {
		r->start_ms = sr_now_ms();
		rc = eapi_start(e, id, err);
	}
	if (rc) {
		run_free(r);
		return rc;
	}
	add_wait(r);
	pump(r, 0, NULL); /* send it now; any error shows again in finish */
	*out = r;
	return 0;
}

/* Kill once (deadline or interruption); the streams then end by themselves. */
static void run_kill(struct eapi_run *r, bool *killed)
{
	struct sr_err kerr = SR_ERR_INIT;

	if (*killed)
		return;
	*killed = true;
	if (eapi_kill(r->e, r->id, &kerr))
		sr_debug("kill '%s': %s", r->id, kerr.msg);
}

static void result_init(struct eapi_run_result *res)
{
	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	strbuf_init(&res->out);
	strbuf_init(&res->err);
}

/* Loop until the wait answered and the stream closed; kills on deadline or
 * interruption, gives up DRAIN_GRACE after the kill or the exit. */
static int run_loop(struct eapi_run *r, struct eapi_run_result *res, struct sr_err *err)
{
	uint64_t deadline = r->o.timeout_ms ? r->start_ms + r->o.timeout_ms : 0;
	uint64_t give_up = 0;
	bool killed = false;
	int rc;

	while (!(r->wait_done && r->attach_done)) {
		uint64_t now = sr_now_ms();
		if (!killed && deadline && now >= deadline) {
			res->timed_out = true;
			run_kill(r, &killed);
		}
		if (!killed && r->o.interruptible && sr_interrupted) {
			res->cancelled = true;
			run_kill(r, &killed);
		}
		if (!give_up && (killed || r->wait_done))
			give_up = now + DRAIN_GRACE;
		if (give_up && now >= give_up)
			break;
		if ((rc = pump(r, 100, err)) != 0)
			return rc;
	}
	if (!r->wait_done)
		return sr_err_set(err, SR_ETIMEOUT, "wait '%s': no exit within %d ms of the kill",
				  r->id, DRAIN_GRACE);
	if (!r->attach_done)
		sr_debug("attach '%s': stream still open after the exit", r->id);
	return 0;
}

int eapi_run_finish(struct eapi_run_result *res, struct eapi_run *r, struct sr_err *err)
{
	long status = 0;
	int rc;

	result_init(res);
	rc = run_loop(r, res, err);
	res->duration_ms = sr_now_ms() - r->start_ms;
	if (!rc && r->wait_rc != CURLE_OK)
		rc = curl_fail(r->e, r->wait_rc, r->wait_errbuf, "wait", err);
	if (!rc) {
		curl_easy_getinfo(r->wait, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200)
			rc = http_fail(status, &r->wait_body, "wait container", err);
	}
	if (!rc)
		rc = eapi_parse_wait(&res->exit_code, r->wait_body.buf, r->wait_body.len, err);
	if (!rc && r->o.check_oom && res->exit_code == 137) {
		struct engine_state st;
		if (eapi_inspect_state(&st, r->e, r->id, err) == 0)
			res->oom_killed = st.oom;
		else
			rc = err ? err->code : SR_EFAIL;
	}
	eapi_demux_finish(&r->demux);
	if (r->demux.sys.len)
		sr_debug("attach '%s': engine says: %s", r->id, r->demux.sys.buf);
	strbuf_release(&res->out);
	strbuf_release(&res->err);
	res->out = r->demux.out;
	res->err = r->demux.err;
	res->out_total = r->demux.out_total;
	res->err_total = r->demux.err_total;
	strbuf_init(&r->demux.out);
	strbuf_init(&r->demux.err);
	run_free(r);
	return rc;
}

void eapi_run_result_release(struct eapi_run_result *res)
{
	strbuf_release(&res->out);
	strbuf_release(&res->err);
}
