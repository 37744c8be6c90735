/* HTTP for the registry client (reghttp.h): the only file under
 * catalogue/ that includes curl/curl.h. */
#include "catalogue/reghttp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <dirent.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "catalogue/imageref.h"
#include "catalogue/regproto.h"
#include "lib/proc.h"
#include "lib/version.h"

#define BODY_CAP	(4u << 20) /* the distribution spec's manifest limit */
#define CONNECT_TMO_MS	10000
#define DEFAULT_CERTS_D "/etc/docker/certs.d"
#define DEFAULT_TMO_MS	30000
#define DEFAULT_RETRIES 3
#define DEFAULT_WAIT_MS 60000

struct tlshost {
	char *host;
	struct strbuf ca; /* empty: libcurl's defaults */
	char *cert, *key;
	bool noverify; /* an insecure registry whose certificate did not verify */
};

void reghttp_init(struct reghttp_cfg *c)
{
	const char *d = getenv("SANDRUN_CERTS_D");

	memset(c, 0, sizeof(*c));
	c->certs_d = xstrdup(d && *d ? d : DEFAULT_CERTS_D);
	c->timeout_ms = DEFAULT_TMO_MS;
	c->retries = DEFAULT_RETRIES;
	c->max_wait_ms = DEFAULT_WAIT_MS;
	pthread_mutex_init(&c->mu, NULL);
}

void reghttp_release(struct reghttp_cfg *c)
{
	for (size_t i = 0; i < c->ntls; i++) {
		free(c->tls[i]->host);
		strbuf_release(&c->tls[i]->ca);
		free(c->tls[i]->cert);
		free(c->tls[i]->key);
		free(c->tls[i]);
	}
	free(c->tls);
	free(c->certs_d);
	free(c->sys_ca);
	strvec_clear(&c->plain_ok);
	pthread_mutex_destroy(&c->mu);
}

void reghttp_resp_release(struct reghttp_resp *r)
{
	strbuf_release(&r->body);
}

/* Whether host ("a.b.c.d[:port]") is in the IPv4 CIDR block cidr. */
static bool in_cidr(const char *host, const char *cidr)
{
	char net[64], h[64];
	unsigned bits;
	struct in_addr a, b;
	uint32_t mask;

	if (sscanf(cidr, "%63[0-9.]/%u", net, &bits) != 2 || bits > 32)
		return false;
	snprintf(h, sizeof(h), "%.*s", (int)strcspn(host, ":"), host);
	if (inet_pton(AF_INET, net, &a) != 1 || inet_pton(AF_INET, h, &b) != 1)
		return false;
	mask = bits ? htonl(~0u << (32 - bits)) : 0;
	return (a.s_addr & mask) == (b.s_addr & mask);
}

bool reghttp_plain_ok(struct reghttp_cfg *c, const char *host)
{
	if (image_host_is_loopback(host))
		return true;
	for (size_t i = 0; i < c->plain_ok.nr; i++)
		if (!strcmp(c->plain_ok.v[i], host) || in_cidr(host, c->plain_ok.v[i]))
			return true;
	return false;
}

void reghttp_url_host(const char *url, char *out, size_t outsz)
{
	const char *s = strstr(url, "://");
	size_t n;

	s = s ? s + 3 : url;
	n = strcspn(s, "/?#");
	snprintf(out, outsz, "%.*s", (int)n, s);
}

void reghttp_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || strchr("-._~", ch))
			strbuf_addch(sb, (char)ch);
		else
			strbuf_addf(sb, "%%%02X", ch);
	}
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && !strcmp(s + n - m, suf);
}

/* The system bundle libcurl would use, read once (certs.d adds to it). */
static void load_sys_ca(struct reghttp_cfg *c)
{
	struct sr_err err = SR_ERR_INIT;
	char *path = NULL;
	CURL *h;

	if (c->sys_ca_done)
		return;
	c->sys_ca_done = true;
	h = curl_easy_init();
	if (h && curl_easy_getinfo(h, CURLINFO_CAINFO, &path) == CURLE_OK && path)
		sr_read_file(path, &c->sys_ca, &c->sys_ca_len, &err);
	if (h)
		curl_easy_cleanup(h);
}

