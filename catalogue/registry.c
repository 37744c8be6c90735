/* Tag resolution over the registry API (registry.h): the authorization
 * flow, manifest requests, the answers of registry_prefetch. */
#include "catalogue/registry.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "catalogue/catalogue.h"
#include "catalogue/imageref.h"
#include "catalogue/regauth.h"
#include "catalogue/reghttp.h"
#include "catalogue/regproto.h"
#include "lib/proc.h"

/* An Authorization value for host (and repo, for a Bearer token). */
struct authz {
	char *key; /* "host repo", or "host *" for Basic (any repo) */
	char *value;
	uint64_t expires_ms; /* 0: never */
};

/* Credentials looked up once per key (a helper runs once per registry). */
struct credent {
	char *key;
	struct reg_cred cred;
	int rc;
	char msg[2048];
};

struct answer {
	char *base, *platform;
	char *digest, *pdigest;
	int rc;
	char msg[2048];
};

/* host -> "https" or "http" once known. */
struct scheme {
	char *host;
	bool plain;
};

struct registry {
	struct reghttp_cfg http;
	int jobs;
	pthread_mutex_t mu;
	struct authz *az;
	size_t naz, aaz;
	struct credent **cr;
	size_t ncr, acr;
	struct scheme *sc;
	size_t nsc, asc;
	struct answer *ans;
	size_t nans;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int registry_new(struct registry **out, const struct registry_opts *o, struct sr_err *err)
{
	struct registry *r = xcalloc(1, sizeof(*r));

	(void)err;
	pthread_once(&curl_once, curl_init_once);
	reghttp_init(&r->http);
	if (o && o->certs_d) {
		free(r->http.certs_d);
		r->http.certs_d = xstrdup(o->certs_d);
	}
	if (o && o->timeout_ms)
		r->http.timeout_ms = o->timeout_ms;
	if (o && o->retries)
		r->http.retries = o->retries < 0 ? 0 : o->retries;
	if (o && o->max_wait_ms)
		r->http.max_wait_ms = o->max_wait_ms;
	for (size_t i = 0; o && i < o->ninsecure; i++)
		strvec_push(&r->http.plain_ok, o->insecure[i]);
	r->jobs = o && o->jobs > 0 ? o->jobs : 4;
	pthread_mutex_init(&r->mu, NULL);
	*out = r;
	return 0;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->naz; i++) {
		free(r->az[i].key);
		explicit_bzero(r->az[i].value, strlen(r->az[i].value));
		free(r->az[i].value);
	}
	for (size_t i = 0; i < r->ncr; i++) {
		free(r->cr[i]->key);
		reg_cred_release(&r->cr[i]->cred);
		free(r->cr[i]);
	}
	for (size_t i = 0; i < r->nsc; i++)
		free(r->sc[i].host);
	for (size_t i = 0; i < r->nans; i++) {
		free(r->ans[i].base);
		free(r->ans[i].platform);
		free(r->ans[i].digest);
		free(r->ans[i].pdigest);
	}
	free(r->az);
	free(r->cr);
	free(r->sc);
	free(r->ans);
	reghttp_release(&r->http);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* The cached Authorization for host and repo (a copy), or NULL. */
static char *authz_get(struct registry *r, const char *host, const char *repo)
{
	char *k1 = xasprintf("%s %s", host, repo), *k2 = xasprintf("%s *", host), *v = NULL;
	uint64_t now = sr_now_ms();

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->naz && !v; i++)
		if ((!strcmp(r->az[i].key, k1) || !strcmp(r->az[i].key, k2)) &&
		    (!r->az[i].expires_ms || r->az[i].expires_ms > now))
			v = xstrdup(r->az[i].value);
	pthread_mutex_unlock(&r->mu);
	free(k1);
	free(k2);
	return v;
}

