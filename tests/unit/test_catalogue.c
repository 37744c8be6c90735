/* images.toml: strict parsing with positions, references, the
 * format-preserving digest rewrite, and pinning with a fake resolver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../catalogue/pin.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static int parse(struct catalogue *c, const char *text, struct sr_err *err)
{
	return catalogue_parse(c, "t.toml", text, strlen(text), err);
}

static void test_catalogue__parses_scanner_style_entries(void **state)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	const char *text = "# scanners keep catalogues like this\n"
			   "[[image]]\n"
			   "toolchain_id = \"python-3.12\"\n"
			   "base = \"python:3.12-slim\"\n"
			   "toolchain = \"Python 3.12\"\n"
			   "packages = {}\n"
			   "digest = \"\"\n"
			   "\n"
			   "[[ image ]]  # spaced header\n"
			   "toolchain_id = 'go'\n"
			   "base = 'golang:1.23'\n"
			   "packages = { gcc = \"12\", \"libstdc++6\" = '12.2' }\n"
			   "digest = \"" D1 "\"\n"
			   "platform = \"linux/amd64\"\n"
			   "platform_digest = \"" D2 "\"\n";
	char *ref;
	(void)state;
	assert_int_equal(parse(&c, text, &err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.entries[0].toolchain_id, "python-3.12");
	assert_false(cat_entry_pinned(&c.entries[0]));
	ref = cat_entry_ref(&c.entries[0]);
	assert_string_equal(ref, "python:3.12-slim");
	free(ref);
	assert_int_equal(c.entries[1].pkg_names.nr, 2);
	assert_string_equal(c.entries[1].pkg_names.v[1], "libstdc++6");
	assert_string_equal(c.entries[1].pkg_versions.v[1], "12.2");
	/* the per-platform manifest is what runs */
	ref = cat_entry_ref(&c.entries[1]);
	assert_string_equal(ref, "golang:1.23@" D2);
	free(ref);
	catalogue_release(&c);
}

static void test_catalogue__escapes_and_empty_files(void **state)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(parse(&c,
			       "[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\n"
			       "toolchain = \"tab\\there \\u00e9 \\\"q\\\"\"\n",
			       &err),
			 0);
	assert_string_equal(c.entries[0].toolchain, "tab\there \xc3\xa9 \"q\"");
	catalogue_release(&c);
	assert_int_equal(parse(&c, "", &err), 0);
	assert_int_equal(c.n, 0);
	catalogue_release(&c);
	assert_int_equal(parse(&c, "# only a comment\r\n\r\n", &err), 0);
	catalogue_release(&c);
}

struct bad {
	const char *text;
	const char *where; /* "t.toml:L:C:" */
};

static void test_catalogue__rejects_malformed_input_with_position(void **state)
{
	static const struct bad cases[] = {
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ncolour = \"x\"\n", "t.toml:4:1:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\n[[image]]\ntoolchain_id = \"a\"\n"
	     "base = \"c\"\n",
	     "t.toml:5:16:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\n", "t.toml:3:8:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ndigest = \"md5:x\"\n", "t.toml:4:10:"},
	    {"[[image]]\ntoolchain_id = \"a\"\n", "t.toml:1:1:"},
	    {"[server]\nx = \"1\"\n", "t.toml:1:1:"},
	    {"toolchain_id = \"a\"\n", "t.toml:1:1:"},
	    {"[[image]]\ntoolchain_id = \"Bad Id\"\nbase = \"b\"\n", "t.toml:2:16:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = 42\n", "t.toml:3:8:"},
	    {"[[image]]\ntoolchain_id = \"a\"\ntoolchain_id = \"b\"\n", "t.toml:3:1:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\" trailing\n", "t.toml:3:12:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\\q\"\n", "t.toml:3:10:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"\"\"b\"\"\"\n", "t.toml:3:8:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\npackages = \"x\"\n", "t.toml:4:12:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\npackages = { x = 1 }\n",
	     "t.toml:4:18:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\npackages = { x = \"1\"\n",
	     "t.toml:4:21:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\nplatform_digest = \"" D1 "\"\n",
	     "t.toml:1:1:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\nplatform = \"amd64\"\n",
	     "t.toml:4:12:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase \"b\"\n", "t.toml:3:6:"},
	    {"[[images]]\n", "t.toml:1:1:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\n# bad \x01 comment\n", "t.toml:4:7:"},
	    {"[[image]]\ntoolchain_id = \"a\"\nbase = \"a\\u12\"\n", "t.toml:3:10:"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct catalogue c;
		struct sr_err err = SR_ERR_INIT;
		int rc = parse(&c, cases[i].text, &err);
		if (rc != SR_EINVAL || strncmp(err.msg, cases[i].where, strlen(cases[i].where)))
			fail_msg("case %zu: rc %d, want %s, got '%s'", i, rc, cases[i].where,
				 err.msg);
	}
}