/* certs.d/<host>/: *.crt appended to the system CAs, a *.cert with the
 * *.key of the same name as the client certificate. */
static struct tlshost *tls_for(struct reghttp_cfg *c, const char *host)
{
	struct tlshost *t;
	char *dir;
	DIR *d;
	struct dirent *de;

	for (size_t i = 0; i < c->ntls; i++)
		if (!strcmp(c->tls[i]->host, host))
			return c->tls[i];
	t = xcalloc(1, sizeof(*t));
	t->host = xstrdup(host);
	strbuf_init(&t->ca);
	SR_GROW(c->tls, c->ntls + 1, c->atls);
	c->tls[c->ntls++] = t;
	dir = xasprintf("%s/%s", c->certs_d, host);
	if ((d = opendir(dir))) {
		while ((de = readdir(d))) {
			char *p = xasprintf("%s/%s", dir, de->d_name), *text = NULL;
			size_t len = 0;
			struct sr_err err = SR_ERR_INIT;
			if (has_suffix(de->d_name, ".crt") && !sr_read_file(p, &text, &len, &err)) {
				if (!t->ca.len) {
					load_sys_ca(c);
					if (c->sys_ca)
						strbuf_add(&t->ca, c->sys_ca, c->sys_ca_len);
				}
				strbuf_addch(&t->ca, '\n');
				strbuf_add(&t->ca, text, len);
			} else if (has_suffix(de->d_name, ".cert") && !t->cert) {
				t->cert = xstrdup(p);
				t->key = xasprintf("%.*s.key", (int)(strlen(p) - 5), p);
			}
			free(text);
			free(p);
		}
		closedir(d);
	}
	free(dir);
	return t;
}

static size_t on_body(char *data, size_t sz, size_t n, void *ctx)
{
	struct reghttp_resp *r = ctx;
	size_t len = sz * n;

	if (r->body.len + len > BODY_CAP) {
		r->truncated = true;
		return 0;
	}
	strbuf_add(&r->body, data, len);
	return len;
}

static void header_value(char *out, size_t outsz, const char *v, size_t n)
{
	while (n && isspace((unsigned char)*v))
		v++, n--;
	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	snprintf(out, outsz, "%.*s", (int)n, v);
}

static size_t on_header(char *data, size_t sz, size_t n, void *ctx)
{
	struct reghttp_resp *r = ctx;
	size_t len = sz * n;
	const char *colon = memchr(data, ':', len);
	size_t k = colon ? (size_t)(colon - data) : 0;
	const char *v = colon ? colon + 1 : NULL;
	size_t vn = colon ? len - k - 1 : 0;

	/* A new response (after a redirect or a 100) starts afresh. */
	if (len > 5 && !strncmp(data, "HTTP/", 5)) {
		r->digest[0] = r->ctype[0] = r->retry_after[0] = r->www[0] = 0;
		return len;
	}
	if (!colon)
		return len;
	if (k == 21 && !strncasecmp(data, "Docker-Content-Digest", k))
		header_value(r->digest, sizeof(r->digest), v, vn);
	else if (k == 12 && !strncasecmp(data, "Content-Type", k))
		header_value(r->ctype, sizeof(r->ctype), v, vn);
	else if (k == 11 && !strncasecmp(data, "Retry-After", k))
		header_value(r->retry_after, sizeof(r->retry_after), v, vn);
	else if (k == 16 && !strncasecmp(data, "WWW-Authenticate", k) && !r->www[0])
		header_value(r->www, sizeof(r->www), v, vn);
	return len;
}

static struct curl_slist *headers_for(const struct reghttp_req *q)
{
	struct curl_slist *h = NULL;
	char *line;