static void authz_put(struct registry *r, const char *key, const char *value, uint64_t expires)
{
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->naz; i++)
		if (!strcmp(r->az[i].key, key)) {
			explicit_bzero(r->az[i].value, strlen(r->az[i].value));
			free(r->az[i].value);
			r->az[i].value = xstrdup(value);
			r->az[i].expires_ms = expires;
			pthread_mutex_unlock(&r->mu);
			return;
		}
	SR_GROW(r->az, r->naz + 1, r->aaz);
	r->az[r->naz++] = (struct authz){xstrdup(key), xstrdup(value), expires};
	pthread_mutex_unlock(&r->mu);
}

/* The credentials for ref's registry (borrowed; NULL user when none). */
static const struct reg_cred *creds_for(struct registry *r, const struct image_ref *ref,
					struct sr_err *err)
{
	const char *key = image_ref_cred_key(ref);
	struct credent *c = NULL;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->ncr && !c; i++)
		if (!strcmp(r->cr[i]->key, key))
			c = r->cr[i];
	if (!c) {
		struct sr_err e = SR_ERR_INIT;
		c = xcalloc(1, sizeof(*c));
		c->key = xstrdup(key);
		c->rc = regauth_lookup(&c->cred, key, &e);
		snprintf(c->msg, sizeof(c->msg), "%.*s", (int)sizeof(c->msg) - 1, e.msg);
		SR_GROW(r->cr, r->ncr + 1, r->acr);
		r->cr[r->ncr++] = c;
	}
	pthread_mutex_unlock(&r->mu);
	if (c->rc < 0) {
		sr_err_set(err, c->rc, "%s", c->msg);
		return NULL;
	}
	return &c->cred;
}

static bool scheme_plain(struct registry *r, const char *host)
{
	bool plain = false;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->nsc; i++)
		if (!strcmp(r->sc[i].host, host))
			plain = r->sc[i].plain;
	pthread_mutex_unlock(&r->mu);
	return plain;
}

static void scheme_set_plain(struct registry *r, const char *host)
{
	pthread_mutex_lock(&r->mu);
	SR_GROW(r->sc, r->nsc + 1, r->asc);
	r->sc[r->nsc++] = (struct scheme){xstrdup(host), true};
	pthread_mutex_unlock(&r->mu);
}

static void basic_value(struct strbuf *out, const struct reg_cred *c)
{
	struct strbuf up = STRBUF_INIT;

	strbuf_addf(&up, "%s:%s", c->user, c->secret);
	strbuf_addstr(out, "Basic ");
	sr_base64_encode(out, up.buf, up.len);
	explicit_bzero(up.buf, up.len);
	strbuf_release(&up);
}

/* Who the credentials are, for messages: never the secret. */
static void who(char *out, size_t outsz, const struct reg_cred *c)
{
	if (!c || !c->user)
		snprintf(out, outsz, "anonymously (no credentials configured)");
	else if (c->identity)
		snprintf(out, outsz, "with an identity token from %s", c->source);
	else
		snprintf(out, outsz, "as user '%s' (credentials from %s)", c->user, c->source);
}

/* The realm's URL with service and each scope as query parameters. */
static void token_query(struct strbuf *q, const struct reg_challenge *ch, const char *scope)
{
	const char *s = scope;

	if (ch->service[0]) {
		strbuf_addstr(q, "service=");
		reghttp_escape(q, ch->service);
	}
	while (*s) {
		size_t n = strcspn(s, " ");
		char *one = xstrndup(s, n);
		if (n) {
			strbuf_addstr(q, q->len ? "&scope=" : "scope=");
			reghttp_escape(q, one);
		}
		free(one);
		s += n;
		while (*s == ' ')
			s++;
	}
}

/* A Bearer token for scope from the challenge's realm, sent the
 * credentials (Basic, or an identity token as an OAuth2 refresh token). */
