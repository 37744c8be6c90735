/* images.toml: strict parsing with exact positions, references, the
 * format-preserving digest rewrite (byte-exact, and against an independent
 * oracle on generated files), and pin/verify with fake resolvers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"
#include "catalogue/pin.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define D4 "sha256:4444444444444444444444444444444444444444444444444444444444444444"

static int parse(struct catalogue *c, const char *text, struct sr_err *err)
{
	return catalogue_parse(c, "t.toml", text, strlen(text), err);
}

/* ---- parsing ---- */

static void test_catalogue__parses_scanner_style_entries(void **state)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	/* As a nyx-style scanner keeps it, byte for byte. */
	const char *text = "# Toolchain images\n"
			   "\n"
			   "[[image]]\n"
			   "toolchain_id = \"python-3.12\"\n"
			   "base = \"python:3.12-slim\"\n"
			   "toolchain = \"Python 3.12\"\n"
			   "packages = {}\n"
			   "digest = \"\"\n"
			   "\n"
			   "[[image]]\n"
			   "toolchain_id = \"node-22\"\n"
			   "base = \"node:22-bookworm-slim\"\n"
			   "toolchain = \"Node.js 22\"\n"
			   "packages = {}\n"
			   "digest = \"\"\n";
	char *ref;
	(void)state;
	assert_int_equal(parse(&c, text, &err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.entries[0].toolchain_id, "python-3.12");
	assert_string_equal(c.entries[0].base, "python:3.12-slim");
	assert_string_equal(c.entries[0].toolchain, "Python 3.12");
	assert_int_equal(c.entries[0].pkg_names.nr, 0);
	assert_string_equal(c.entries[0].digest, "");
	assert_null(c.entries[0].platform);
	assert_null(c.entries[0].platform_digest);
	assert_int_equal(c.entries[0].line, 3);
	assert_int_equal(c.entries[0].col, 1);
	assert_int_equal(c.entries[1].line, 10);
	assert_false(cat_entry_pinned(&c.entries[0]));
	ref = cat_entry_ref(&c.entries[0]);
	assert_string_equal(ref, "python:3.12-slim");
	free(ref);
	assert_ptr_equal(catalogue_find(&c, "node-22"), &c.entries[1]);
	assert_null(catalogue_find(&c, "node"));
	assert_int_equal(c.len, strlen(text));
	assert_memory_equal(c.text, text, c.len);
	catalogue_release(&c);
}

/* The catalogue shipped in the repository parses as it is. */
static void test_catalogue__parses_the_repository_catalogue(void **state)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	char path[4096];
	const char *slash = strrchr(__FILE__, '/');
	(void)state;
	snprintf(path, sizeof(path), "%.*s/../../images.toml", (int)(slash ? slash - __FILE__ : 1),
		 slash ? __FILE__ : ".");
	if (access(path, R_OK) != 0)
		skip();
	if (catalogue_load(&c, path, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(c.n > 0);
	for (size_t i = 0; i < c.n; i++)
		assert_non_null(c.entries[i].base);
	catalogue_release(&c);
}

static void test_catalogue__empty_and_comment_only_files_are_empty(void **state)
{
	static const char *const texts[] = {
	    "",
	    "\n",
	    "# only a comment",
	    "# only a comment\r\n\r\n",
	    "  \t\n# x\n\t# y\n",
	    "\xef\xbb\xbf# with a byte order mark\n",
	};
	(void)state;
	for (size_t i = 0; i < SR_ARRAY_SIZE(texts); i++) {
		struct catalogue c;
		struct sr_err err = SR_ERR_INIT;
		if (parse(&c, texts[i], &err) != 0)
			fail_msg("text %zu: %s", i, err.msg);
		assert_int_equal(c.n, 0);
		catalogue_release(&c);
	}
}

static void test_catalogue__decodes_escapes_and_literal_strings(void **state)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(
	    parse(&c,
		  "[[image]]\ntoolchain_id = \"a\"\nbase = 'b'\n"
		  "toolchain = \"q\\\" b\\\\ n\\n t\\t r\\r b\\b f\\f \\u00e9 \\U0001F600 #no\"\n"
		  "packages = { lit = 'C:\\path\\n', \"quoted key\" = \"x\\u0041\" }\n",
		  &err),
	    0);
	assert_string_equal(c.entries[0].toolchain,
			    "q\" b\\ n\n t\t r\r b\b f\f \xc3\xa9 \xf0\x9f\x98\x80 #no");
	assert_string_equal(c.entries[0].pkg_names.v[0], "lit");
	assert_string_equal(c.entries[0].pkg_versions.v[0], "C:\\path\\n");
	assert_string_equal(c.entries[0].pkg_names.v[1], "quoted key");
	assert_string_equal(c.entries[0].pkg_versions.v[1], "xA");
	catalogue_release(&c);
}

static void test_catalogue__accepts_crlf_spacing_and_quoted_keys(void **state)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	char *ref;
	const char *text = "\xef\xbb\xbf[[ image ]]\t# spaced header\r\n"
			   "\t\"toolchain_id\"\t=\t'go-1.23'   \r\n"
			   "  base='golang:1.23'#tight\r\n"
			   "packages = { gcc = \"12\", \"libstdc++6\" = '12.2',x='1' }\r\n"
			   "digest = \"" D1 "\"\r\n"
			   "platform = \"linux/arm64/v8\"\r\n"
			   "platform_digest = \"" D2 "\"";
	(void)state;
	if (parse(&c, text, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.entries[0].toolchain_id, "go-1.23");
	assert_int_equal(c.entries[0].pkg_names.nr, 3);
	assert_string_equal(c.entries[0].pkg_names.v[1], "libstdc++6");
	assert_string_equal(c.entries[0].pkg_versions.v[1], "12.2");
	assert_string_equal(c.entries[0].platform, "linux/arm64/v8");
	/* the per-platform manifest is what runs */
	ref = cat_entry_ref(&c.entries[0]);
	assert_string_equal(ref, "golang:1.23@" D2);
	free(ref);
	catalogue_release(&c);
}

static void test_catalogue__entry_ref_uses_the_pin(void **state)
{
	struct cat_entry e;
	char *ref;
	(void)state;
	memset(&e, 0, sizeof(e));
	e.base = "busybox:1";
	e.digest = "";
	ref = cat_entry_ref(&e);
	assert_string_equal(ref, "busybox:1");
	free(ref);
	e.platform = "linux/amd64";
	e.platform_digest = "";
	e.digest = D1;
	ref = cat_entry_ref(&e);
	assert_string_equal(ref, "busybox:1@" D1);
	free(ref);
	e.platform_digest = D2;
	ref = cat_entry_ref(&e);
	assert_string_equal(ref, "busybox:1@" D2);
	free(ref);
}

