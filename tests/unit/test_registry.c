/* The registry client's pure parts (issue 22): image references and Docker
 * Hub's rules, WWW-Authenticate challenges, token answers, Retry-After,
 * sha256 against known vectors, index platforms, base64, and credentials
 * from a docker config (auths, identity tokens, credHelpers through a
 * helper script); and lib/proc's stdin input the helpers need. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalogue/imageref.h"
#include "catalogue/regauth.h"
#include "catalogue/reghttp.h"
#include "catalogue/regproto.h"
#include "lib/fsutil.h"
#include "lib/proc.h"

static void ref_is(const char *s, const char *domain, const char *host, const char *repo,
		   const char *tag, const char *digest)
{
	struct image_ref r;
	struct sr_err err = SR_ERR_INIT;

	assert_int_equal(image_ref_parse(&r, s, &err), 0);
	assert_string_equal(r.domain, domain);
	assert_string_equal(r.host, host);
	assert_string_equal(r.repo, repo);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (digest)
		assert_string_equal(r.digest, digest);
	else
		assert_null(r.digest);
	image_ref_release(&r);
}

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_imageref__docker_hub_rules_and_any_host(void **state)
{
	(void)state;
	ref_is("ubuntu", "docker.io", "registry-1.docker.io", "library/ubuntu", "latest", NULL);
	ref_is("ubuntu:22.04", "docker.io", "registry-1.docker.io", "library/ubuntu", "22.04",
	       NULL);
	ref_is("docker.io/library/ubuntu", "docker.io", "registry-1.docker.io", "library/ubuntu",
	       "latest", NULL);
	ref_is("index.docker.io/gcr/oss-fuzz:v1", "docker.io", "registry-1.docker.io",
	       "gcr/oss-fuzz", "v1", NULL);
	ref_is("owner/img", "docker.io", "registry-1.docker.io", "owner/img", "latest", NULL);
	ref_is("ghcr.io/o/i:t", "ghcr.io", "ghcr.io", "o/i", "t", NULL);
	ref_is("127.0.0.1:5000/sandrun/busybox:latest", "127.0.0.1:5000", "127.0.0.1:5000",
	       "sandrun/busybox", "latest", NULL);
	ref_is("localhost/x", "localhost", "localhost", "x", "latest", NULL);
	ref_is("reg.example:443/a/b/c@" D64, "reg.example:443", "reg.example:443", "a/b/c", NULL,
	       D64);
	ref_is("reg.example/a:t@" D64, "reg.example", "reg.example", "a", "t", D64);
	ref_is("[::1]:5000/x:y", "[::1]:5000", "[::1]:5000", "x", "y", NULL);
	ref_is("gcr.io/oss-fuzz-base/base-builder__x", "gcr.io", "gcr.io",
	       "oss-fuzz-base/base-builder__x", "latest", NULL);
}

static void test_imageref__invalid_references_are_named(void **state)
{
	const char *bad[] = {
	    "Ubuntu", "a//b", "x:bad tag", "x@sha256:abc", "-a/b", "a/b/", "reg.example:port/x",
	    "x:",     "x:-t", ""};
	(void)state;
	for (size_t i = 0; i < SR_ARRAY_SIZE(bad); i++) {
		struct image_ref r;
		struct sr_err err = SR_ERR_INIT;
		assert_int_equal(image_ref_parse(&r, bad[i], &err), SR_EINVAL);
		assert_non_null(strstr(err.msg, "image reference"));
	}
}

static void test_imageref__cred_key_and_loopback(void **state)
{
	struct image_ref r;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(image_ref_parse(&r, "busybox", &err), 0);
	assert_string_equal(image_ref_cred_key(&r), "https://index.docker.io/v1/");
	image_ref_release(&r);
	assert_int_equal(image_ref_parse(&r, "ghcr.io/a/b", &err), 0);
	assert_string_equal(image_ref_cred_key(&r), "ghcr.io");
	image_ref_release(&r);
	assert_true(image_host_is_loopback("127.0.0.1:5000"));
	assert_true(image_host_is_loopback("127.8.9.1"));
	assert_true(image_host_is_loopback("localhost:80"));
	assert_true(image_host_is_loopback("[::1]:5000"));
	assert_false(image_host_is_loopback("128.0.0.1:5000"));
	assert_false(image_host_is_loopback("localhost.example.com"));
	assert_false(image_host_is_loopback("ghcr.io"));
}

static void test_challenge__bearer_basic_and_quoting(void **state)
{
	struct reg_challenge ch;
	(void)state;
	assert_int_equal(reg_challenge_parse("Bearer realm=\"https://auth.docker.io/token\","
					     "service=\"registry.docker.io\",scope=\"repository:"
					     "library/ubuntu:pull,push\"",
					     &ch),
			 0);
	assert_string_equal(ch.scheme, "bearer");
	assert_string_equal(ch.realm, "https://auth.docker.io/token");
	assert_string_equal(ch.service, "registry.docker.io");
	assert_string_equal(ch.scope, "repository:library/ubuntu:pull,push");
	assert_int_equal(reg_challenge_parse("Basic realm=\"Registry Realm\"", &ch), 0);
	assert_string_equal(ch.scheme, "basic");
	assert_string_equal(ch.realm, "Registry Realm");
	/* Unquoted values, odd spacing, escapes; a second challenge ignored. */
	assert_int_equal(reg_challenge_parse("  BEARER  realm = https://t/x , service=s\\\"q, "
					     "Basic realm=\"other\"",
					     &ch),
			 0);
	assert_string_equal(ch.scheme, "bearer");
	assert_string_equal(ch.realm, "https://t/x");
	assert_string_equal(ch.service, "s\\\"q");
	assert_int_equal(reg_challenge_parse("", &ch), SR_EINVAL);
	assert_int_equal(reg_challenge_parse("=x", &ch), SR_EINVAL);
}

