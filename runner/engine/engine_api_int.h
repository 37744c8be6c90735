/* Private to the engine API adapter (engine_api.c, engine_api_run.c): the
 * client, its pooled curl handles and the request helpers both use. */
#ifndef SR_ENGINE_API_INT_H
#define SR_ENGINE_API_INT_H

#include <pthread.h>

#include <curl/curl.h>

#include "lib/util.h"

#define POOL_MAX    16
#define DEFAULT_CAP (1u << 20)
#define DRAIN_GRACE 10000 /* after a kill or the exit: how long the streams may take */

struct eapi {
	char *socket;
	pthread_mutex_t mu;
	CURL *pool[POOL_MAX];
	size_t npool;
};

struct body_sink {
	struct strbuf *sb;
	bool overflow;
};

CURL *eapi_handle_get(struct eapi *e);
void eapi_handle_put(struct eapi *e, CURL *h);
size_t eapi_body_write(char *data, size_t size, size_t n, void *ctx);
void eapi_handle_setup(CURL *h, struct eapi *e, const char *path, uint64_t timeout_ms,
		       char *errbuf);
int eapi_curl_fail(struct eapi *e, CURLcode c, const char *errbuf, const char *what,
		   struct sr_err *err);
int eapi_http_fail(long status, const struct strbuf *resp, const char *what, struct sr_err *err);
char *eapi_path_of(const char *fmt_pre, const char *name, const char *post);

#endif