static int fetch_token(struct registry *r, const char *host, const struct reg_challenge *ch,
		       const char *scope, const struct reg_cred *c, char **token, long *ttl,
		       struct sr_err *err)
{
	struct strbuf query = STRBUF_INIT, url = STRBUF_INIT, form = STRBUF_INIT,
		      auth = STRBUF_INIT;
	struct reghttp_req q = {0};
	struct reghttp_resp resp = {0};
	char rhost[300], whom[512], etext[256];
	int rc;

	reghttp_url_host(ch->realm, rhost, sizeof(rhost));
	if (strncmp(ch->realm, "https://", 8) &&
	    !(!strncmp(ch->realm, "http://", 7) && reghttp_plain_ok(&r->http, rhost)))
		return sr_err_set(err, SR_EFAIL,
				  "registry %s: its token realm '%s' is not an https:// URL", host,
				  ch->realm);
	token_query(&query, ch, scope);
	strbuf_init(&resp.body);
	if (c && c->user && c->identity) {
		strbuf_addf(&form, "grant_type=refresh_token&client_id=sandrun&%s&refresh_token=",
			    query.buf);
		reghttp_escape(&form, c->secret);
		q = (struct reghttp_req){.method = "POST", .url = ch->realm, .form = form.buf};
	} else {
		strbuf_addf(&url, "%s%c%s", ch->realm, strchr(ch->realm, '?') ? '&' : '?',
			    query.buf);
		if (c && c->user)
			basic_value(&auth, c);
		q = (struct reghttp_req){
		    .method = "GET", .url = url.buf, .authz = auth.len ? auth.buf : NULL};
	}
	rc = reghttp_do(&r->http, &q, &resp, err);
	who(whom, sizeof(whom), c);
	reg_error_text(resp.body.buf, resp.body.len, etext, sizeof(etext));
	if (rc < 0)
		sr_err_wrap(err, "registry %s: token server", host);
	else if (resp.status == 401 || resp.status == 403)
		rc = sr_err_set(err, SR_EFAIL,
				"registry %s: authentication failed: its token server %s refused "
				"access %s (HTTP %ld)%s%s",
				host, rhost, whom, resp.status, etext[0] ? ": " : "", etext);
	else if (resp.status != 200)
		rc = sr_err_set(err, SR_EFAIL, "registry %s: token server %s answered HTTP %ld%s%s",
				host, rhost, resp.status, etext[0] ? ": " : "", etext);
	else if (reg_token_parse(resp.body.buf, resp.body.len, token, ttl) < 0)
		rc = sr_err_set(err, SR_EFAIL, "registry %s: token server %s sent no token", host,
				rhost);
	if (form.len)
		explicit_bzero(form.buf, form.len);
	if (auth.len)
		explicit_bzero(auth.buf, auth.len);
	if (resp.body.len)
		explicit_bzero(resp.body.buf, resp.body.len);
	strbuf_release(&query);
	strbuf_release(&url);
	strbuf_release(&form);
	strbuf_release(&auth);
	reghttp_resp_release(&resp);
	return rc;
}

/* Answer the challenge in resp: a new Authorization value in *value,
 * cached for the next requests to ref's host (and repository). */
