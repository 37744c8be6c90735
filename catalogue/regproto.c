/* Registry protocol parsing (regproto.h). */
#include "catalogue/regproto.h"
#include "catalogue/catalogue.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/* Copy a token or quoted-string at *p into out; advance *p past it. */
static void take_value(const char **p, char *out, size_t outsz)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			if (n + 1 < outsz)
				out[n++] = *s;
		}
		if (*s == '"')
			s++;
	} else {
		for (; *s && *s != ',' && !isspace((unsigned char)*s); s++)
			if (n + 1 < outsz)
				out[n++] = *s;
	}
	out[n] = 0;
	*p = s;
}

int reg_challenge_parse(const char *hdr, struct reg_challenge *ch)
{
	const char *p = hdr;
	size_t n = 0;

	memset(ch, 0, sizeof(*ch));
	while (isspace((unsigned char)*p))
		p++;
	while (isalpha((unsigned char)*p) && n + 1 < sizeof(ch->scheme))
		ch->scheme[n++] = (char)tolower((unsigned char)*p++);
	if (!n || (*p && !isspace((unsigned char)*p)))
		return SR_EINVAL;
	for (;;) {
		char key[32] = "", val[1024];
		size_t k = 0;
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			break;
		while ((isalnum((unsigned char)*p) || *p == '_' || *p == '-') &&
		       k + 1 < sizeof(key))
			key[k++] = (char)tolower((unsigned char)*p++);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			break; /* the next challenge starts: keep the first only */
		p++;
		while (isspace((unsigned char)*p))
			p++;
		take_value(&p, val, sizeof(val));
		if (!strcmp(key, "realm"))
			snprintf(ch->realm, sizeof(ch->realm), "%s", val);
		else if (!strcmp(key, "service"))
			snprintf(ch->service, sizeof(ch->service), "%s", val);
		else if (!strcmp(key, "scope"))
			snprintf(ch->scope, sizeof(ch->scope), "%s", val);
	}
	return 0;
}

int reg_token_parse(const char *body, size_t len, char **token, long *expires_in)
{
	struct json_value *root = NULL;
	struct sr_err err = SR_ERR_INIT;
	const char *t;
	const struct json_value *e;

	*token = NULL;
	*expires_in = 60;
	if (json_parse(&root, "token", body, len, &err) < 0)
		return SR_EFAIL;
	t = json_str(json_get(root, "token"));
	if (!t || !*t)
		t = json_str(json_get(root, "access_token"));
	e = json_get(root, "expires_in");
	if (e && e->type == JSON_NUMBER && e->u.num.v > 60 && e->u.num.v < 86400 * 366)
		*expires_in = (long)e->u.num.v;
	if (t && *t)
		*token = xstrdup(t);
	json_free(root);
	return *token ? 0 : SR_EFAIL;
}

long long reg_retry_after_ms(const char *v, time_t now)
{
	struct tm tm = {0};
	char *end;
	long long s;

	if (!v)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	if (!*v)
		return -1;
	if (isdigit((unsigned char)*v)) {
		s = strtoll(v, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (*end || s < 0)
			return -1;
		return s > 86400LL * 366 ? 86400LL * 366 * 1000 : s * 1000;
	}
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	s = (long long)timegm(&tm) - (long long)now;
	return s > 0 ? s * 1000 : 0;
}

void reg_error_text(const char *body, size_t len, char *out, size_t outsz)
{
	struct json_value *root = NULL;
	struct sr_err err = SR_ERR_INIT;
	const struct json_value *errs;
	char tmp[512];
	size_t n = 0;

	out[0] = 0;
	if (!len || json_parse(&root, "error", body, len, &err) < 0)
		return;
	errs = json_get(root, "errors");
	if (errs && errs->type == JSON_ARRAY && errs->u.arr.n) {
		const char *code = json_str(json_get(errs->u.arr.v[0], "code"));
		const char *msg = json_str(json_get(errs->u.arr.v[0], "message"));
		snprintf(tmp, sizeof(tmp), "%s%s%s", code ? code : "", code && msg ? ": " : "",
			 msg ? msg : "");
		for (const char *p = tmp; *p && n + 1 < outsz; p++)
			out[n++] = isprint((unsigned char)*p) ? *p : '?';
		out[n] = 0;
	}
	json_free(root);
}

void reg_sha256_digest(const void *data, size_t len, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

bool reg_is_index_type(const char *mt)
{
	return mt &&
	       (!strncmp(mt, "application/vnd.oci.image.index.v1+json", 39) ||
		!strncmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json", 57));
}

static bool platform_matches(const struct json_value *p, const char *os, const char *arch,
			     const char *variant)
{
	const char *pos = json_str(json_get(p, "os")),
		   *parch = json_str(json_get(p, "architecture"));
	const char *pvar = json_str(json_get(p, "variant"));

	if (!pos || !parch || strcmp(pos, os) || strcmp(parch, arch))
		return false;
	if (!*variant)
		return true;
	if (pvar)
		return !strcmp(pvar, variant);
	/* arm64's only variant is v8, often left out. */
	return !strcmp(arch, "arm64") && !strcmp(variant, "v8");
}

int reg_index_platform(const char *body, size_t len, const char *name, const char *platform,
		       char **digest, struct sr_err *err)
{
	struct json_value *root = NULL;
	const struct json_value *ms;
	char os[64] = "", arch[64] = "", variant[64] = "";

	*digest = NULL;
	if (sscanf(platform, "%63[^/]/%63[^/]/%63s", os, arch, variant) < 2)
		return sr_err_set(err, SR_EINVAL, "platform '%s' is not os/arch[/variant]",
				  platform);
	if (json_parse(&root, name, body, len, err) < 0)
		return SR_EFAIL;
	ms = json_get(root, "manifests");
	if (!ms || ms->type != JSON_ARRAY) {
		json_free(root);
		return sr_err_set(err, SR_EFAIL, "'%s' is not a manifest list or index", name);
	}
	for (size_t i = 0; i < ms->u.arr.n && !*digest; i++) {
		const struct json_value *m = ms->u.arr.v[i];
		const char *d = json_str(json_get(m, "digest"));
		if (!platform_matches(json_get(m, "platform"), os, arch, variant))
			continue;
		/* The registry's answer goes into the catalogue and an image
		 * reference: nothing but a sha256 digest is taken. */
		if (!cat_digest_valid(d)) {
			json_free(root);
			return sr_err_set(
			    err, SR_EFAIL,
			    "'%s': the entry for platform '%s' has no valid sha256 digest", name,
			    platform);
		}
		*digest = xstrdup(d);
	}
	json_free(root);
	if (!*digest)
		return sr_err_set(err, SR_EFAIL, "'%s' has no manifest for platform '%s'", name,
				  platform);
	return 0;
}
