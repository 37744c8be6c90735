/* One run over the engine API: the attach stream's demultiplexer, then
 * attach, start and wait with the output drained concurrently (engine_api.h). */
#include "runner/engine/engine_api.h"
#include "runner/engine/engine_api_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/jsonparse.h"
#include "lib/proc.h"

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
	uint64_t start_ms;   /* when the start request was sent */
	uint64_t running_ms; /* when it returned: the container runs; the deadline's base */
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
		eapi_handle_put(r->e, r->wait);
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
	char *path = eapi_path_of("/containers/", r->id, "/attach?stream=1&stdout=1&stderr=1");

	r->attach = curl_easy_init();
	if (!r->attach)
		abort();
	eapi_handle_setup(r->attach, r->e, path, 0, r->attach_errbuf);
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
	char *path = eapi_path_of("/containers/", r->id, "/wait?condition=not-running");

	r->wait = eapi_handle_get(r->e);
	eapi_handle_setup(r->wait, r->e, path, 0, r->wait_errbuf);
	free(path);
	r->wait_sink.sb = &r->wait_body;
	curl_easy_setopt(r->wait, CURLOPT_POST, 1L);
	curl_easy_setopt(r->wait, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(r->wait, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(r->wait, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->wait, CURLOPT_WRITEFUNCTION, eapi_body_write);
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
		return eapi_curl_fail(r->e, r->attach_rc, r->attach_errbuf, "attach", err);
	curl_easy_getinfo(r->attach, CURLINFO_RESPONSE_CODE, &r->attach_status);
	return eapi_http_fail(r->attach_status, &r->attach_body, "attach container", err);
}

int eapi_run_attach(struct eapi_run **out, struct eapi *e, const char *id,
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
	if ((rc = await_attached(r, err)) != 0) {
		run_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int eapi_run_start(struct eapi_run *r, struct sr_err *err)
{
	int rc;

	r->start_ms = sr_now_ms();
	if ((rc = eapi_start(r->e, r->id, err)) != 0)
		return rc;
	r->running_ms = sr_now_ms();
	add_wait(r);
	pump(r, 0, NULL); /* send it now; any error shows again in finish */
	return 0;
}

void eapi_run_abort(struct eapi_run *r)
{
	if (r)
		run_free(r);
}

int eapi_run_begin(struct eapi_run **out, struct eapi *e, const char *id,
		   const struct eapi_run_opts *o, struct sr_err *err)
{
	int rc = eapi_run_attach(out, e, id, o, err);

	if (!rc && (rc = eapi_run_start(*out, err)) != 0) {
		run_free(*out);
		*out = NULL;
	}
	return rc;
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

/* How long one round may wait: 100 ms, less just before the deadline. */
static int run_slice(uint64_t deadline, bool killed)
{
	uint64_t now = sr_now_ms();

	if (!deadline || killed || deadline <= now || deadline - now >= 100)
		return 100;
	return (int)(deadline - now);
}

/* Loop until the wait answered and the stream closed; kills on deadline or
 * interruption, gives up DRAIN_GRACE after the kill or the exit. */
static int run_loop(struct eapi_run *r, struct eapi_run_result *res, struct sr_err *err)
{
	uint64_t deadline = r->o.timeout_ms ? r->running_ms + r->o.timeout_ms : 0;
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
		if ((rc = pump(r, run_slice(deadline, killed), err)) != 0)
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
		rc = eapi_curl_fail(r->e, r->wait_rc, r->wait_errbuf, "wait", err);
	if (!rc) {
		curl_easy_getinfo(r->wait, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200)
			rc = eapi_http_fail(status, &r->wait_body, "wait container", err);
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