static void test_catalogue__validates_references_and_digests(void **state)
{
	static const char *const good[] = {
	    "busybox",
	    "busybox:1.36-musl",
	    "library/python:3.12-slim",
	    "gcr.io/oss-fuzz-base/base-builder:latest",
	    "127.0.0.1:5000/sandrun/busybox:latest",
	    "localhost/x",
	    "localhost:5000/a__b/c-d.e--f:T_a.g-1",
	    "[::1]:5000/x:1",
	    "registry.example.com/team/img",
	};
	static const char *const bad[] = {
	    "",	    "Busybox", "busybox:",     "busybox:-x",  ("busybox@" D1),
	    "a//b", "a/",      "/a",	       "a b",	      "a___b",
	    "a.-b", "-a",      "host:99999/x", "host:port/x", "a:b:c",
	};
	const char *why;
	(void)state;
	for (size_t i = 0; i < SR_ARRAY_SIZE(good); i++)
		if (!cat_reference_valid(good[i], &why))
			fail_msg("'%s' refused: %s", good[i], why);
	for (size_t i = 0; i < SR_ARRAY_SIZE(bad); i++) {
		if (cat_reference_valid(bad[i], &why))
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(why);
	}
	assert_true(cat_digest_valid(D1));
	assert_false(cat_digest_valid(""));
	assert_false(cat_digest_valid("sha256:11"));
	assert_false(cat_digest_valid(
	    "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	assert_false(cat_digest_valid(
	    "sha512:1111111111111111111111111111111111111111111111111111111111111111"));
	assert_false(cat_digest_valid(D1 "1"));
}

struct bad_case {
	const char *text;
	size_t len;	   /* 0: strlen(text) */
	const char *where; /* "t.toml:L:C: " */
	const char *what;  /* a part of the message */
};

#define HDR  "[[image]]\ntoolchain_id = \"a\"\n"
#define HDRB HDR "base = \"b\"\n"

static const struct bad_case bad_cases[] = {
    {HDRB "colour = \"x\"\n", 0, "t.toml:4:1: ", "unknown key 'colour'"},
    {HDRB "\"colour\" = \"x\"\n", 0, "t.toml:4:1: ", "unknown key 'colour'"},
    {HDRB "[[image]]\ntoolchain_id = 'a'\nbase = \"c\"\n", 0,
     "t.toml:5:16: ", "duplicate toolchain_id 'a'"},
    {HDR "base = \"b\n", 0, "t.toml:3:8: ", "unterminated string"},
    {HDR "base = 'b\n", 0, "t.toml:3:8: ", "unterminated string"},
    {HDR "base = \"b", 0, "t.toml:3:8: ", "unterminated string"},
    {HDRB "digest = \"md5:x\"\n", 0, "t.toml:4:10: ", "invalid digest 'md5:x'"},
    {HDRB "digest = \"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n",
     0, "t.toml:4:10: ", "invalid digest"},
    {HDRB "digest = \"" D1 " \"\n", 0, "t.toml:4:10: ", "invalid digest"},
    {HDRB "platform = \"linux/amd64\"\nplatform_digest = \"sha256:1\"\n", 0,
     "t.toml:5:19: ", "invalid platform_digest"},
    {HDR, 0, "t.toml:1:1: ", "has no 'base'"},
    {"[[image]]\nbase = \"b\"\n", 0, "t.toml:1:1: ", "no 'toolchain_id'"},
    {HDRB "\n  [[image]]\nbase = \"c\"\n", 0, "t.toml:5:3: ", "no 'toolchain_id'"},
    {"[server]\nx = \"1\"\n", 0, "t.toml:1:1: ", "only [[image]] tables"},
    {"[[images]]\n", 0, "t.toml:1:1: ", "not 'images'"},
    {"[ [image] ]\n", 0, "t.toml:1:1: ", "only [[image]] tables"},
    {"[[image.x]]\n", 0, "t.toml:1:8: ", "dotted keys"},
    {"[[image]\n", 0, "t.toml:1:8: ", "expected ']]'"},
    {"[[]]\n", 0, "t.toml:1:3: ", "expected a key, found ']'"},
    {"[[image]]]\n", 0, "t.toml:1:10: ", "found ']'"},
    {"[[image]] x\n", 0, "t.toml:1:11: ", "expected the end of the line"},
    {"[[image]]\rtoolchain_id = \"a\"\n", 0, "t.toml:1:10: ", "control character U+000D"},
    {"toolchain_id = \"a\"\n", 0, "t.toml:1:1: ", "outside an [[image]] table"},
    {"# c\n\n  base = \"x\"\n[[image]]\n", 0, "t.toml:3:3: ", "outside an [[image]] table"},
    {"[[image]]\ntoolchain_id = \"Bad Id\"\nbase = \"b\"\n", 0,
     "t.toml:2:16: ", "invalid toolchain_id 'Bad Id'"},
    {"[[image]]\ntoolchain_id = \"-a\"\nbase = \"b\"\n", 0,
     "t.toml:2:16: ", "invalid toolchain_id"},
    {"[[image]]\ntoolchain_id = ''\nbase = \"b\"\n", 0, "t.toml:2:16: ", "invalid toolchain_id"},
    {HDR "base = 42\n", 0, "t.toml:3:8: ", "'base' must be a string"},
    {HDRB "toolchain = true\n", 0, "t.toml:4:13: ", "'toolchain' must be a string"},
    {HDRB "digest = []\n", 0, "t.toml:4:10: ", "'digest' must be a string"},
    {HDR "base = {}\n", 0, "t.toml:3:8: ", "'base' must be a string"},
    {HDR "base =\n", 0, "t.toml:3:7: ", "missing value for 'base'"},
    {HDR "base = # none\n", 0, "t.toml:3:8: ", "missing value for 'base'"},
    {HDR "base", 0, "t.toml:3:5: ", "expected '=' after 'base', found the end of the file"},
    {HDR "toolchain_id = \"b\"\n", 0, "t.toml:3:1: ", "duplicate key 'toolchain_id'"},
    {HDRB "digest = \"\"\ndigest = \"\"\n", 0, "t.toml:5:1: ", "duplicate key 'digest'"},
    {HDR "base = \"b\" trailing\n", 0, "t.toml:3:12: ", "expected the end of the line"},
    {HDR "base = \"b\" \"c\"\n", 0, "t.toml:3:12: ", "found '\"'"},
    {HDR "base = \"b\\q\"\n", 0, "t.toml:3:10: ", "invalid escape"},
    {HDR "base = \"b\\ \"\n", 0, "t.toml:3:10: ", "invalid escape"},
    {HDR "base = \"\"\"b\"\"\"\n", 0, "t.toml:3:8: ", "multi-line strings"},
    {HDR "base = '''b'''\n", 0, "t.toml:3:8: ", "multi-line strings"},
    {HDRB "packages = \"x\"\n", 0, "t.toml:4:12: ", "'packages' must be an inline table"},
    {HDRB "packages = { x = 1 }\n", 0, "t.toml:4:18: ", "package 'x' must be a string"},
    {HDRB "packages = { x = \"1\"\n", 0, "t.toml:4:21: ", "closed on the same line"},
    {HDRB "packages = {\n x = \"1\" }\n", 0, "t.toml:4:13: ", "closed on the same line"},
    {HDRB "packages = { x = \"1\", }\n", 0, "t.toml:4:23: ", "trailing comma"},
    {HDRB "packages = { x = \"1\", x = \"2\" }\n", 0, "t.toml:4:23: ", "duplicate package 'x'"},
    {HDRB "packages = { x \"1\" }\n", 0, "t.toml:4:16: ", "expected '=' after package 'x'"},
    {HDRB "packages = { x = \"1\" y = \"2\" }\n", 0, "t.toml:4:22: ", "expected ',' or '}'"},
    {HDRB "packages = { x.y = \"1\" }\n", 0, "t.toml:4:15: ", "dotted keys"},
    {HDRB "packages = { a = { b = \"1\" } }\n", 0, "t.toml:4:18: ", "must be a string"},
    {HDRB "packages.gcc = \"1\"\n", 0, "t.toml:4:9: ", "dotted keys"},
    {HDRB "platform_digest = \"" D1 "\"\n", 0,
     "t.toml:4:1: ", "'platform_digest' without a 'platform'"},
    {HDRB "platform_digest = \"\"\n", 0, "t.toml:4:1: ", "without a 'platform'"},
    {HDRB "platform = \"linux/amd64\"\nplatform_digest = \"" D1 "\"\n", 0,
     "t.toml:5:19: ", "'platform_digest' is pinned but 'digest' is not"},
    {HDRB "platform = \"amd64\"\n", 0, "t.toml:4:12: ", "invalid platform 'amd64'"},
    {HDRB "platform = \"linux//amd64\"\n", 0, "t.toml:4:12: ", "invalid platform"},
    {HDR "base \"b\"\n", 0, "t.toml:3:6: ", "expected '=' after 'base'"},
    {HDRB "# bad \x01 comment\n", 0, "t.toml:4:7: ", "control character U+0001"},
    {HDRB "# del \x7f\n", 0, "t.toml:4:7: ", "control character U+007F"},
    {HDRB "# bad \xff byte\n", 0, "t.toml:4:7: ", "invalid UTF-8 byte 0xff"},
    {HDR "base = \"a\\u12\"\n", 0, "t.toml:3:10: ", "invalid unicode escape"},
    {HDR "base = \"a\\uD800\"\n", 0, "t.toml:3:10: ", "not a scalar value"},
    {HDR "base = \"a\\U00110000\"\n", 0, "t.toml:3:10: ", "not a scalar value"},
    {HDR "base = \"a\\u0000\"\n", 0, "t.toml:3:10: ", "U+0000 is not allowed"},
    {HDRB "toolchain = \"\xff\"\n", 0, "t.toml:4:14: ", "invalid UTF-8"},
    {HDRB "toolchain = \"\xc0\xaf\"\n", 0, "t.toml:4:14: ", "invalid UTF-8"},
    /* columns count code points: é is one column */
    {HDRB "toolchain = \"\xc3\xa9\x01\"\n", 0, "t.toml:4:15: ", "control character U+0001"},
    {HDRB "toolchain = \"a\tb\x1b\"\n", 0, "t.toml:4:17: ", "control character U+001B"},
    {"[[image]]\ntoolchain_id = \"a\0\"\n", 30, "t.toml:2:18: ", "control character U+0000"},
    {"[[image]]\r\r\n", 0, "t.toml:1:10: ", "control character U+000D"},
    {HDR "base = \"Python:3\"\n", 0, "t.toml:3:8: ", "invalid base 'Python:3'"},
    {HDR "base = \"b@" D1 "\"\n", 0, "t.toml:3:8: ", "carries a digest"},
    {HDR "base = \"\"\n", 0, "t.toml:3:8: ", "invalid base '': it is empty"},
    /* values echoed in messages are escaped, never raw control bytes */
    {"[[image]]\ntoolchain_id = \"a\\u001b[2J\"\n", 0,
     "t.toml:2:16: ", "invalid toolchain_id 'a\\x1b[2J'"},
    {HDRB "= \"x\"\n", 0, "t.toml:4:1: ", "expected a key or an [[image]] header, found '='"},
    {HDRB "\xc3\xa9 = \"x\"\n", 0, "t.toml:4:1: ", "found '\xc3\xa9'"},
};