static void test_token__token_or_access_token_and_expiry(void **state)
{
	char *t;
	long exp;
	(void)state;
	assert_int_equal(reg_token_parse("{\"token\":\"abc\",\"expires_in\":300}", 32, &t, &exp),
			 0);
	assert_string_equal(t, "abc");
	assert_int_equal(exp, 300);
	free(t);
	const char *b = "{\"access_token\":\"xyz\",\"expires_in\":5}";
	assert_int_equal(reg_token_parse(b, strlen(b), &t, &exp), 0);
	assert_string_equal(t, "xyz");
	assert_int_equal(exp, 60); /* the spec's minimum */
	free(t);
	assert_int_equal(reg_token_parse("{}", 2, &t, &exp), SR_EFAIL);
	assert_null(t);
	assert_int_equal(reg_token_parse("not json", 8, &t, &exp), SR_EFAIL);
}

static void test_retry_after__seconds_and_http_date(void **state)
{
	time_t now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */
	(void)state;
	assert_int_equal(reg_retry_after_ms("5", now), 5000);
	assert_int_equal(reg_retry_after_ms(" 0 ", now), 0);
	assert_int_equal(reg_retry_after_ms("Tue, 14 Nov 2023 22:13:30 GMT", now), 10000);
	assert_int_equal(reg_retry_after_ms("Tue, 14 Nov 2023 22:00:00 GMT", now), 0);
	assert_int_equal(reg_retry_after_ms("soon", now), -1);
	assert_int_equal(reg_retry_after_ms("5x", now), -1);
	assert_int_equal(reg_retry_after_ms(NULL, now), -1);
	/* Found by fuzz_registry: no overflow, a year at most. */
	assert_int_equal(reg_retry_after_ms("9223372036854775807", now), 86400LL * 366 * 1000);
}

static void test_error_text__first_error_printable(void **state)
{
	char out[64];
	const char *b = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest "
			"unknown\"},{\"code\":\"X\"}]}";
	(void)state;
	reg_error_text(b, strlen(b), out, sizeof(out));
	assert_string_equal(out, "MANIFEST_UNKNOWN: manifest unknown");
	reg_error_text("<html>", 6, out, sizeof(out));
	assert_string_equal(out, "");
	b = "{\"errors\":[{\"message\":\"a\\u0007b\"}]}";
	reg_error_text(b, strlen(b), out, sizeof(out));
	assert_string_equal(out, "a?b");
}