	if (q->accept) {
		line = xasprintf("Accept: %s", q->accept);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (q->authz) {
		line = xasprintf("Authorization: %s", q->authz);
		h = curl_slist_append(h, line);
		explicit_bzero(line, strlen(line));
		free(line);
	}
	if (q->form)
		h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
	return curl_slist_append(h, "Expect:");
}

static void setup_tls(struct reghttp_cfg *c, CURL *h, const char *host)
{
	struct tlshost *t;

	pthread_mutex_lock(&c->mu);
	t = tls_for(c, host);
	if (t->ca.len) {
		struct curl_blob blob = {t->ca.buf, t->ca.len, CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (t->cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, t->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, t->key);
	}
	if (t->noverify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	pthread_mutex_unlock(&c->mu);
}

/* As the engine does for an insecure registry (loopback, or named): when
 * its certificate does not verify, speak TLS to it unverified (it could be
 * spoken to in plain HTTP anyway), and say so once. */
static bool tls_relax(struct reghttp_cfg *c, const char *host, int curl_code)
{
	struct tlshost *t;
	bool relax = false;

	if (curl_code != CURLE_PEER_FAILED_VERIFICATION || !reghttp_plain_ok(c, host))
		return false;
	pthread_mutex_lock(&c->mu);
	t = tls_for(c, host);
	if (!t->noverify) {
		t->noverify = relax = true;
		sr_log(
		    "registry %s: its TLS certificate does not verify (no CA in %s/%s/); going on "
		    "unverified, as for an insecure registry",
		    host, c->certs_d, host);
	}
	pthread_mutex_unlock(&c->mu);
	return relax || t->noverify;
}

static int http_once(struct reghttp_cfg *c, const struct reghttp_req *q, struct reghttp_resp *r,
		     struct sr_err *err)
{
	char host[300];
	struct curl_slist *hdrs;
	CURL *h = curl_easy_init();
	CURLcode cc;

	if (!h)
		return sr_err_set(err, SR_EFAIL, "cannot initialise libcurl");
	reghttp_url_host(q->url, host, sizeof(host));
	strbuf_reset(&r->body);
	r->truncated = false;
	r->status = 0;
	r->errbuf[0] = 0;
	hdrs = headers_for(q);
	curl_easy_setopt(h, CURLOPT_URL, q->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(c->timeout_ms < CONNECT_TMO_MS ? c->timeout_ms : CONNECT_TMO_MS));
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Redirects (CDNs) stay on HTTPS; libcurl drops Authorization when one
	 * leaves the host. */
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
			 reghttp_plain_ok(c, host) ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sandrun/" SANDRUN_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (!strcmp(q->method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (!strcmp(q->method, "POST"))
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->form ? q->form : "");
	setup_tls(c, h, host);
	cc = curl_easy_perform(h);
	r->curl_code = (int)cc;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (cc == CURLE_WRITE_ERROR && r->truncated)
		return sr_err_set(err, SR_EFAIL, "%s: the answer is over %u bytes", host, BODY_CAP);
	if (cc != CURLE_OK) {
		r->status = 0;
		return sr_err_set(err, cc == CURLE_OPERATION_TIMEDOUT ? SR_ETIMEOUT : SR_EFAIL,
				  "cannot reach %s: %s", host,
				  r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
	}
	return 0;
}

/* Sleep ms unless interrupted. */
static int pause_ms(uint64_t ms)
{
	uint64_t end = sr_now_ms() + ms;

	while (sr_now_ms() < end) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		if (sr_interrupted)
			return SR_EINTR;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int reghttp_do(struct reghttp_cfg *c, const struct reghttp_req *q, struct reghttp_resp *resp,
	       struct sr_err *err)
{
	char host[300];

	reghttp_url_host(q->url, host, sizeof(host));
	for (int attempt = 0;; attempt++) {
		long long wait;
		int rc = http_once(c, q, resp, err);

		if (rc < 0 && tls_relax(c, host, resp->curl_code) && attempt == 0) {
			sr_err_clear(err);
			rc = http_once(c, q, resp, err);
		}
		resp->attempts = attempt + 1;
		if (rc < 0 || (resp->status != 429 && resp->status != 503))
			return rc;
		if (attempt >= c->retries)
			return 0; /* the caller reports the last status */
		wait = reg_retry_after_ms(resp->retry_after, time(NULL));
		if (wait < 0)
			wait = 1000LL << attempt;
		if ((uint64_t)wait > c->max_wait_ms)
			return 0;
		sr_debug("%s answered %ld: retrying in %lld ms", host, resp->status, wait);
		if (pause_ms((uint64_t)wait) < 0)
			return sr_err_set(err, SR_EINTR, "interrupted");
	}
}

bool reghttp_tls_refused(const struct reghttp_resp *resp)
{
	return resp->curl_code == CURLE_SSL_CONNECT_ERROR;
}
