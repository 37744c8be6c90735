/* libFuzzer target: the catalogue parser, and for every input it accepts,
 * the digest rewrite must produce a file that parses to the new digests. */
#include <stdint.h>
#include <string.h>

#include "../../catalogue/catalogue.h"

#define NEWD "sha256:abababababababababababababababababababababababababababababababab"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalogue c, c2;
	struct sr_err err = SR_ERR_INIT;
	struct cat_update *ups;
	char *out;
	size_t len;

	if (catalogue_parse(&c, "fuzz.toml", (const char *)data, size, &err) < 0)
		return 0;
	ups = xcalloc(c.n ? c.n : 1, sizeof(*ups));
	for (size_t i = 0; i < c.n; i++) {
		ups[i].toolchain_id = c.entries[i].toolchain_id;
		ups[i].digest = NEWD;
		ups[i].platform_digest = c.entries[i].platform ? NEWD : NULL;
	}
	if (catalogue_rewrite(&out, &len, &c, ups, c.n, &err) < 0)
		abort();
	if (catalogue_parse(&c2, "fuzz2.toml", out, len, &err) < 0 || c2.n != c.n)
		abort();
	for (size_t i = 0; i < c2.n; i++)
		if (strcmp(c2.entries[i].digest, NEWD) ||
		    strcmp(c2.entries[i].toolchain_id, c.entries[i].toolchain_id))
			abort();
	catalogue_release(&c2);
	free(out);
	free(ups);
	catalogue_release(&c);
	return 0;
}