static int authorize(struct registry *r, const struct image_ref *ref,
		     const struct reghttp_resp *resp, char **value, struct sr_err *err)
{
	struct reg_challenge ch;
	const struct reg_cred *c;
	struct strbuf v = STRBUF_INIT;
	char *scope, *key, *token = NULL;
	long ttl = 60;
	int rc;

	if (reg_challenge_parse(resp->www, &ch) < 0 ||
	    (strcmp(ch.scheme, "basic") && strcmp(ch.scheme, "bearer")))
		return sr_err_set(err, SR_EFAIL,
				  "registry %s asks for authentication (HTTP 401) with a challenge "
				  "sandrun does not know: '%.60s'",
				  ref->host, resp->www);
	if (!(c = creds_for(r, ref, err)))
		return SR_EFAIL;
	if (!strcmp(ch.scheme, "basic")) {
		if (!c->user)
			return sr_err_set(err, SR_EFAIL,
					  "registry %s asks for a user and password and none are "
					  "configured for '%s' (docker login)",
					  ref->host, image_ref_cred_key(ref));
		basic_value(&v, c);
		key = xasprintf("%s *", ref->host);
		authz_put(r, key, v.buf, 0);
		free(key);
		*value = strbuf_detach(&v, NULL);
		return 0;
	}
	if (!ch.realm[0])
		return sr_err_set(err, SR_EFAIL, "registry %s: its Bearer challenge has no realm",
				  ref->host);
	scope = ch.scope[0] ? xstrdup(ch.scope) : xasprintf("repository:%s:pull", ref->repo);
	rc = fetch_token(r, ref->host, &ch, scope, c, &token, &ttl, err);
	free(scope);
	if (rc < 0)
		return rc;
	strbuf_addf(&v, "Bearer %s", token);
	explicit_bzero(token, strlen(token));
	free(token);
	key = xasprintf("%s %s", ref->host, ref->repo);
	/* Renewed a little before the server's expiry. */
	authz_put(r, key, v.buf, sr_now_ms() + (uint64_t)(ttl > 20 ? ttl - 10 : ttl) * 1000);
	free(key);
	*value = strbuf_detach(&v, NULL);
	return 0;
}

/* One request for /v2/<repo>/manifests/<reference>, plain HTTP when the
 * host refuses TLS and may be spoken to in plain, answering one challenge. */
static int manifest_request(struct registry *r, const struct image_ref *ref, const char *reference,
			    const char *method, struct reghttp_resp *resp, struct sr_err *err)
{
	char *az = authz_get(r, ref->host, ref->repo), *url;
	struct reghttp_req q = {.method = method, .accept = REG_ACCEPT};
	int rc;

	for (int round = 0;; round++) {
		bool plain = scheme_plain(r, ref->host);
		url = xasprintf("%s://%s/v2/%s/manifests/%s", plain ? "http" : "https", ref->host,
				ref->repo, reference);
		q.url = url;
		q.authz = az;
		rc = reghttp_do(&r->http, &q, resp, err);
		sr_debug("%s %s: %s", method, url,
			 rc < 0		? err->msg
			 : resp->status ? "answered"
					: "no answer");
		free(url);
		if (rc < 0 && !plain && reghttp_tls_refused(resp) &&
		    reghttp_plain_ok(&r->http, ref->host) && round < 3) {
			sr_err_clear(err);
			scheme_set_plain(r, ref->host);
			continue;
		}
		if (rc < 0 || resp->status != 401 || round >= 3 || (az && round > 0))
			break;
		if (az) {
			/* A cached token the registry no longer takes: ask anew. */
			explicit_bzero(az, strlen(az));
			free(az);
			az = NULL;
		}
		if ((rc = authorize(r, ref, resp, &az, err)) < 0)
			break;
	}
	if (az) {
		explicit_bzero(az, strlen(az));
		free(az);
	}
	return rc;
}

/* The message for a manifest answer that is not 200. */
static int status_error(struct registry *r, const struct image_ref *ref, const char *reference,
			const struct reghttp_resp *resp, struct sr_err *err)
{
	char etext[256], whom[512];
	struct sr_err cerr = SR_ERR_INIT;
	const struct reg_cred *c;

	reg_error_text(resp->body.buf, resp->body.len, etext, sizeof(etext));
	if (resp->status == 401 || resp->status == 403) {
		c = creds_for(r, ref, &cerr);
		who(whom, sizeof(whom), c);
		return sr_err_set(
		    err, SR_EFAIL, "registry %s: authentication failed for '%s' %s (HTTP %ld)%s%s",
		    ref->host, ref->repo, whom, resp->status, etext[0] ? ": " : "", etext);
	}
	if (resp->status == 404)
		return sr_err_set(err, SR_EFAIL,
				  "registry %s has no manifest '%s:%s' (HTTP 404)%s%s", ref->host,
				  ref->repo, reference, etext[0] ? ": " : "", etext);
	if (resp->status == 429 || resp->status == 503)
		return sr_err_set(err, SR_EFAIL,
				  "registry %s: HTTP %ld for '%s' after %d attempt(s)%s%s%s",
				  ref->host, resp->status, ref->repo, resp->attempts,
				  resp->retry_after[0] ? " (Retry-After: " : "", resp->retry_after,
				  resp->retry_after[0] ? ")" : "");
	return sr_err_set(err, SR_EFAIL, "registry %s answered HTTP %ld for '%s:%s'%s%s", ref->host,
			  resp->status, ref->repo, reference, etext[0] ? ": " : "", etext);
}