static void test_catalogue__rejects_malformed_input_with_position(void **state)
{
	(void)state;
	for (size_t i = 0; i < SR_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct catalogue c;
		struct sr_err err = SR_ERR_INIT;
		size_t len = bc->len ? bc->len : strlen(bc->text);
		int rc = catalogue_parse(&c, "t.toml", bc->text, len, &err);
		if (rc != SR_EINVAL || err.code != SR_EINVAL ||
		    strncmp(err.msg, bc->where, strlen(bc->where)) || !strstr(err.msg, bc->what))
			fail_msg("case %zu: rc %d, want '%s...%s', got '%s'", i, rc, bc->where,
				 bc->what, err.msg);
		/* a failed parse leaves nothing behind */
		assert_null(c.entries);
		assert_null(c.text);
	}
}

static void test_catalogue__rejects_duplicate_id(void **state)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(parse(&c,
			       "[[image]]\ntoolchain_id = \"py\"\nbase = \"python:3\"\n\n"
			       "[[image]]\n  toolchain_id = \"py\"\n  base = \"python:2\"\n",
			       &err),
			 SR_EINVAL);
	assert_string_equal(err.msg, "t.toml:6:18: duplicate toolchain_id 'py' (first at line 1)");
}

static void test_catalogue__load_reports_missing_file_as_invalid(void **state)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(catalogue_load(&c, "/nonexistent/images.toml", &err), SR_EINVAL);
	assert_non_null(strstr(err.msg, "/nonexistent/images.toml"));
	assert_null(c.entries);
}

/* ---- rewrite ---- */

static char *rewrite_n(const char *text, const struct cat_update *ups, size_t n)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	char *out;
	size_t len;

	if (parse(&c, text, &err) != 0)
		fail_msg("parse: %s", err.msg);
	if (catalogue_rewrite(&out, &len, &c, ups, n, &err) != 0)
		fail_msg("rewrite: %s", err.msg);
	assert_int_equal(strlen(out), len);
	catalogue_release(&c);
	return out;
}

