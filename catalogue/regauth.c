/* Credential lookup (regauth.h). */
#include "catalogue/regauth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/jsonparse.h"
#include "lib/proc.h"

#define HELPER_TMO_MS 30000

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sr_base64_encode(struct strbuf *sb, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		strbuf_addch(sb, B64[v >> 18 & 63]);
		strbuf_addch(sb, B64[v >> 12 & 63]);
		strbuf_addch(sb, i + 1 < len ? B64[v >> 6 & 63] : '=');
		strbuf_addch(sb, i + 2 < len ? B64[v & 63] : '=');
	}
}

int sr_base64_decode(const char *in, size_t len, char **out, size_t *outlen)
{
	struct strbuf sb = STRBUF_INIT;
	uint32_t acc = 0;
	int bits = 0;
	size_t pad = 0;

	for (size_t i = 0; i < len; i++) {
		const char *q;
		if (in[i] == '=') {
			pad++;
			continue;
		}
		q = in[i] ? strchr(B64, in[i]) : NULL;
		if (!q || pad) {
			strbuf_release(&sb);
			return SR_EINVAL;
		}
		acc = acc << 6 | (uint32_t)(q - B64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_addch(&sb, (char)(acc >> bits & 0xff));
		}
	}
	if (pad > 2) {
		strbuf_release(&sb);
		return SR_EINVAL;
	}
	*out = strbuf_detach(&sb, outlen);
	return 0;
}

