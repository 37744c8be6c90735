/* libFuzzer target: the catalogue parser on arbitrary bytes. For every
 * input it accepts, the digest rewrite must succeed and produce a file that
 * parses to exactly the new digests with every other field equal, and
 * rewriting the same values again must change no byte. */
#include <stdint.h>
#include <string.h>

#include "catalogue/catalogue.h"

#define NEWD "sha256:abababababababababababababababababababababababababababababababab"
#define NEWP "sha256:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_fields(const struct cat_entry *x, const struct cat_entry *y)
{
	if (!same(x->toolchain_id, y->toolchain_id) || !same(x->base, y->base) ||
	    !same(x->toolchain, y->toolchain) || !same(x->platform, y->platform) ||
	    x->pkg_names.nr != y->pkg_names.nr)
		abort();
	for (size_t i = 0; i < x->pkg_names.nr; i++)
		if (strcmp(x->pkg_names.v[i], y->pkg_names.v[i]) ||
		    strcmp(x->pkg_versions.v[i], y->pkg_versions.v[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalogue c, c2;
	struct sr_err err = SR_ERR_INIT;
	struct cat_update *ups;
	char *out, *again;
	size_t len, len2;

	if (catalogue_parse(&c, "fuzz.toml", (const char *)data, size, &err) < 0) {
		/* every refusal is positioned and typed */
		if (err.code != SR_EINVAL || strncmp(err.msg, "fuzz.toml:", 10))
			abort();
		return 0;
	}
	ups = xcalloc(c.n ? c.n : 1, sizeof(*ups));
	for (size_t i = 0; i < c.n; i++) {
		ups[i].toolchain_id = c.entries[i].toolchain_id;
		ups[i].digest = NEWD;
		ups[i].platform_digest = c.entries[i].platform ? NEWP : NULL;
	}
	if (catalogue_rewrite(&out, &len, &c, ups, c.n, &err) < 0)
		abort();
	if (catalogue_parse(&c2, "fuzz2.toml", out, len, &err) < 0 || c2.n != c.n)
		abort();
	for (size_t i = 0; i < c2.n; i++) {
		const struct cat_entry *e = &c2.entries[i];
		check_fields(&c.entries[i], e);
		if (strcmp(e->digest, NEWD) || (e->platform && !same(e->platform_digest, NEWP)))
			abort();
		if (!e->platform && e->platform_digest)
			abort();
	}
	/* the values are now what they would be set to: a no-op, byte for byte */
	for (size_t i = 0; i < c2.n; i++)
		ups[i].toolchain_id = c2.entries[i].toolchain_id;
	if (catalogue_rewrite(&again, &len2, &c2, ups, c2.n, &err) < 0 || len2 != len ||
	    memcmp(again, out, len))
		abort();
	free(again);
	catalogue_release(&c2);
	free(out);
	free(ups);
	catalogue_release(&c);
	return 0;
}