static char *rewrite(const char *text, const char *id, const char *d, const char *pd)
{
	struct cat_update up = {id, d, pd};
	return rewrite_n(text, &up, 1);
}

static void test_catalogue__rewrite_replaces_value_keeping_quotes_and_comments(void **state)
{
	char *out;
	(void)state;
	out = rewrite(HDRB "digest = ''   # pinned by bot\n", "a", D1, NULL);
	assert_string_equal(out, HDRB "digest = '" D1 "'   # pinned by bot\n");
	free(out);
	out = rewrite(HDRB "digest=\"" D1 "\"# tight\n# after\n", "a", D2, NULL);
	assert_string_equal(out, HDRB "digest=\"" D2 "\"# tight\n# after\n");
	free(out);
	/* extra whitespace around '=' and a second entry untouched */
	out = rewrite("[[image]]\ntoolchain_id   =   \"a\"\nbase\t=\t\"b\"\ndigest   =   \"" D1
		      "\"\n\n[[image]]\ntoolchain_id = \"z\"\nbase = \"y\"\ndigest = \"" D1 "\"\n",
		      "a", D2, NULL);
	assert_string_equal(
	    out, "[[image]]\ntoolchain_id   =   \"a\"\nbase\t=\t\"b\"\ndigest   =   \"" D2
		 "\"\n\n[[image]]\ntoolchain_id = \"z\"\nbase = \"y\"\ndigest = \"" D1 "\"\n");
	free(out);
}

static void test_catalogue__rewrite_inserts_missing_digest_after_base(void **state)
{
	char *out;
	(void)state;
	/* same indentation and CRLF as the base line, its comment kept */
	out = rewrite("[[image]]\r\n  toolchain_id = \"a\"\r\n  base = \"b\"  # tag\r\n"
		      "  toolchain = \"x\"\r\n",
		      "a", D1, NULL);
	assert_string_equal(out, "[[image]]\r\n  toolchain_id = \"a\"\r\n  base = \"b\"  # tag\r\n"
				 "  digest = \"" D1 "\"\r\n  toolchain = \"x\"\r\n");
	free(out);
	/* a tab-indented base line in an LF file whose other lines are CRLF */
	out = rewrite("[[image]]\r\n\ttoolchain_id = 'a'\r\n\tbase = 'b'\n\tpackages = {}\r\n", "a",
		      D1, NULL);
	assert_string_equal(out,
			    "[[image]]\r\n\ttoolchain_id = 'a'\r\n\tbase = 'b'\n\tdigest = \"" D1
			    "\"\n\tpackages = {}\r\n");
	free(out);
	/* base is the last line, without a newline: the file's line ending is used */
	out = rewrite(HDR "base = \"b\"", "a", D1, NULL);
	assert_string_equal(out, HDR "base = \"b\"\ndigest = \"" D1 "\"\n");
	free(out);
	out = rewrite("[[image]]\r\ntoolchain_id = \"a\"\r\nbase = \"b\" # last", "a", D1, NULL);
	assert_string_equal(out, "[[image]]\r\ntoolchain_id = \"a\"\r\nbase = \"b\" # last\r\n"
				 "digest = \"" D1 "\"\r\n");
	free(out);
	/* base before toolchain_id, digest inserted right after base */
	out = rewrite("[[image]]\nbase = \"b\"\ntoolchain_id = \"a\"\n", "a", D1, NULL);
	assert_string_equal(out,
			    "[[image]]\nbase = \"b\"\ndigest = \"" D1 "\"\ntoolchain_id = \"a\"\n");
	free(out);
}

static void test_catalogue__rewrite_keeps_packages_inline_tables(void **state)
{
	const char *in = "[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\n"
			 "packages = { gcc = \"12\", 'libstdc++6' = '12.2' }   # pinned too\n"
			 "digest = \"\"\n"
			 "[[image]]\ntoolchain_id = \"c\"\nbase = \"d\"\npackages = {}\n";
	struct cat_update ups[2] = {{"c", D2, NULL}, {"a", D1, NULL}};
	char *out;
	(void)state;
	out = rewrite_n(in, ups, 2);
	assert_string_equal(out,
			    "[[image]]\ntoolchain_id = \"a\"\nbase = \"b\"\n"
			    "packages = { gcc = \"12\", 'libstdc++6' = '12.2' }   # pinned too\n"
			    "digest = \"" D1 "\"\n"
			    "[[image]]\ntoolchain_id = \"c\"\nbase = \"d\"\ndigest = \"" D2
			    "\"\npackages = {}\n");
	free(out);
}

static void test_catalogue__rewrite_handles_platform_digests(void **state)
{
	char *out;
	(void)state;
	/* inserted after an existing digest line, with that line's indentation */
	out = rewrite(HDRB "  digest = \"\"\r\nplatform = \"linux/amd64\"\n", "a", D1, D2);
	assert_string_equal(out, HDRB "  digest = \"" D1 "\"\r\n  platform_digest = \"" D2
				      "\"\r\nplatform = \"linux/amd64\"\n");
	free(out);
	/* neither key present: both after base, digest first */
	out = rewrite(HDRB "platform = \"linux/amd64\"\n", "a", D1, D2);
	assert_string_equal(out, HDRB "digest = \"" D1 "\"\nplatform_digest = \"" D2
				      "\"\nplatform = \"linux/amd64\"\n");
	free(out);
	/* both present: replaced in place, each keeping its quotes */
	out = rewrite(HDRB "platform_digest = '" D3 "'\ndigest = \"" D4
			   "\"\nplatform = \"linux/amd64\"\n",
		      "a", D1, D2);
	assert_string_equal(out, HDRB "platform_digest = '" D2 "'\ndigest = \"" D1
				      "\"\nplatform = \"linux/amd64\"\n");
	free(out);
	/* only the platform digest moves; the pinned digest stays */
	out =
	    rewrite(HDRB "digest = \"" D1 "\"\nplatform = \"linux/amd64\"\nplatform_digest = \"\"",
		    "a", NULL, D2);
	assert_string_equal(out,
			    HDRB "digest = \"" D1
				 "\"\nplatform = \"linux/amd64\"\nplatform_digest = \"" D2 "\"");
	free(out);
	/* digest is the unterminated last line */
	out = rewrite(HDRB "platform = \"linux/amd64\"\ndigest = \"\"", "a", D1, D2);
	assert_string_equal(out, HDRB "platform = \"linux/amd64\"\ndigest = \"" D1
				      "\"\nplatform_digest = \"" D2 "\"\n");
	free(out);
}