static void test_sha256__known_vectors(void **state)
{
	char d[72];
	(void)state;
	reg_sha256_digest("", 0, d);
	assert_string_equal(
	    d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	reg_sha256_digest("abc", 3, d);
	assert_string_equal(
	    d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	reg_sha256_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	assert_string_equal(
	    d, "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* A full sha256 digest's hex part: 64 times the letter x. */
#define H16(x) #x #x #x #x #x #x #x #x #x #x #x #x #x #x #x #x
#define H64(x) H16(x) H16(x) H16(x) H16(x)

static const char INDEX[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
    "\"manifests\":["
    "{\"digest\":\"sha256:" H64(
	a) "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	   "{\"digest\":\"sha256:" H64(
	       b) "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
		  "\"variant\":\"v7\"}},"
		  "{\"digest\":\"sha256:" H64(
		      c) "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
			 "{\"digest\":\"sha256:" H64(
			     d) "\",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}}"
				"]}";

static void test_index__platform_variant_and_missing(void **state)
{
	struct sr_err err = SR_ERR_INIT;
	char *d;
	(void)state;
	assert_int_equal(reg_index_platform(INDEX, strlen(INDEX), "i", "linux/amd64", &d, &err), 0);
	assert_string_equal(d, "sha256:" H64(a));
	free(d);
	assert_int_equal(reg_index_platform(INDEX, strlen(INDEX), "i", "linux/arm/v7", &d, &err),
			 0);
	assert_string_equal(d, "sha256:" H64(b));
	free(d);
	/* arm64's v8 is usually left out of the index. */
	assert_int_equal(reg_index_platform(INDEX, strlen(INDEX), "i", "linux/arm64/v8", &d, &err),
			 0);
	assert_string_equal(d, "sha256:" H64(c));
	free(d);
	assert_int_equal(reg_index_platform(INDEX, strlen(INDEX), "i", "linux/arm/v6", &d, &err),
			 SR_EFAIL);
	assert_non_null(strstr(err.msg, "no manifest for platform 'linux/arm/v6'"));
	assert_int_equal(reg_index_platform("{}", 2, "i", "linux/amd64", &d, &err), SR_EFAIL);
	assert_non_null(strstr(err.msg, "not a manifest list"));
	/* A hostile index: the matching entry's digest is not a sha256. */
	static const char bad[] = "{\"manifests\":[{\"digest\":\"sha256:aa\\n[[image]]\","
				  "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
	assert_int_equal(reg_index_platform(bad, strlen(bad), "i", "linux/amd64", &d, &err),
			 SR_EFAIL);
	assert_non_null(strstr(err.msg, "no valid sha256 digest"));
	assert_int_equal(reg_index_platform(INDEX, strlen(INDEX), "i", "linux", &d, &err),
			 SR_EINVAL);
	assert_true(reg_is_index_type("application/vnd.docker.distribution.manifest.list.v2+json"));
	assert_false(reg_is_index_type("application/vnd.oci.image.manifest.v1+json"));
}

static void test_base64__round_trip_and_bad_input(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *out;
	size_t n;
	(void)state;
	sr_base64_encode(&sb, "user:pa$$", 9);
	assert_string_equal(sb.buf, "dXNlcjpwYSQk");
	assert_int_equal(sr_base64_decode(sb.buf, sb.len, &out, &n), 0);
	assert_int_equal(n, 9);
	assert_string_equal(out, "user:pa$$");
	free(out);
	strbuf_reset(&sb);
	sr_base64_encode(&sb, "ab", 2);
	assert_string_equal(sb.buf, "YWI=");
	assert_int_equal(sr_base64_decode("YWI=", 4, &out, &n), 0);
	assert_string_equal(out, "ab");
	free(out);
	assert_int_equal(sr_base64_decode("YW!=", 4, &out, &n), SR_EINVAL);
	assert_int_equal(sr_base64_decode("YW=I", 4, &out, &n), SR_EINVAL);
	strbuf_release(&sb);
}

static int lookup(struct reg_cred *c, const char *key, const char *json, struct sr_err *err)
{
	return regauth_lookup_in(c, key, "config.json", json, strlen(json), err);
}

static void test_regauth__auths_forms(void **state)
{
	struct reg_cred c;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	/* "u:p:w" -> user u, password "p:w" (the first colon splits). */
	assert_int_equal(lookup(&c, "reg.example:5000",
				"{\"auths\":{\"reg.example:5000\":{\"auth\":\"dTpwOnc=\"}}}", &err),
			 0);
	assert_string_equal(c.user, "u");
	assert_string_equal(c.secret, "p:w");
	assert_false(c.identity);
	assert_string_equal(c.source, "auths");
	reg_cred_release(&c);
	/* Keys written as URLs match the host; Docker Hub's key. */
	assert_int_equal(lookup(&c, "https://index.docker.io/v1/",
				"{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dTpw\"}}}",
				&err),
			 0);
	assert_string_equal(c.user, "u");
	reg_cred_release(&c);
	assert_int_equal(lookup(&c, "https://index.docker.io/v1/",
				"{\"auths\":{\"docker.io\":{\"auth\":\"dTpw\"}}}", &err),
			 0);
	assert_string_equal(c.user, "u");
	reg_cred_release(&c);
	assert_int_equal(
	    lookup(&c, "ghcr.io", "{\"auths\":{\"https://ghcr.io\":{\"auth\":\"dTpw\"}}}", &err),
	    0);
	assert_string_equal(c.secret, "p");
	reg_cred_release(&c);
	assert_int_equal(lookup(&c, "ghcr.io",
				"{\"auths\":{\"ghcr.io\":{\"identitytoken\":\"refresh-me\"}}}",
				&err),
			 0);
	assert_true(c.identity);
	assert_string_equal(c.secret, "refresh-me");
	reg_cred_release(&c);
	/* None configured: anonymous. */
	assert_int_equal(lookup(&c, "quay.io", "{\"auths\":{\"ghcr.io\":{}}}", &err), 0);
	assert_null(c.user);
	/* A broken auth is an error that does not repeat it. */
	assert_int_equal(lookup(&c, "x.io", "{\"auths\":{\"x.io\":{\"auth\":\"c2VjcmV0\"}}}", &err),
			 SR_EFAIL);
	assert_null(strstr(err.msg, "c2VjcmV0"));
	assert_null(strstr(err.msg, "secret"));
	assert_null(c.user);
}

/* A docker-credential-srunit helper in a temp dir put first on PATH. */
static char *helper_dir(const char *script)
{
	char tmpl[] = "/tmp/sandrun-regauth.XXXXXX", *dir, *path, *newpath;
	FILE *f;

	dir = xstrdup(mkdtemp(tmpl));
	path = xasprintf("%s/docker-credential-srunit", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
	chmod(path, 0755);
	newpath = xasprintf("%s:%s", dir, getenv("PATH"));
	setenv("PATH", newpath, 1);
	free(newpath);
	free(path);
	return dir;
}

static void test_regauth__cred_helpers_protocol(void **state)
{
	const char *oldpath = getenv("PATH");
	char *saved = xstrdup(oldpath ? oldpath : "/usr/bin:/bin");
	struct reg_cred c;
	struct sr_err err = SR_ERR_INIT;
	char *dir =
	    helper_dir("#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread -r url\n"
		       "case $url in\n"
		       "reg.example) echo '{\"ServerURL\":\"reg.example\",\"Username\":\"hu\","
		       "\"Secret\":\"hs\"}' ;;\n"
		       "tok.example) echo '{\"Username\":\"<token>\",\"Secret\":\"idt\"}' ;;\n"
		       "bad.example) echo 'leak-me'; exit 2 ;;\n"
		       "*) echo 'credentials not found in native keychain'; exit 1 ;;\nesac\n");
	(void)state;
	assert_int_equal(lookup(&c, "reg.example",
				"{\"credHelpers\":{\"reg.example\":\"srunit\"},\"auths\":{\"reg."
				"example\":{\"auth\":\"dTpw\"}}}",
				&err),
			 0);
	assert_string_equal(c.user, "hu");
	assert_string_equal(c.secret, "hs");
	assert_string_equal(c.source, "credHelpers 'srunit'");
	reg_cred_release(&c);
	assert_int_equal(lookup(&c, "tok.example", "{\"credsStore\":\"srunit\"}", &err), 0);
	assert_true(c.identity);
	assert_string_equal(c.secret, "idt");
	assert_string_equal(c.source, "credsStore 'srunit'");
	reg_cred_release(&c);
	/* Not found in the store: the auths entry, else anonymous. */
	assert_int_equal(lookup(&c, "other.example",
				"{\"credsStore\":\"srunit\",\"auths\":{\"other.example\":{\"auth\":"
				"\"dTpw\"}}}",
				&err),
			 0);
	assert_string_equal(c.user, "u");
	reg_cred_release(&c);
	assert_int_equal(lookup(&c, "other.example", "{\"credsStore\":\"srunit\"}", &err), 0);
	assert_null(c.user);
	/* A failing helper is an error naming it, not what it printed. */
	assert_int_equal(lookup(&c, "bad.example", "{\"credsStore\":\"srunit\"}", &err), SR_EFAIL);
	assert_non_null(strstr(err.msg, "docker-credential-srunit"));
	assert_null(strstr(err.msg, "leak-me"));
	assert_int_equal(lookup(&c, "x", "{\"credsStore\":\"no-such-helper-srunit\"}", &err),
			 SR_EFAIL);
	setenv("PATH", saved, 1);
	free(saved);
	fs_remove_tree(dir);
	free(dir);
}

static void test_reghttp__plain_http_only_loopback_or_named(void **state)
{
	struct reghttp_cfg c;
	char host[64];
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	reghttp_init(&c);
	assert_true(reghttp_plain_ok(&c, "127.0.0.1:5000"));
	assert_true(reghttp_plain_ok(&c, "localhost:5000"));
	assert_false(reghttp_plain_ok(&c, "registry.corp:5000"));
	strvec_push(&c.plain_ok, "registry.corp:5000");
	assert_true(reghttp_plain_ok(&c, "registry.corp:5000"));
	assert_false(reghttp_plain_ok(&c, "registry.corp"));
	strvec_push(&c.plain_ok, "10.20.0.0/16");
	assert_true(reghttp_plain_ok(&c, "10.20.3.4:5000"));
	assert_false(reghttp_plain_ok(&c, "10.21.3.4:5000"));
	reghttp_release(&c);
	reghttp_url_host("https://auth.docker.io/token?x=1", host, sizeof(host));
	assert_string_equal(host, "auth.docker.io");
	reghttp_url_host("http://127.0.0.1:5000", host, sizeof(host));
	assert_string_equal(host, "127.0.0.1:5000");
	reghttp_escape(&sb, "repository:a/b:pull");
	assert_string_equal(sb.buf, "repository%3Aa%2Fb%3Apull");
	strbuf_release(&sb);
}

static void test_proc__input_reaches_stdin(void **state)
{
	char *argv[] = {"cat", NULL};
	struct proc_opts o = {.argv = argv, .input = "one\ntwo", .input_len = 7};
	struct proc_result res;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(proc_run(&o, &res, &err), 0);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(res.out.buf, "one\ntwo");
	proc_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_imageref__docker_hub_rules_and_any_host),
	    cmocka_unit_test(test_imageref__invalid_references_are_named),
	    cmocka_unit_test(test_imageref__cred_key_and_loopback),
	    cmocka_unit_test(test_challenge__bearer_basic_and_quoting),
	    cmocka_unit_test(test_token__token_or_access_token_and_expiry),
	    cmocka_unit_test(test_retry_after__seconds_and_http_date),
	    cmocka_unit_test(test_error_text__first_error_printable),
	    cmocka_unit_test(test_sha256__known_vectors),
	    cmocka_unit_test(test_index__platform_variant_and_missing),
	    cmocka_unit_test(test_base64__round_trip_and_bad_input),
	    cmocka_unit_test(test_regauth__auths_forms),
	    cmocka_unit_test(test_regauth__cred_helpers_protocol),
	    cmocka_unit_test(test_reghttp__plain_http_only_loopback_or_named),
	    cmocka_unit_test(test_proc__input_reaches_stdin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
