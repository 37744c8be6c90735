/* The engine API adapter over libcurl (see engine_api.h): connections,
 * requests and the calls; one run's attach, start and wait are in
 * engine_api_run.c. Only these two files include curl/curl.h. */
#include "runner/engine/engine_api.h"
#include "runner/engine/engine_api_int.h"

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

#define RESP_CAP    (8u << 20) /* a response body larger than this is refused */
#define CONNECT_TMO 5000

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
CURL *eapi_handle_get(struct eapi *e)
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
void eapi_handle_put(struct eapi *e, CURL *h)
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

size_t eapi_body_write(char *data, size_t size, size_t n, void *ctx)
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
void eapi_handle_setup(CURL *h, struct eapi *e, const char *path, uint64_t timeout_ms, char *errbuf)
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
int eapi_curl_fail(struct eapi *e, CURLcode c, const char *errbuf, const char *what,
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
	CURL *h = eapi_handle_get(e);
	CURLcode c;
	int rc = 0;

	eapi_handle_setup(h, e, path, timeout_ms, errbuf);
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
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, eapi_body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	c = curl_easy_perform(h);
	if (c == CURLE_WRITE_ERROR && sink.overflow)
		rc = sr_err_set(err, SR_EFAIL, "engine %s %s: response larger than %u bytes",
				method, path, RESP_CAP);
	else if (c != CURLE_OK)
		rc = eapi_curl_fail(e, c, errbuf, path, err);
	else
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	eapi_handle_put(e, h);
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
int eapi_http_fail(long status, const struct strbuf *resp, const char *what, struct sr_err *err)
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

char *eapi_path_of(const char *fmt_pre, const char *name, const char *post)
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
		rc = eapi_http_fail(status, &resp, "version", err);
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
	if (o->cap_add && o->cap_add[0]) {
		strbuf_addstr(sb, ",\"CapAdd\":");
		add_strv(sb, (char *const *)o->cap_add);
	}
	if (o->no_new_privileges || o->seccomp_json) {
		strbuf_addstr(sb, ",\"SecurityOpt\":[");
		if (o->no_new_privileges)
			strbuf_addstr(sb, o->seccomp_json ? "\"no-new-privileges\","
							  : "\"no-new-privileges\"");
		if (o->seccomp_json) {
			/* The API takes the profile's text, not a path (the CLI
			 * reads the file and sends this). */
			struct strbuf v = STRBUF_INIT;
			strbuf_addf(&v, "seccomp=%s", o->seccomp_json);
			json_add_str(sb, v.buf);
			strbuf_release(&v);
		}
		strbuf_addch(sb, ']');
	}
	if (o->runtime) {
		strbuf_addstr(sb, ",\"Runtime\":");
		json_add_str(sb, o->runtime);
	}
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
		rc = eapi_http_fail(status, &resp, "create container", err);
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
	char *path = eapi_path_of(pre, name, post);
	long status = 0;
	int rc = request(e, method, path, NULL, EAPI_TMO_QUICK, &status, &resp, err);

	if (!rc && status != ok_status && status != also_ok)
		rc = eapi_http_fail(status, &resp, what, err);
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
	char *path = eapi_path_of("/containers/", id, "/json");
	long status = 0;
	int rc = request(e, "GET", path, NULL, EAPI_TMO_QUICK, &status, &resp, err);

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	if (!rc && status != 200)
		rc = eapi_http_fail(status, &resp, "inspect container", err);
	if (!rc)
		rc = eapi_parse_state(out, resp.buf, resp.len, err);
	free(path);
	strbuf_release(&resp);
	return rc;
}

int eapi_image_present(bool *out, struct eapi *e, const char *ref, struct sr_err *err)
{
	struct strbuf resp = STRBUF_INIT;
	char *path = eapi_path_of("/images/", ref, "/json");
	long status = 0;
	int rc = request(e, "GET", path, NULL, EAPI_TMO_QUICK, &status, &resp, err);

	*out = false;
	if (!rc && status == 200)
		*out = true;
	else if (!rc && status != 404)
		rc = eapi_http_fail(status, &resp, "inspect image", err);
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
		rc = eapi_http_fail(status, &resp, "create network", err);
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