static void test_catalogue__rewrite_of_unchanged_values_is_byte_identical(void **state)
{
	static const char *const texts[] = {
	    HDRB "digest = \"" D1 "\" \n",
	    /* an escaped spelling of the same value stays as written */
	    HDRB "digest = \"sha256:\\u0031"
		 "111111111111111111111111111111111"
		 "111111111111111111111111111111\"\n",
	    HDRB "digest = '" D1 "'\r\nplatform = 'linux/amd64'\r\nplatform_digest = '" D2 "'",
	};
	(void)state;
	for (size_t i = 0; i < SR_ARRAY_SIZE(texts); i++) {
		char *out = rewrite(texts[i], "a", D1, strstr(texts[i], "platform") ? D2 : NULL);
		assert_string_equal(out, texts[i]);
		free(out);
		out = rewrite_n(texts[i], NULL, 0);
		assert_string_equal(out, texts[i]);
		free(out);
	}
}

static void test_catalogue__rewrite_refuses_bad_updates(void **state)
{
	static const struct {
		struct cat_update ups[2];
		size_t n;
		const char *what;
	} cases[] = {
	    {{{"zz", D1, NULL}}, 1, "toolchain 'zz' is not in catalogue 't.toml'"},
	    {{{"a", D1, NULL}, {"a", D2, NULL}}, 2, "toolchain 'a' is updated twice"},
	    {{{"a", "sha256:1", NULL}}, 1, "invalid digest 'sha256:1'"},
	    {{{"a", D1, "x"}}, 1, "invalid platform_digest 'x'"},
	    {{{"a", D1, D2}}, 1, "toolchain 'a' has no platform"},
	    {{{"p", NULL, D2}}, 1, "toolchain 'p' has no digest"},
	};
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(
	    parse(&c,
		  HDRB
		  "[[image]]\ntoolchain_id = \"p\"\nbase = \"q\"\nplatform = \"linux/amd64\"\n",
		  &err),
	    0);
	for (size_t i = 0; i < SR_ARRAY_SIZE(cases); i++) {
		char *out = (char *)"untouched";
		size_t len = 7;
		sr_err_clear(&err);
		assert_int_equal(catalogue_rewrite(&out, &len, &c, cases[i].ups, cases[i].n, &err),
				 SR_EINVAL);
		if (!strstr(err.msg, cases[i].what))
			fail_msg("case %zu: want '%s', got '%s'", i, cases[i].what, err.msg);
		assert_null(out);
		assert_int_equal(len, 0);
	}
	catalogue_release(&c);
}

/* ---- rewrite against an independent oracle, on generated catalogues ----
 * The generator writes each file line by line together with the bytes the
 * rewrite must produce; every file is then parsed, rewritten, compared byte
 * for byte, and parsed again with all fields but the digests equal. */

struct gen {
	uint64_t rng;
	struct strbuf in, want;
	const char *first_eol;
	struct cat_update ups[4];
	char ids[4][16], dig[4][72], pdig[4][72];
	size_t nups;
};

static unsigned pick(struct gen *g, unsigned n)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return (unsigned)(g->rng % n);
}

static const char *pick_s(struct gen *g, const char *const *v, unsigned n)
{
	return v[pick(g, n)];
}

/* One "key = value" line into both texts; want gets new_value when given. */
struct gline {
	const char *indent, *key, *value, *new_value, *eol;
	char q;
};

static void emit_line(struct gen *g, const struct gline *l)
{
	static const char *const eqs[] = {" = ", "=", "\t=  ", " =\t"};
	static const char *const tails[] = {"", "", "  # note", "\t", "#x"};
	const char *eq = pick_s(g, eqs, 4), *tail = pick_s(g, tails, 5);

	strbuf_addf(&g->in, "%s%s%s%c%s%c%s%s", l->indent, l->key, eq, l->q, l->value, l->q, tail,
		    l->eol);
	strbuf_addf(&g->want, "%s%s%s%c%s%c%s%s", l->indent, l->key, eq, l->q,
		    l->new_value ? l->new_value : l->value, l->q, tail, l->eol);
	if (!g->first_eol && *l->eol)
		g->first_eol = l->eol;
}

/* The lines the rewrite inserts after a line ending in eol ("" at EOF). */
static void emit_inserted(struct gen *g, const char *indent, const char *eol, const char *key1,
			  const char *v1, const char *key2, const char *v2)
{
	const char *e = *eol ? eol : g->first_eol;

	if (!v1 && !v2)
		return;
	if (!*eol)
		strbuf_addstr(&g->want, e);
	if (v1)
		strbuf_addf(&g->want, "%s%s = \"%s\"%s", indent, key1, v1, e);
	if (v2)
		strbuf_addf(&g->want, "%s%s = \"%s\"%s", indent, key2, v2, e);
}