void reg_cred_release(struct reg_cred *c)
{
	if (c->secret)
		explicit_bzero(c->secret, strlen(c->secret));
	free(c->user);
	free(c->secret);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

/* "https://host:port/v1/" or "host:port" -> "host:port", as the CLI
 * compares auths keys. */
static void hostname_of(char *out, size_t outsz, const char *key)
{
	const char *s = key;
	size_t n;

	if (!strncmp(s, "https://", 8))
		s += 8;
	else if (!strncmp(s, "http://", 7))
		s += 7;
	n = strcspn(s, "/");
	snprintf(out, outsz, "%.*s", (int)n, s);
}

/* Docker Hub's names: its credentials are filed under index.docker.io,
 * sometimes written docker.io or registry-1.docker.io. */
static bool is_hub(const char *host)
{
	return !strcmp(host, "index.docker.io") || !strcmp(host, "docker.io") ||
	       !strcmp(host, "registry-1.docker.io");
}

/* The member of obj whose key names the same registry as key. */
static const struct json_value *find_host(const struct json_value *obj, const char *key)
{
	char want[512], have[512];
	const struct json_value *v = json_get(obj, key);

	if (v || !obj || obj->type != JSON_OBJECT)
		return v;
	hostname_of(want, sizeof(want), key);
	for (size_t i = 0; i < obj->u.obj.n; i++) {
		hostname_of(have, sizeof(have), obj->u.obj.m[i].key);
		if (!strcmp(want, have) || (is_hub(want) && is_hub(have)))
			return obj->u.obj.m[i].value;
	}
	return NULL;
}

/* docker-credential-NAME get, with key on stdin. */
static int run_helper(struct reg_cred *c, const char *name, const char *key, struct sr_err *err)
{
	char *prog = xasprintf("docker-credential-%s", name);
	char *argv[] = {prog, "get", NULL};
	struct proc_opts o = {.argv = argv,
			      .timeout_ms = HELPER_TMO_MS,
			      .out_cap = 65536,
			      .input = key,
			      .input_len = strlen(key)};
	struct proc_result res;
	struct json_value *root = NULL;
	struct sr_err jerr = SR_ERR_INIT;
	const char *user, *secret;
	int rc = proc_run(&o, &res, err);

	if (rc < 0) {
		sr_err_wrap(err, "credential helper for '%s'", key);
		goto out;
	}
	if (res.exit_code != 0) {
		/* The protocol's "not found" answer: anonymous. Nothing else
		 * the helper printed is repeated (it may hold a secret). */
		if (strstr(strbuf_str(&res.out), "credentials not found"))
			goto out;
		rc = sr_err_set(err, SR_EFAIL, "credential helper '%s' failed for '%s' (%s %d)",
				prog, key, res.timed_out ? "timed out," : "exit status",
				res.exit_code);
		goto out;
	}
	if (json_parse(&root, prog, res.out.buf, res.out.len, &jerr) < 0 ||
	    root->type != JSON_OBJECT) {
		rc =
		    sr_err_set(err, SR_EFAIL,
			       "credential helper '%s' printed no JSON object for '%s'", prog, key);
		goto out;
	}
	user = json_str(json_get(root, "Username"));
	secret = json_str(json_get(root, "Secret"));
	if (secret && *secret) {
		c->identity = !user || !strcmp(user, "<token>");
		c->user = xstrdup(user && !c->identity ? user : "<token>");
		c->secret = xstrdup(secret);
	}
out:
	if (res.out.len)
		explicit_bzero(res.out.buf, res.out.len);
	json_free(root);
	proc_result_release(&res);
	free(prog);
	return rc;
}

static int from_auths(struct reg_cred *c, const struct json_value *entry, const char *path,
		      const char *key, struct sr_err *err)
{
	const char *auth = json_str(json_get(entry, "auth"));
	const char *idt = json_str(json_get(entry, "identitytoken"));
	char *plain = NULL, *colon;
	size_t n = 0;

	if (auth && *auth) {
		if (sr_base64_decode(auth, strlen(auth), &plain, &n) < 0 ||
		    !(colon = memchr(plain, ':', n)) || strlen(plain) != n) {
			if (plain)
				explicit_bzero(plain, n);
			free(plain);
			return sr_err_set(err, SR_EFAIL,
					  "%s: auths entry for '%s': 'auth' is not base64 of "
					  "user:password",
					  path, key);
		}
		*colon = 0;
		c->user = xstrdup(plain);
		c->secret = xstrdup(colon + 1);
		explicit_bzero(plain, n);
		free(plain);
	}
	if (idt && *idt) {
		/* An identity token replaces the password (docker login's OAuth). */
		if (c->secret)
			explicit_bzero(c->secret, strlen(c->secret));
		free(c->secret);
		if (!c->user)
			c->user = xstrdup("<token>");
		c->secret = xstrdup(idt);
		c->identity = true;
	}
	if (c->user)
		c->source = xstrdup("auths");
	return 0;
}

int regauth_lookup_in(struct reg_cred *c, const char *key, const char *path, const char *text,
		      size_t len, struct sr_err *err)
{
	struct json_value *root = NULL;
	const struct json_value *helpers, *hv, *entry;
	const char *store, *helper = NULL;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (json_parse(&root, path, text, len, err) < 0)
		return SR_EFAIL;
	helpers = json_get(root, "credHelpers");
	hv = find_host(helpers, key);
	store = json_str(json_get(root, "credsStore"));
	if (json_str(hv) && *json_str(hv))
		helper = json_str(hv);
	else if (store && *store)
		helper = store;
	if (helper) {
		rc = run_helper(c, helper, key, err);
		if (rc == 0 && c->user)
			c->source = xasprintf(
			    "%s '%s'", helper == store ? "credsStore" : "credHelpers", helper);
	}
	entry = find_host(json_get(root, "auths"), key);
	if (rc == 0 && !c->user && entry && entry->type == JSON_OBJECT)
		rc = from_auths(c, entry, path, key, err);
	json_free(root);
	if (rc < 0)
		reg_cred_release(c);
	return rc;
}

int regauth_lookup(struct reg_cred *c, const char *key, struct sr_err *err)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	char *path, *text = NULL;
	size_t len = 0;
	struct stat st;
	int rc;

	memset(c, 0, sizeof(*c));
	if (dir && *dir)
		path = xasprintf("%s/config.json", dir);
	else if (home && *home)
		path = xasprintf("%s/.docker/config.json", home);
	else
		return 0;
	if (stat(path, &st) < 0) {
		rc = errno == ENOENT
			 ? 0
			 : sr_err_set(err, SR_EFAIL, "cannot read '%s': %s", path, strerror(errno));
		free(path);
		return rc;
	}
	if ((rc = sr_read_file(path, &text, &len, err)) == 0)
		rc = regauth_lookup_in(c, key, path, text, len, err);
	if (text)
		explicit_bzero(text, len);
	free(text);
	free(path);
	return rc;
}