static char *rewrite(const char *text, const char *id, const char *d, const char *pd)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	struct cat_update up = {id, d, pd};
	char *out;
	size_t len;

	assert_int_equal(parse(&c, text, &err), 0);
	assert_int_equal(catalogue_rewrite(&out, &len, &c, &up, 1, &err), 0);
	assert_int_equal(strlen(out), len);
	catalogue_release(&c);
	return out;
}

static void test_catalogue__rewrite_keeps_every_other_byte(void **state)
{
	char *out;
	(void)state;
	/* comment after the value, single quotes kept */
	out = rewrite(
	    "[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ndigest = ''   # pinned by bot\n", "a",
	    D1, NULL);
	assert_string_equal(out, "[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ndigest = '" D1
				 "'   # pinned by bot\n");
	free(out);
	/* missing digest key: inserted after base, same indentation, CRLF kept */
	out =
	    rewrite("[[image]]\r\n  toolchain_id = \"a\"\r\n  base = \"b\"  # tag\r\n  toolchain = "
		    "\"x\"\r\n",
		    "a", D1, NULL);
	assert_string_equal(out,
			    "[[image]]\r\n  toolchain_id = \"a\"\r\n  base = \"b\"  # tag\r\n  "
			    "digest = \"" D1 "\"\r\n  toolchain = \"x\"\r\n");
	free(out);
	/* base is the last line, without a newline */
	out = rewrite("[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"", "a", D1, NULL);
	assert_string_equal(out,
			    "[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ndigest = \"" D1 "\"\n");
	free(out);
	/* extra whitespace around '=' and a second entry untouched */
	out = rewrite("[[image]]\ntoolchain_id   =   \"a\"\nbase\t=\t\"b\"\ndigest   =   \"" D1
		      "\"\n\n[[image]]\ntoolchain_id = \"z\"\nbase = \"y\"\ndigest = \"" D1 "\"\n",
		      "a", D2, NULL);
	assert_string_equal(
	    out, "[[image]]\ntoolchain_id   =   \"a\"\nbase\t=\t\"b\"\ndigest   =   \"" D2
		 "\"\n\n[[image]]\ntoolchain_id = \"z\"\nbase = \"y\"\ndigest = \"" D1 "\"\n");
	free(out);
	/* platform_digest inserted after an existing digest line */
	out = rewrite("[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ndigest = \"\"\nplatform = "
		      "\"linux/amd64\"\n",
		      "a", D1, D2);
	assert_string_equal(out, "[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ndigest = \"" D1
				 "\"\nplatform_digest = \"" D2 "\"\nplatform = \"linux/amd64\"\n");
	free(out);
	/* unchanged value: identical bytes */
	out = rewrite("[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ndigest = \"" D1 "\" \n", "a",
		      D1, NULL);
	assert_string_equal(out, "[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\ndigest = \"" D1
				 "\" \n");
	free(out);
}

/* parse(rewrite(x)) has exactly the new digests and every other field equal. */
static void test_catalogue__rewrite_round_trip(void **state)
{
	static const char *const inputs[] = {
	    "[[image]]\ntoolchain_id = \"a\"\nbase = \"b:1\"\n[[image]]\ntoolchain_id = \"c\"\n"
	    "base = 'd:2' # x\ndigest = \"\"\nplatform = \"linux/arm64/v8\"\n",
	    "# head\r\n[[image]]\r\ntoolchain_id = \"a\"\r\nbase = \"b:1\"\r\npackages = { p = "
	    "\"1\" }\r\n\r\n[[image]]\r\n\ttoolchain_id = \"c\"\r\n\tbase = \"d\"\r\n\tdigest "
	    "= \"" D3 "\"\r\n",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct catalogue c, c2;
		struct sr_err err = SR_ERR_INIT;
		struct cat_update ups[2] = {{"a", D1, NULL}, {"c", D2, NULL}};
		char *out;
		size_t len;

		assert_int_equal(parse(&c, inputs[i], &err), 0);
		if (c.entries[1].platform)
			ups[1].platform_digest = D3;
		assert_int_equal(catalogue_rewrite(&out, &len, &c, ups, 2, &err), 0);
		assert_int_equal(catalogue_parse(&c2, "t2.toml", out, len, &err), 0);
		assert_int_equal(c2.n, c.n);
		for (size_t k = 0; k < c.n; k++) {
			assert_string_equal(c2.entries[k].toolchain_id, c.entries[k].toolchain_id);
			assert_string_equal(c2.entries[k].base, c.entries[k].base);
			assert_int_equal(c2.entries[k].pkg_names.nr, c.entries[k].pkg_names.nr);
		}
		assert_string_equal(c2.entries[0].digest, D1);
		assert_string_equal(c2.entries[1].digest, D2);
		if (c.entries[1].platform)
			assert_string_equal(c2.entries[1].platform_digest, D3);
		free(out);
		catalogue_release(&c);
		catalogue_release(&c2);
	}
}

static int fake_resolve(void *ctx, const char *base, const char *platform, char **d, char **pd,
			struct sr_err *err)
{
	(void)ctx;
	if (strstr(base, "broken"))
		return sr_err_set(err, SR_EFAIL, "manifest unknown");
	*d = xstrdup(strstr(base, "new") ? D2 : D1);
	if (platform && pd)
		*pd = xstrdup(D3);
	return 0;
}

static void test_catalogue__pin_entries_independently(void **state)
{
	char path[] = "/tmp/sandrun-cat-XXXXXX";
	const char *text =
	    "[[image]]\ntoolchain_id = \"same\"\nbase = \"x:1\"\ndigest = \"" D1 "\"\n"
	    "[[image]]\ntoolchain_id = \"broken\"\nbase = \"broken:1\"\n"
	    "[[image]]\ntoolchain_id = \"moved\"\nbase = \"new:1\"\ndigest = \"" D1
	    "\"\nplatform = \"linux/amd64\"\n";
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	struct strbuf lines = STRBUF_INIT;
	struct strvec changes = STRVEC_INIT;
	int fd = mkstemp(path), nfailed;
	const char *unknown[] = {"nope"};
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(catalogue_load(&c, path, &err), 0);
	assert_int_equal(
	    catalogue_pin(&c, unknown, 1, fake_resolve, NULL, &lines, &changes, &nfailed, &err),
	    SR_EINVAL);
	assert_int_equal(
	    catalogue_pin(&c, NULL, 0, fake_resolve, NULL, &lines, &changes, &nfailed, &err), 0);
	assert_int_equal(nfailed, 1);
	assert_non_null(strstr(lines.buf, "same: unchanged\n"));
	assert_non_null(strstr(lines.buf, "broken: error: manifest unknown\n"));
	assert_non_null(strstr(lines.buf, "moved: " D1 " -> " D2 "\n"));
	assert_int_equal(changes.nr, 1);
	/* c was reloaded from the rewritten file */
	assert_string_equal(catalogue_find(&c, "moved")->digest, D2);
	assert_string_equal(catalogue_find(&c, "moved")->platform_digest, D3);
	assert_string_equal(catalogue_find(&c, "broken")->digest, "");
	catalogue_release(&c);
	strbuf_release(&lines);
	strvec_clear(&changes);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_catalogue__parses_scanner_style_entries),
	    cmocka_unit_test(test_catalogue__escapes_and_empty_files),
	    cmocka_unit_test(test_catalogue__rejects_malformed_input_with_position),
	    cmocka_unit_test(test_catalogue__rewrite_keeps_every_other_byte),
	    cmocka_unit_test(test_catalogue__rewrite_round_trip),
	    cmocka_unit_test(test_catalogue__pin_entries_independently),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