static void gen_file(struct gen *g, unsigned nentries)
{
	static const char *const indents[] = {"", "  ", "\t", " \t"};
	static const char *const eols[] = {"\n", "\r\n"};
	static const char *const headers[] = {"[[image]]", "[[ image ]]", "[[image]]  # entry",
					      "  [[\timage\t]]"};
	static const char *const pkgs[] = {"{}", "{ }", "{ a = \"1\", 'b.c' = '2' }",
					   "{\"x y\"='z'}"};
	static const char *const olds[] = {"", D3, D4};

	g->nups = 0;
	g->first_eol = NULL;
	strbuf_reset(&g->in);
	strbuf_reset(&g->want);
	if (pick(g, 2)) {
		const char *eol = pick_s(g, eols, 2);
		strbuf_addf(&g->in, "# generated%s", eol);
		strbuf_addf(&g->want, "# generated%s", eol);
		g->first_eol = eol;
	}
	for (unsigned i = 0; i < nentries; i++) {
		/* key order: a permutation of the present keys */
		const char *keys[7] = {"toolchain_id", "base"};
		unsigned nk = 2, has_digest = pick(g, 3), has_platform = pick(g, 2),
			 has_pd = has_platform && pick(g, 2);
		const char *old_d = has_digest ? pick_s(g, olds, 3) : "", *old_pd;
		bool up_d = pick(g, 4) != 0, up_pd, last_entry = i + 1 == nentries;
		const char *indent = pick_s(g, indents, 4), *hdr = pick_s(g, headers, 4);
		const char *hdr_eol = pick_s(g, eols, 2), *id = g->ids[i];
		char *new_d = NULL, *new_pd = NULL;

		/* a pinned platform_digest needs a pinned digest */
		old_pd = has_pd && *old_d ? pick_s(g, olds, 3) : "";
		up_pd = has_platform && (up_d || *old_d) && pick(g, 3) != 0;
		snprintf(g->ids[i], sizeof(g->ids[i]), "t%u", i);
		if (pick(g, 2))
			keys[nk++] = "toolchain";
		if (pick(g, 2))
			keys[nk++] = "packages";
		if (has_digest)
			keys[nk++] = "digest";
		if (has_platform)
			keys[nk++] = "platform";
		if (has_pd)
			keys[nk++] = "platform_digest";
		for (unsigned k = nk - 1; k > 0; k--) {
			unsigned j = pick(g, k + 1);
			const char *t = keys[k];
			keys[k] = keys[j];
			keys[j] = t;
		}
		if (up_d) {
			snprintf(g->dig[i], sizeof(g->dig[i]), "sha256:%064x", 0xa0 + i);
			new_d = g->dig[i];
		}
		if (up_pd) {
			snprintf(g->pdig[i], sizeof(g->pdig[i]), "sha256:%064x", 0xb0 + i);
			new_pd = g->pdig[i];
		}
		if (up_d || up_pd)
			g->ups[g->nups++] = (struct cat_update){id, new_d, new_pd};
		strbuf_addf(&g->in, "%s%s", hdr, hdr_eol);
		strbuf_addf(&g->want, "%s%s", hdr, hdr_eol);
		if (!g->first_eol)
			g->first_eol = hdr_eol;
		for (unsigned k = 0; k < nk; k++) {
			struct gline l = {indent, keys[k], NULL, NULL, pick_s(g, eols, 2), '"'};
			bool last_line = last_entry && k + 1 == nk;
			if (pick(g, 2))
				l.q = '\'';
			if (last_line && pick(g, 2))
				l.eol = "";
			if (!strcmp(l.key, "toolchain_id")) {
				l.value = id;
			} else if (!strcmp(l.key, "base")) {
				l.value = "registry.test:5000/img:1";
			} else if (!strcmp(l.key, "toolchain")) {
				l.value = "Free text # not a comment";
			} else if (!strcmp(l.key, "packages")) {
				const char *v = pick_s(g, pkgs, 4);
				strbuf_addf(&g->in, "%spackages = %s%s", indent, v, l.eol);
				strbuf_addf(&g->want, "%spackages = %s%s", indent, v, l.eol);
				continue;
			} else if (!strcmp(l.key, "digest")) {
				l.value = old_d;
				l.new_value = new_d;
			} else if (!strcmp(l.key, "platform")) {
				l.value = "linux/amd64";
			} else {
				l.value = old_pd;
				l.new_value = new_pd;
			}
			emit_line(g, &l);
			if (!strcmp(l.key, "base"))
				emit_inserted(g, indent, l.eol, "digest", has_digest ? NULL : new_d,
					      "platform_digest",
					      has_digest || has_pd ? NULL : new_pd);
			else if (!strcmp(l.key, "digest"))
				emit_inserted(g, indent, l.eol, "platform_digest",
					      has_pd ? NULL : new_pd, NULL, NULL);
			if (!last_line && !pick(g, 4)) {
				const char *eol = pick_s(g, eols, 2);
				strbuf_addf(&g->in, "%s# between%s", indent, eol);
				strbuf_addf(&g->want, "%s# between%s", indent, eol);
			}
		}
		if (!last_entry && pick(g, 2)) {
			strbuf_addstr(&g->in, "\n");
			strbuf_addstr(&g->want, "\n");
		}
	}
}

static void assert_same_entries(const struct catalogue *a, const struct catalogue *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t k = 0; k < a->n; k++) {
		const struct cat_entry *x = &a->entries[k], *y = &b->entries[k];
		assert_string_equal(x->toolchain_id, y->toolchain_id);
		assert_string_equal(x->base, y->base);
		assert_true((x->toolchain == NULL) == (y->toolchain == NULL));
		if (x->toolchain)
			assert_string_equal(x->toolchain, y->toolchain);
		assert_true((x->platform == NULL) == (y->platform == NULL));
		if (x->platform)
			assert_string_equal(x->platform, y->platform);
		assert_int_equal(x->pkg_names.nr, y->pkg_names.nr);
		for (size_t i = 0; i < x->pkg_names.nr; i++) {
			assert_string_equal(x->pkg_names.v[i], y->pkg_names.v[i]);
			assert_string_equal(x->pkg_versions.v[i], y->pkg_versions.v[i]);
		}
	}
}

static void test_catalogue__rewrite_matches_oracle_on_generated_files(void **state)
{
	struct gen g = {.rng = 0x9e3779b97f4a7c15ull, .in = STRBUF_INIT, .want = STRBUF_INIT};
	(void)state;
	for (unsigned round = 0; round < 3000; round++) {
		struct catalogue c, c2;
		struct sr_err err = SR_ERR_INIT;
		char *out;
		size_t len;

		gen_file(&g, 1 + pick(&g, 4));
		if (catalogue_parse(&c, "g.toml", g.in.buf, g.in.len, &err) != 0)
			fail_msg("round %u: generated file refused: %s\n%s", round, err.msg,
				 g.in.buf);
		if (catalogue_rewrite(&out, &len, &c, g.ups, g.nups, &err) != 0)
			fail_msg("round %u: rewrite refused: %s\n%s", round, err.msg, g.in.buf);
		if (len != g.want.len || memcmp(out, g.want.buf, len))
			fail_msg("round %u:\n--- input\n%s\n--- want\n%s\n--- got\n%s", round,
				 g.in.buf, g.want.buf, out);
		if (catalogue_parse(&c2, "g2.toml", out, len, &err) != 0)
			fail_msg("round %u: rewritten file refused: %s", round, err.msg);
		assert_same_entries(&c, &c2);
		for (size_t k = 0; k < c.n; k++) {
			const struct cat_entry *x = &c.entries[k], *y = &c2.entries[k];
			const struct cat_update *u = NULL;
			for (size_t i = 0; i < g.nups; i++)
				if (!strcmp(g.ups[i].toolchain_id, x->toolchain_id))
					u = &g.ups[i];
			assert_string_equal(y->digest, u && u->digest ? u->digest : x->digest);
			if (u && u->platform_digest)
				assert_string_equal(y->platform_digest, u->platform_digest);
			else if (x->platform_digest)
				assert_string_equal(y->platform_digest, x->platform_digest);
			else
				assert_null(y->platform_digest);
		}
		free(out);
		catalogue_release(&c);
		catalogue_release(&c2);
	}
	strbuf_release(&g.in);
	strbuf_release(&g.want);
}

/* ---- pin and verify ---- */

struct fake {
	int calls;
	const char *fail_base;	/* this base fails to resolve */
	const char *no_pd_base; /* this base resolves without a platform digest */
	const char *edit_path;	/* when set, the first call edits this file */
};

static int fake_resolve(void *ctx, const char *base, const char *platform, char **d, char **pd,
			struct sr_err *err)
{
	struct fake *f = ctx;