/* The digest of the body just fetched, checked against the header. */
static int body_digest(const struct image_ref *ref, const struct reghttp_resp *resp, char out[72],
		       struct sr_err *err)
{
	reg_sha256_digest(resp->body.buf, resp->body.len, out);
	if (resp->digest[0] && !strncmp(resp->digest, "sha256:", 7) && strcmp(resp->digest, out))
		return sr_err_set(err, SR_EFAIL,
				  "registry %s: the manifest of '%s' does not match its "
				  "Docker-Content-Digest (%s, body %s)",
				  ref->host, ref->repo, resp->digest, out);
	return 0;
}

/* The platform's digest from the manifest just fetched: an index's entry,
 * or the manifest itself when the tag names a single-platform image. */
static int platform_from(const struct image_ref *ref, const struct reghttp_resp *resp,
			 const char *digest, const char *platform, char **pd, struct sr_err *err)
{
	struct json_value *root = NULL;
	const char *mt = resp->ctype;
	char *name = xasprintf("%s/%s@%s", ref->host, ref->repo, digest);
	bool index;
	int rc;

	if (json_parse(&root, name, resp->body.buf, resp->body.len, err) < 0) {
		free(name);
		return SR_EFAIL;
	}
	if (json_str(json_get(root, "mediaType")))
		mt = json_str(json_get(root, "mediaType"));
	index = reg_is_index_type(mt) || json_get(root, "manifests");
	json_free(root);
	if (index) {
		rc = reg_index_platform(resp->body.buf, resp->body.len, name, platform, pd, err);
	} else {
		*pd = xstrdup(digest);
		rc = 0;
	}
	free(name);
	return rc;
}

static int resolve_one(struct registry *r, const char *base, const char *platform, char **d,
		       char **pd, struct sr_err *err)
{
	struct image_ref ref;
	struct reghttp_resp resp = {0};
	const char *reference;
	char computed[72];
	bool get = platform && pd;
	int rc;

	if ((rc = image_ref_parse(&ref, base, err)) < 0)
		return rc;
	strbuf_init(&resp.body);
	reference = ref.digest ? ref.digest : ref.tag;
	if (!get && ref.digest) {
		*d = xstrdup(ref.digest);
		goto out;
	}
	/* HEAD first: the header is the answer, and registries do not count a
	 * HEAD against pull rate limits. */
	if (!get) {
		rc = manifest_request(r, &ref, reference, "HEAD", &resp, err);
		if (rc == 0 && resp.status == 200 && cat_digest_valid(resp.digest)) {
			*d = xstrdup(resp.digest);
			goto out;
		}
		if (rc < 0 || (resp.status != 200 && resp.status != 405 && resp.status != 400))
			goto fail;
	}
	rc = manifest_request(r, &ref, reference, "GET", &resp, err);
	if (rc < 0 || resp.status != 200)
		goto fail;
	if ((rc = body_digest(&ref, &resp, computed, err)) < 0)
		goto out;
	*d = xstrdup(computed);
	if (get && (rc = platform_from(&ref, &resp, computed, platform, pd, err)) < 0) {
		free(*d);
		*d = NULL;
	}
	goto out;
fail:
	if (rc == 0)
		rc = status_error(r, &ref, reference, &resp, err);
out:
	reghttp_resp_release(&resp);
	image_ref_release(&ref);
	return rc;
}

