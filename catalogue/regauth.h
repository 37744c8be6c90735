/* Registry credentials found the way the docker CLI finds them:
 * $DOCKER_CONFIG/config.json (or ~/.docker/config.json), then for a
 * registry its credHelpers entry, else the credsStore, else its auths entry
 * (base64 "user:password" in auth, or an identitytoken). Helpers are run as
 * `docker-credential-NAME get` with the server URL on stdin, never with a
 * secret on a command line. No secret ever goes into an error message. */
#ifndef SR_REGAUTH_H
#define SR_REGAUTH_H

#include "lib/util.h"

struct reg_cred {
	char *user;    /* NULL: anonymous */
	char *secret;  /* a password, or an identity (refresh) token */
	bool identity; /* secret is an identity token (OAuth2 refresh token) */
	char *source;  /* "auths", "credsStore 'pass'", "credHelpers 'ecr-login'" */
};

/* Credentials for key (a registry domain, or "https://index.docker.io/v1/").
 * Returns 0 with c filled (c->user NULL when none are configured), or
 * SR_EFAIL when the config cannot be read or a helper fails. */
int regauth_lookup(struct reg_cred *c, const char *key, struct sr_err *err);

/* Same, with the config file's text given (path names it in errors). */
int regauth_lookup_in(struct reg_cred *c, const char *key, const char *path, const char *text,
		      size_t len, struct sr_err *err);

/* Wipes the secret before freeing it. */
void reg_cred_release(struct reg_cred *c);

/* Standard base64 (RFC 4648, with padding) decoding into out (NUL-added,
 * owned by the caller). SR_EINVAL on bad input. */
int sr_base64_decode(const char *in, size_t len, char **out, size_t *outlen);
/* Standard base64 encoding appended to sb. */
void sr_base64_encode(struct strbuf *sb, const void *data, size_t len);

#endif