	f->calls++;
	if (f->edit_path) {
		FILE *fp = fopen(f->edit_path, "a");
		fputs("# edited meanwhile\n", fp);
		fclose(fp);
		f->edit_path = NULL;
	}
	if (f->fail_base && !strcmp(base, f->fail_base))
		return sr_err_set(err, SR_EFAIL, "manifest unknown for '%s'", base);
	if (strstr(base, "bogus")) {
		*d = xstrdup("sha256:nothex");
		return 0;
	}
	*d = xstrdup(strstr(base, "new") ? D2 : D1);
	if (platform && pd && !(f->no_pd_base && !strcmp(base, f->no_pd_base)))
		*pd = xstrdup(D3);
	return 0;
}

static char tmpdir[] = "/tmp/sandrun-cat-XXXXXX";

static int make_tmpdir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	return tu_remove_dir(tmpdir);
}

static char *write_tmp(const char *name, const char *text)
{
	return tu_temp_file(tmpdir, name, text);
}

static ino_t inode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

#define PIN_TEXT                                                                                   \
	"# catalogue under test\n"                                                                 \
	"[[image]]\ntoolchain_id = \"same\"\nbase = \"x:1\"\ndigest = \"" D1 "\"  # kept\n"        \
	"\n[[image]]\ntoolchain_id = \"broken\"\nbase = \"broken:1\"\n"                            \
	"\n[[image]]\r\n  toolchain_id = \"moved\"\r\n  base = 'new:1'\r\n"                        \
	"  platform = \"linux/amd64\"\r\n"

static void test_catalogue__pin_resolves_entries_independently(void **state)
{
	char *path = write_tmp("pin.toml", PIN_TEXT), *text;
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	struct strbuf lines = STRBUF_INIT;
	struct strvec changes = STRVEC_INIT;
	struct fake f = {.fail_base = "broken:1"};
	int nfailed = -1;
	(void)state;
	assert_int_equal(catalogue_load(&c, path, &err), 0);
	assert_int_equal(
	    catalogue_pin(&c, NULL, 0, fake_resolve, &f, &lines, &changes, &nfailed, &err), 0);
	assert_int_equal(f.calls, 3);
	assert_int_equal(nfailed, 1);
	assert_string_equal(lines.buf, "same: unchanged\n"
				       "broken: error: manifest unknown for 'broken:1'\n"
				       "moved: (none) -> " D2 "\n"
				       "moved: platform linux/amd64: (none) -> " D3 "\n");
	assert_int_equal(changes.nr, 1);
	assert_string_equal(changes.v[0], "moved: (none) -> " D2);
	/* c was reloaded from the rewritten file */
	assert_string_equal(catalogue_find(&c, "moved")->digest, D2);
	assert_string_equal(catalogue_find(&c, "moved")->platform_digest, D3);
	assert_string_equal(catalogue_find(&c, "broken")->digest, "");
	text = tu_slurp(path);
	assert_string_equal(text,
			    "# catalogue under test\n"
			    "[[image]]\ntoolchain_id = \"same\"\nbase = \"x:1\"\ndigest = \"" D1
			    "\"  # kept\n"
			    "\n[[image]]\ntoolchain_id = \"broken\"\nbase = \"broken:1\"\n"
			    "\n[[image]]\r\n  toolchain_id = \"moved\"\r\n  base = 'new:1'\r\n"
			    "  digest = \"" D2 "\"\r\n  platform_digest = \"" D3 "\"\r\n"
			    "  platform = \"linux/amd64\"\r\n");
	free(text);
	catalogue_release(&c);
	strbuf_release(&lines);
	strvec_clear(&changes);
	free(path);
}

static void test_catalogue__pin_rejects_unknown_id_before_resolving(void **state)
{
	char *path = write_tmp("unknown.toml", PIN_TEXT);
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	struct strbuf lines = STRBUF_INIT;
	struct strvec changes = STRVEC_INIT;
	struct fake f = {0};
	const char *ids[] = {"same", "nope"};
	int nfailed;
	(void)state;
	assert_int_equal(catalogue_load(&c, path, &err), 0);
	assert_int_equal(
	    catalogue_pin(&c, ids, 2, fake_resolve, &f, &lines, &changes, &nfailed, &err),
	    SR_EINVAL);
	assert_non_null(strstr(err.msg, "'nope'"));
	assert_int_equal(f.calls, 0);
	assert_int_equal(lines.len, 0);
	catalogue_release(&c);
	free(path);
}

static void test_catalogue__pin_only_selected_and_no_write_when_unchanged(void **state)
{
	char *path = write_tmp("sel.toml", PIN_TEXT), *text;
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	struct strbuf lines = STRBUF_INIT;
	struct strvec changes = STRVEC_INIT;
	struct fake f = {0};
	const char *ids[] = {"same"};
	ino_t before = inode_of(path);
	int nfailed;
	(void)state;
	assert_int_equal(catalogue_load(&c, path, &err), 0);
	assert_int_equal(
	    catalogue_pin(&c, ids, 1, fake_resolve, &f, &lines, &changes, &nfailed, &err), 0);
	assert_int_equal(f.calls, 1);
	assert_int_equal(nfailed, 0);
	assert_string_equal(lines.buf, "same: unchanged\n");
	assert_int_equal(changes.nr, 0);
	/* an atomic write would have replaced the inode */
	assert_int_equal(inode_of(path), before);
	text = tu_slurp(path);
	assert_string_equal(text, PIN_TEXT);
	free(text);
	catalogue_release(&c);
	strbuf_release(&lines);
	free(path);
}

static void test_catalogue__pin_keeps_digest_pairs_consistent(void **state)
{
	char *path =
	    write_tmp("pair.toml", "[[image]]\ntoolchain_id = \"m\"\nbase = \"new:1\"\n"
				   "digest = \"" D1 "\"\nplatform = \"linux/arm64\"\n"
				   "platform_digest = \"" D4 "\"\n"
				   "[[image]]\ntoolchain_id = \"b\"\nbase = \"bogus:1\"\n");
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	struct strbuf lines = STRBUF_INIT;
	struct strvec changes = STRVEC_INIT;
	struct fake f = {.no_pd_base = "new:1"};
	char *text;
	int nfailed;
	(void)state;
	assert_int_equal(catalogue_load(&c, path, &err), 0);
	/* a new list digest without its platform digest would pair D2 with D4 */
	assert_int_equal(
	    catalogue_pin(&c, NULL, 0, fake_resolve, &f, &lines, &changes, &nfailed, &err), 0);
	assert_int_equal(nfailed, 2);
	assert_string_equal(lines.buf,
			    "m: error: the resolver returned no digest for platform 'linux/arm64'\n"
			    "b: error: the resolver returned an invalid digest 'sha256:nothex'\n");
	text = tu_slurp(path);
	assert_memory_equal(text, c.text, c.len);
	free(text);
	/* with both digests, both move together */
	f.no_pd_base = NULL;
	strbuf_reset(&lines);
	assert_int_equal(catalogue_pin(&c, (const char *[]){"m"}, 1, fake_resolve, &f, &lines,
				       &changes, &nfailed, &err),
			 0);
	assert_string_equal(lines.buf,
			    "m: " D1 " -> " D2 "\nm: platform linux/arm64: " D4 " -> " D3 "\n");
	assert_string_equal(catalogue_find(&c, "m")->digest, D2);
	assert_string_equal(catalogue_find(&c, "m")->platform_digest, D3);
	catalogue_release(&c);
	strbuf_release(&lines);
	strvec_clear(&changes);
	free(path);
}

