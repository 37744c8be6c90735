/* One HTTP exchange with a registry or its token server over libcurl:
 * TLS with the system CAs plus the engine's certs.d/<host>/ convention
 * (every .crt file a CA, a .cert and .key pair a client certificate), a deadline,
 * 429/503 retried after Retry-After a bounded number of times, the headers
 * the registry protocol needs. Private to catalogue/registry.c. No header
 * or body is ever logged (they carry credentials). */
#ifndef SR_REGHTTP_H
#define SR_REGHTTP_H

#include <pthread.h>

#include "lib/util.h"

struct reghttp_cfg {
	char *certs_d;
	uint64_t timeout_ms;
	int retries;
	uint64_t max_wait_ms;
	struct strvec plain_ok; /* hosts allowed plain HTTP besides loopback */
	pthread_mutex_t mu;
	struct tlshost **tls; /* per host: CA blob and client certificate */
	size_t ntls, atls;
	char *sys_ca; /* the system CA bundle's text */
	size_t sys_ca_len;
	bool sys_ca_done;
};

struct reghttp_req {
	const char *method; /* "GET", "HEAD" or "POST" */
	const char *url;
	const char *authz;  /* an Authorization header value, or NULL */
	const char *accept; /* or NULL */
	const char *form;   /* POST body (application/x-www-form-urlencoded) */
};

struct reghttp_resp {
	long status; /* 0 when no answer came */
	int curl_code;
	char errbuf[256]; /* libcurl's reason when no answer came */
	struct strbuf body;
	bool truncated;
	char digest[128], ctype[256], retry_after[128], www[2048];
	int attempts;
};

void reghttp_init(struct reghttp_cfg *c);
void reghttp_release(struct reghttp_cfg *c);
void reghttp_resp_release(struct reghttp_resp *r);

/* Whether host ("host[:port]") may be spoken to in plain HTTP. */
bool reghttp_plain_ok(struct reghttp_cfg *c, const char *host);

/* The host[:port] of an http(s) URL into out. */
void reghttp_url_host(const char *url, char *out, size_t outsz);

/* Percent-encode s (RFC 3986 unreserved kept) onto sb. */
void reghttp_escape(struct strbuf *sb, const char *s);

/* Send q, retrying 429 and 503; resp holds the last answer. 0 when an
 * answer came (any status), SR_EFAIL (transport, TLS: resp->curl_code,
 * err says why) or SR_EINTR. */
int reghttp_do(struct reghttp_cfg *c, const struct reghttp_req *q, struct reghttp_resp *resp,
	       struct sr_err *err);

/* Whether the failure in resp is the TLS handshake of a plain HTTP server. */
bool reghttp_tls_refused(const struct reghttp_resp *resp);

#endif
