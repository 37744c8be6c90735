/* libFuzzer target: what a registry (or anyone answering for it) sends the
 * registry client, and what a catalogue names: image references, the
 * WWW-Authenticate challenge, token answers, Retry-After, error bodies and
 * index platform lookup. Beyond memory safety: a parsed reference has a
 * host and a repository, an answer's strings stay NUL-terminated within
 * their fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue/imageref.h"
#include "catalogue/regproto.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *tok = NULL, *d = NULL, etext[128];
	struct image_ref ref;
	struct reg_challenge ch;
	struct sr_err err = SR_ERR_INIT;
	long exp;

	memcpy(s, data, size);
	s[size] = 0;
	if (image_ref_parse(&ref, s, &err) == 0) {
		CHECK(ref.host && *ref.host && ref.repo && *ref.repo && (ref.tag || ref.digest));
		image_ref_release(&ref);
	}
	if (reg_challenge_parse(s, &ch) == 0)
		CHECK(strlen(ch.realm) < sizeof(ch.realm) && strlen(ch.scope) < sizeof(ch.scope));
	if (reg_token_parse((const char *)data, size, &tok, &exp) == 0)
		CHECK(tok && exp >= 60);
	free(tok);
	reg_retry_after_ms(s, 1700000000);
	reg_error_text((const char *)data, size, etext, sizeof(etext));
	CHECK(strlen(etext) < sizeof(etext));
	if (reg_index_platform((const char *)data, size, "fuzz", "linux/arm64/v8", &d, &err) == 0)
		CHECK(d != NULL);
	free(d);
	free(s);
	return 0;
}