static void test_catalogue__pin_refuses_a_file_edited_meanwhile(void **state)
{
	char *path = write_tmp("edit.toml", PIN_TEXT), *text;
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	struct strbuf lines = STRBUF_INIT;
	struct strvec changes = STRVEC_INIT;
	struct fake f = {0};
	int nfailed;
	(void)state;
	assert_int_equal(catalogue_load(&c, path, &err), 0);
	f.edit_path = path;
	assert_int_equal(
	    catalogue_pin(&c, NULL, 0, fake_resolve, &f, &lines, &changes, &nfailed, &err),
	    SR_EFAIL);
	assert_non_null(strstr(err.msg, "changed on disk"));
	text = tu_slurp(path);
	assert_string_equal(text, PIN_TEXT "# edited meanwhile\n");
	free(text);
	catalogue_release(&c);
	strbuf_release(&lines);
	strvec_clear(&changes);
	free(path);
}

static int fake_check(void *ctx, const char *ref, struct sr_err *err)
{
	(void)ctx;
	if (strstr(ref, "gone"))
		return sr_err_set(err, SR_EFAIL, "not found");
	return 0;
}

static void test_catalogue__verify_reports_unpinned_and_drift(void **state)
{
	struct catalogue c;
	struct sr_err err = SR_ERR_INIT;
	struct strbuf lines = STRBUF_INIT;
	struct fake f = {.fail_base = "down:1"};
	int n = -1;
	(void)state;
	assert_int_equal(
	    parse(&c,
		  "[[image]]\ntoolchain_id = \"ok\"\nbase = \"x:1\"\ndigest = \"" D1 "\"\n"
		  "[[image]]\ntoolchain_id = \"loose\"\nbase = \"x:1\"\n"
		  "[[image]]\ntoolchain_id = \"drift\"\nbase = \"new:1\"\ndigest = \"" D1 "\"\n"
		  "[[image]]\ntoolchain_id = \"pdrift\"\nbase = \"x:2\"\ndigest = \"" D1 "\"\n"
		  "platform = \"linux/amd64\"\nplatform_digest = \"" D4 "\"\n"
		  "[[image]]\ntoolchain_id = \"half\"\nbase = \"x:3\"\ndigest = \"" D1 "\"\n"
		  "platform = \"linux/amd64\"\n"
		  "[[image]]\ntoolchain_id = \"down\"\nbase = \"down:1\"\ndigest = \"" D1 "\"\n"
		  "[[image]]\ntoolchain_id = \"gone\"\nbase = \"gone:1\"\ndigest = \"" D1 "\"\n",
		  &err),
	    0);
	/* without --pull: pins only, no resolver */
	assert_int_equal(catalogue_verify(&c, NULL, NULL, &f, &lines, &n, &err), 0);
	assert_int_equal(f.calls, 0);
	assert_int_equal(n, 2);
	assert_string_equal(lines.buf, "ok: ok " D1 "\nloose: unpinned\ndrift: ok " D1
				       "\npdrift: ok " D1 "\nhalf: platform linux/amd64 unpinned\n"
				       "down: ok " D1 "\ngone: ok " D1 "\n");
	strbuf_reset(&lines);
	assert_int_equal(catalogue_verify(&c, fake_check, fake_resolve, &f, &lines, &n, &err), 0);
	assert_int_equal(n, 6);
	assert_string_equal(lines.buf,
			    "ok: ok " D1 " (tag unchanged)\n"
			    "loose: unpinned\n"
			    "drift: drift: pinned " D1 ", tag now " D2 "\n"
			    "pdrift: drift: platform linux/amd64 pinned " D4 ", now " D3 "\n"
			    "half: platform linux/amd64 unpinned\n"
			    "down: error: cannot resolve tag 'down:1': manifest unknown for "
			    "'down:1'\n"
			    "gone: pin not resolvable: gone:1@" D1 ": not found\n");
	catalogue_release(&c);
	strbuf_release(&lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_catalogue__parses_scanner_style_entries),
	    cmocka_unit_test(test_catalogue__parses_the_repository_catalogue),
	    cmocka_unit_test(test_catalogue__empty_and_comment_only_files_are_empty),
	    cmocka_unit_test(test_catalogue__decodes_escapes_and_literal_strings),
	    cmocka_unit_test(test_catalogue__accepts_crlf_spacing_and_quoted_keys),
	    cmocka_unit_test(test_catalogue__entry_ref_uses_the_pin),
	    cmocka_unit_test(test_catalogue__validates_references_and_digests),
	    cmocka_unit_test(test_catalogue__rejects_malformed_input_with_position),
	    cmocka_unit_test(test_catalogue__rejects_duplicate_id),
	    cmocka_unit_test(test_catalogue__load_reports_missing_file_as_invalid),
	    cmocka_unit_test(test_catalogue__rewrite_replaces_value_keeping_quotes_and_comments),
	    cmocka_unit_test(test_catalogue__rewrite_inserts_missing_digest_after_base),
	    cmocka_unit_test(test_catalogue__rewrite_keeps_packages_inline_tables),
	    cmocka_unit_test(test_catalogue__rewrite_handles_platform_digests),
	    cmocka_unit_test(test_catalogue__rewrite_of_unchanged_values_is_byte_identical),
	    cmocka_unit_test(test_catalogue__rewrite_refuses_bad_updates),
	    cmocka_unit_test(test_catalogue__rewrite_matches_oracle_on_generated_files),
	    cmocka_unit_test(test_catalogue__pin_resolves_entries_independently),
	    cmocka_unit_test(test_catalogue__pin_rejects_unknown_id_before_resolving),
	    cmocka_unit_test(test_catalogue__pin_only_selected_and_no_write_when_unchanged),
	    cmocka_unit_test(test_catalogue__pin_keeps_digest_pairs_consistent),
	    cmocka_unit_test(test_catalogue__pin_refuses_a_file_edited_meanwhile),
	    cmocka_unit_test(test_catalogue__verify_reports_unpinned_and_drift),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