static struct answer *answer_find(struct registry *r, const char *base, const char *platform)
{
	for (size_t i = 0; i < r->nans; i++)
		if (!strcmp(r->ans[i].base, base) &&
		    (!platform ? !r->ans[i].platform
			       : r->ans[i].platform && !strcmp(r->ans[i].platform, platform)))
			return &r->ans[i];
	return NULL;
}

int registry_resolve(void *ctx, const char *base, const char *platform, char **digest,
		     char **pdigest, struct sr_err *err)
{
	struct registry *r = ctx;
	struct answer *a = answer_find(r, base, pdigest ? platform : NULL);

	*digest = NULL;
	if (pdigest)
		*pdigest = NULL;
	if (!a)
		return resolve_one(r, base, pdigest ? platform : NULL, digest, pdigest, err);
	if (a->rc < 0)
		return sr_err_set(err, a->rc, "%s", a->msg);
	*digest = xstrdup(a->digest);
	if (pdigest && a->pdigest)
		*pdigest = xstrdup(a->pdigest);
	return 0;
}

int registry_check(void *ctx, const char *refstr, struct sr_err *err)
{
	struct registry *r = ctx;
	struct image_ref ref;
	struct reghttp_resp resp = {0};
	int rc;

	if ((rc = image_ref_parse(&ref, refstr, err)) < 0)
		return rc;
	strbuf_init(&resp.body);
	rc = manifest_request(r, &ref, ref.digest ? ref.digest : ref.tag, "HEAD", &resp, err);
	if (rc == 0 && resp.status != 200)
		rc = status_error(r, &ref, ref.digest ? ref.digest : ref.tag, &resp, err);
	reghttp_resp_release(&resp);
	image_ref_release(&ref);
	return rc;
}

struct pool {
	struct registry *r;
	pthread_mutex_t mu;
	size_t next;
};

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		struct answer *a;
		struct sr_err err = SR_ERR_INIT;
		pthread_mutex_lock(&p->mu);
		a = p->next < p->r->nans ? &p->r->ans[p->next++] : NULL;
		pthread_mutex_unlock(&p->mu);
		if (!a || sr_interrupted)
			return NULL;
		a->rc = resolve_one(p->r, a->base, a->platform, &a->digest,
				    a->platform ? &a->pdigest : NULL, &err);
		snprintf(a->msg, sizeof(a->msg), "%s", err.msg);
	}
}

void registry_prefetch(struct registry *r, const char *const *bases, const char *const *platforms,
		       size_t n)
{
	struct pool p = {.r = r, .next = 0};
	pthread_t th[16];
	size_t nth = 0, start = r->nans;

	r->ans = xrealloc(r->ans, (r->nans + n + 1) * sizeof(*r->ans));
	for (size_t i = 0; i < n; i++) {
		const char *pf = platforms ? platforms[i] : NULL;
		if (answer_find(r, bases[i], pf))
			continue;
		memset(&r->ans[r->nans], 0, sizeof(r->ans[0]));
		r->ans[r->nans].base = xstrdup(bases[i]);
		r->ans[r->nans].platform = pf ? xstrdup(pf) : NULL;
		r->ans[r->nans].rc = SR_EINTR;
		snprintf(r->ans[r->nans].msg, sizeof(r->ans[0].msg), "interrupted");
		r->nans++;
	}
	p.next = start;
	pthread_mutex_init(&p.mu, NULL);
	for (int i = 0; i < r->jobs && i < 16 && nth < r->nans - start; i++)
		if (pthread_create(&th[nth], NULL, worker, &p) == 0)
			nth++;
	if (!nth)
		worker(&p);
	for (size_t i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
}
