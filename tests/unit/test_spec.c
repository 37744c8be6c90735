/* Harness specs: every key of DESIGN §4 parsed and validated, defaults,
 * "file:line:col" errors for malformed input, paths kept inside the suite,
 * and discovery order. Files are written to a fresh temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/spec/spec.h"

static char tmp_root[PATH_MAX]; /* realpath of the test's temporary directory */

static void xmkdir(const char *rel)
{
	char *p = xasprintf("%s/%s", tmp_root, rel);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
	free(p);
}

/* Write text to tmp_root/rel; returns the full path (owned by the caller). */
static char *write_file_n(const char *rel, const char *text, size_t len)
{
	char *p = xasprintf("%s/%s", tmp_root, rel);
	FILE *f = fopen(p, "wb");
	if (!f)
		fail_msg("fopen %s: %s", p, strerror(errno));
	if (len && fwrite(text, 1, len, f) != len)
		fail_msg("fwrite %s", p);
	fclose(f);
	return p;
}

static char *write_file(const char *rel, const char *text)
{
	return write_file_n(rel, text, strlen(text));
}

static void xsymlink(const char *target, const char *rel)
{
	char *p = xasprintf("%s/%s", tmp_root, rel);
	if (symlink(target, p) < 0)
		fail_msg("symlink %s: %s", p, strerror(errno));
	free(p);
}

static char *tpath(const char *rel)
{
	return xasprintf("%s/%s", tmp_root, rel);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_spec.XXXXXX";
	(void)state;
	if (!mkdtemp(tmpl) || !realpath(tmpl, tmp_root))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Load rel (written with text) and expect success. */
static void load_ok(struct spec *s, const char *rel, const char *text)
{
	struct sr_err err = SR_ERR_INIT;
	char *p = write_file(rel, text);
	int rc = spec_load(s, p, &err);
	if (rc != 0)
		fail_msg("%s: unexpected error: %s", rel, err.msg);
	free(p);
}

/* Load rel and expect SR_EINVAL with "<path>:<pos> " and a message holding
 * what. Returns nonzero on mismatch (with a diagnostic printed). */
static int load_bad(const char *rel, const char *text, size_t len, const char *pos,
		    const char *what)
{
	struct sr_err err = SR_ERR_INIT;
	struct spec s;
	char *p = write_file_n(rel, text, len);
	char *prefix = xasprintf("%s:%s ", p, pos);
	int rc = spec_load(&s, p, &err), bad = 0;

	if (rc != SR_EINVAL || err.code != SR_EINVAL) {
		print_error("%s: want SR_EINVAL, got %d (%s)\n", rel, rc, err.msg);
		bad = 1;
		if (!rc)
			spec_release(&s);
	} else if (strncmp(err.msg, prefix, strlen(prefix))) {
		print_error("%s: want prefix '%s', got '%s'\n", rel, prefix, err.msg);
		bad = 1;
	} else if (!strstr(err.msg, what)) {
		print_error("%s: want '%s' in '%s'\n", rel, what, err.msg);
		bad = 1;
	}
	free(prefix);
	free(p);
	return bad;
}

static void test_spec__names_round_trip(void **state)
{
	static const char *const words[] = {"error", "confirmed", "crash",
					    "oom",   "timeout",	  "not_confirmed"};
	(void)state;
	for (size_t i = 0; i < SR_ARRAY_SIZE(words); i++) {
		assert_int_equal(outcome_from_name(words[i]), (int)i);
		assert_string_equal(outcome_name((enum outcome)i), words[i]);
	}
	assert_int_equal(outcome_from_name("pwned"), OUTCOME_NONE);
	assert_int_equal(outcome_from_name(""), OUTCOME_NONE);
	assert_string_equal(outcome_name(OUTCOME_NONE), "none");
	assert_string_equal(net_policy_name(NET_NONE), "none");
	assert_string_equal(net_policy_name(NET_OOB), "oob");
	assert_string_equal(net_policy_name(NET_STUBS), "stubs");
	assert_string_equal(net_policy_name(NET_OPEN), "open");
	assert_string_equal(stub_kind_name(STUB_HTTP), "http");
	assert_string_equal(stub_kind_name(STUB_SQL), "sql");
	assert_string_equal(stub_kind_name(STUB_REDIS), "redis");
	assert_string_equal(stub_kind_name(STUB_TCP), "tcp");
	assert_string_equal(stub_kind_name(STUB_FS), "fs");
	assert_string_equal(stub_kind_scheme(STUB_HTTP), "http");
	assert_string_equal(stub_kind_scheme(STUB_SQL), "postgres");
	assert_string_equal(stub_kind_scheme(STUB_REDIS), "redis");
	assert_string_equal(stub_kind_scheme(STUB_TCP), "tcp");
	assert_null(stub_kind_scheme(STUB_FS));
}

static void test_spec__parses_every_key(void **state)
{
	static const char text[] =
	    "# every key of DESIGN section 4\n"
	    "name: cmdi-ping\n"
	    "toolchain: busybox\n"
	    "workdir: ./ping\n"
	    "command: [\"sh\", \"/work/run.sh\", \"\"]\n"
	    "env: {MODE: \"strict\", PORT: 8080, _x1: \"\"}\n"
	    "timeout: 10s\n"
	    "limits: {memory: 256m, cpus: 1.5, pids: 128, tmpfs: 32m, disk: 1g, output: 4096}\n"
	    "network: stubs\n"
	    "stubs:\n"
	    "  - {name: api,   kind: http,  status: 201, body: \"ok\"}\n"
	    "  - {name: db,    kind: sql}\n"
	    "  - {name: cache, kind: redis}\n"
	    "  - {name: raw,   kind: tcp, body: \"+OK\\r\\n\"}\n"
	    "  - {name: etc,   kind: fs, path: ./fixtures/etc}\n"
	    "  - {name: bare,  kind: http}\n"
	    "payloads:\n"
	    "  - {name: exploit, value: \"127.0.0.1; wget -qO- $SANDRUN_OOB_URL\", expect: "
	    "confirmed}\n"
	    "  - {name: benign,  value: \"127.0.0.1\", expect: not_confirmed}\n"
	    "  - {value: 42}\n"
	    "  - {value: true, name: B.2_x}\n"
	    "  - value: |\n"
	    "      line one\n"
	    "      line two\n"
	    "oracle:\n"
	    "  oob: true\n"
	    "  stub: {name: db, contains: \"' OR '1'='1\", regex: \"^SELECT .*\"}\n"
	    "  stdout: \"__SANDRUN_SINK_HIT__\"\n"
	    "  stderr: AddressSanitizer\n"
	    "  exit_code: [3, 0, 255]\n"
	    "  crash: true\n"
	    "  files: \"out/crash-*\"\n"
	    "expect: confirmed\n"
	    "repeat: 3\n";
	struct spec s;
	char *dir = tpath("full");
	char *work, *etc;
	(void)state;

	xmkdir("full");
	xmkdir("full/ping");
	xmkdir("full/fixtures");
	xmkdir("full/fixtures/etc");
	work = tpath("full/ping");
	etc = tpath("full/fixtures/etc");
	load_ok(&s, "full/cmdi.yaml", text);

	assert_string_equal(s.dir, dir);
	assert_true(strstr(s.path, "full/cmdi.yaml") != NULL);
	assert_string_equal(s.name, "cmdi-ping");
	assert_string_equal(s.toolchain, "busybox");
	assert_int_equal(s.toolchain_line, 3);
	assert_int_equal(s.toolchain_col, 12);
	assert_string_equal(s.workdir, work);
	assert_int_equal(s.command.nr, 3);
	assert_string_equal(s.command.v[0], "sh");
	assert_string_equal(s.command.v[1], "/work/run.sh");
	assert_string_equal(s.command.v[2], "");
	assert_null(s.command.v[3]);
	assert_int_equal(s.env_keys.nr, 3);
	assert_int_equal(s.env_vals.nr, 3);
	assert_string_equal(s.env_keys.v[0], "MODE");
	assert_string_equal(s.env_vals.v[0], "strict");
	assert_string_equal(s.env_keys.v[1], "PORT");
	assert_string_equal(s.env_vals.v[1], "8080");
	assert_string_equal(s.env_keys.v[2], "_x1");
	assert_string_equal(s.env_vals.v[2], "");
	assert_int_equal(s.timeout_ms, 10000);
	assert_int_equal(s.limits.memory, 256u << 20);
	assert_true(s.limits.cpus == 1.5);
	assert_int_equal(s.limits.pids, 128);
	assert_int_equal(s.limits.tmpfs, 32u << 20);
	assert_int_equal(s.limits.disk, 1u << 30);
	assert_int_equal(s.limits.output, 4096);
	assert_int_equal(s.network, NET_STUBS);

	assert_int_equal(s.nstubs, 6);
	assert_string_equal(s.stubs[0].name, "api");
	assert_int_equal(s.stubs[0].kind, STUB_HTTP);
	assert_int_equal(s.stubs[0].status, 201);
	assert_string_equal(s.stubs[0].body, "ok");
	assert_null(s.stubs[0].path);
	assert_string_equal(s.stubs[1].name, "db");
	assert_int_equal(s.stubs[1].kind, STUB_SQL);
	assert_null(s.stubs[1].body);
	assert_string_equal(s.stubs[2].name, "cache");
	assert_int_equal(s.stubs[2].kind, STUB_REDIS);
	assert_string_equal(s.stubs[3].name, "raw");
	assert_int_equal(s.stubs[3].kind, STUB_TCP);
	assert_string_equal(s.stubs[3].body, "+OK\r\n");
	assert_string_equal(s.stubs[4].name, "etc");
	assert_int_equal(s.stubs[4].kind, STUB_FS);
	assert_string_equal(s.stubs[4].path, etc);
	assert_string_equal(s.stubs[5].name, "bare");
	assert_int_equal(s.stubs[5].status, 200);
	assert_string_equal(s.stubs[5].body, "");

	assert_true(s.has_payloads);
	assert_int_equal(s.npayloads, 5);
	assert_string_equal(s.payloads[0].name, "exploit");
	assert_string_equal(s.payloads[0].value, "127.0.0.1; wget -qO- $SANDRUN_OOB_URL");
	assert_int_equal(s.payloads[0].expect, OUTCOME_CONFIRMED);
	assert_string_equal(s.payloads[1].name, "benign");
	assert_int_equal(s.payloads[1].expect, OUTCOME_NOT_CONFIRMED);
	assert_string_equal(s.payloads[2].name, "p3");
	assert_string_equal(s.payloads[2].value, "42");
	assert_int_equal(s.payloads[2].expect, OUTCOME_NONE);
	assert_string_equal(s.payloads[3].name, "B.2_x");
	assert_string_equal(s.payloads[3].value, "true");
	assert_string_equal(s.payloads[4].name, "p5");
	assert_string_equal(s.payloads[4].value, "line one\nline two\n");

	assert_true(s.oracle.oob);
	assert_string_equal(s.oracle.stub_name, "db");
	assert_string_equal(s.oracle.stub_contains, "' OR '1'='1");
	assert_string_equal(s.oracle.stub_regex, "^SELECT .*");
	assert_string_equal(s.oracle.stdout_sub, "__SANDRUN_SINK_HIT__");
	assert_string_equal(s.oracle.stderr_sub, "AddressSanitizer");
	assert_int_equal(s.oracle.n_exit_codes, 3);
	assert_int_equal(s.oracle.exit_codes[0], 3);
	assert_int_equal(s.oracle.exit_codes[1], 0);
	assert_int_equal(s.oracle.exit_codes[2], 255);
	assert_true(s.oracle.crash);
	assert_string_equal(s.oracle.files, "out/crash-*");
	assert_int_equal(s.expect, OUTCOME_CONFIRMED);
	assert_int_equal(s.repeat, 3);

	spec_release(&s);
	spec_release(&s); /* released specs are empty and may be released again */
	free(dir);
	free(work);
	free(etc);
}

static void test_spec__applies_defaults(void **state)
{
	struct spec s;
	(void)state;

	xmkdir("defaults");
	load_ok(&s, "defaults/sqli-login.yaml", "toolchain: python-3.12\ncommand: [python3]\n");
	assert_string_equal(s.name, "sqli-login");
	assert_null(s.workdir);
	assert_int_equal(s.timeout_ms, 60000);
	assert_int_equal(s.limits.memory, 512u << 20);
	assert_true(s.limits.cpus == 1);
	assert_int_equal(s.limits.pids, 256);
	assert_int_equal(s.limits.tmpfs, 64u << 20);
	assert_int_equal(s.limits.disk, 256u << 20);
	assert_int_equal(s.limits.output, 1u << 20);
	assert_int_equal(s.network, NET_NONE);
	assert_int_equal(s.nstubs, 0);
	assert_int_equal(s.env_keys.nr, 0);
	assert_int_equal(s.expect, OUTCOME_NONE);
	assert_int_equal(s.repeat, 1);
	assert_false(s.has_payloads);
	assert_int_equal(s.npayloads, 1);
	assert_string_equal(s.payloads[0].name, "");
	assert_string_equal(s.payloads[0].value, "");
	assert_int_equal(s.payloads[0].expect, OUTCOME_NONE);
	assert_false(s.oracle.oob);
	assert_false(s.oracle.crash);
	assert_null(s.oracle.stub_name);
	assert_null(s.oracle.stdout_sub);
	assert_int_equal(s.oracle.n_exit_codes, 0);
	spec_release(&s);

	/* .yml stem; a single exit code; integer timeout in seconds; tags ignored;
	 * an explicit document with a "..." end marker. */
	load_ok(&s, "defaults/fuzz.png.yml",
		"--- !harness\ntoolchain: !!str busybox\ncommand: [\"true\"]\ntimeout: 5\n"
		"oracle: {exit_code: 7}\nlimits: {memory: 268435456, cpus: 2}\n...\n");
	assert_string_equal(s.name, "fuzz.png");
	assert_string_equal(s.toolchain, "busybox");
	assert_int_equal(s.timeout_ms, 5000);
	assert_int_equal(s.oracle.n_exit_codes, 1);
	assert_int_equal(s.oracle.exit_codes[0], 7);
	assert_int_equal(s.limits.memory, 268435456);
	assert_true(s.limits.cpus == 2);
	spec_release(&s);

	/* any extension: the stem is the whole base name */
	load_ok(&s, "defaults/plain.spec",
		"toolchain: busybox\ncommand: [\"true\"]\ntimeout: 2m\n");
	assert_string_equal(s.name, "plain.spec");
	assert_int_equal(s.timeout_ms, 120000);
	spec_release(&s);
}

static void test_spec__parses_from_memory(void **state)
{
	static const char text[] = "toolchain: busybox\ncommand: [\"true\"]\nworkdir: .\n";
	struct sr_err err = SR_ERR_INIT;
	struct spec s;
	(void)state;

	assert_int_equal(spec_parse(&s, "mem/x.yaml", tmp_root, text, strlen(text), &err), 0);
	assert_string_equal(s.name, "x");
	assert_string_equal(s.dir, tmp_root);
	assert_string_equal(s.workdir, tmp_root);
	spec_release(&s);

	/* not NUL-terminated: only len bytes count */
	assert_int_equal(
	    spec_parse(&s, "mem/y.yaml", tmp_root, "toolchain: a\ncommand: [b]\nzz", 26, &err), 0);
	assert_string_equal(s.command.v[0], "b");
	spec_release(&s);

	assert_int_equal(spec_parse(&s, "mem/z.yaml", "/nonexistent/dir", text, strlen(text), &err),
			 SR_EINVAL);
	assert_true(!strncmp(err.msg, "mem/z.yaml:1:1: ", 16));
}

static void test_spec__repeat_takes_runs_and_confirm(void **state)
{
	static const char plain[] = "toolchain: a\ncommand: [b]\nrepeat: 4\n";
	static const char kn[] = "toolchain: a\ncommand: [b]\nrepeat: {runs: 5, confirm: 3}\n";
	static const char nk[] = "toolchain: a\ncommand: [b]\nrepeat: {runs: 5}\n";
	struct sr_err err = SR_ERR_INIT;
	struct spec s;
	(void)state;

	assert_int_equal(spec_parse(&s, "m/a.yaml", tmp_root, plain, strlen(plain), &err), 0);
	assert_int_equal(s.repeat, 4);
	assert_int_equal(s.confirm, 1);
	spec_release(&s);
	assert_int_equal(spec_parse(&s, "m/b.yaml", tmp_root, kn, strlen(kn), &err), 0);
	assert_int_equal(s.repeat, 5);
	assert_int_equal(s.confirm, 3);
	spec_release(&s);
	assert_int_equal(spec_parse(&s, "m/c.yaml", tmp_root, nk, strlen(nk), &err), 0);
	assert_int_equal(s.repeat, 5);
	assert_int_equal(s.confirm, 1);
	spec_release(&s);
}

static void test_spec__accepts_ordinary_regexes(void **state)
{
	static const char *const ok[] = {
	    "^SELECT .*",
	    "[[:alpha:]]+ OR [0-9]{1,3}",
	    "(a|b)+c{2,5}",
	    "[]a-z]+\\)",
	    "((union|select)[ ]+)+from",
	    "a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q+r+s+t+u+v+w+x+y+z+",
	    "x{1000}",
	};
	(void)state;
	for (size_t i = 0; i < SR_ARRAY_SIZE(ok); i++) {
		struct sr_err err = SR_ERR_INIT;
		struct strbuf sb = STRBUF_INIT;
		struct spec s;

		strbuf_addstr(&sb,
			      "toolchain: a\ncommand: [b]\nnetwork: stubs\n"
			      "stubs: [{name: db, kind: sql}]\noracle: {stub: {name: db, regex: '");
		strbuf_addstr(&sb, ok[i]);
		strbuf_addstr(&sb, "'}}\n");
		if (spec_parse(&s, "re.yaml", tmp_root, sb.buf, sb.len, &err) < 0)
			fail_msg("regex '%s' refused: %s", ok[i], err.msg);
		assert_string_equal(s.oracle.stub_regex, ok[i]);
		spec_release(&s);
		strbuf_release(&sb);
	}
}

struct bad_case {
	const char *what;
	const char *text;
	const char *pos; /* "line:col:" */
	const char *msg; /* substring of the message */
};

#define BASE  "toolchain: busybox\ncommand: [\"true\"]\n"
#define STUBS BASE "network: stubs\n"

static const struct bad_case bad_cases[] = {
    {"unknown key", BASE "colour: blue\n", "3:1:", "unknown key 'colour' in the spec"},
    {"unknown key with a newline", BASE "\"a\\nb\\tc\": 1\n", "3:1:", "unknown key 'a?b?c'"},
    {"duplicate key", BASE "toolchain: busybox\n", "3:1:", "duplicate key 'toolchain'"},
    {"missing toolchain", "# c\ncommand: [\"true\"]\n", "2:1:", "missing required key 'toolchain'"},
    {"missing command", "toolchain: busybox\ntimeout: 5s\n",
     "1:1:", "missing required key 'command'"},
    {"root is a list", "- toolchain: busybox\n", "1:1:", "a spec must be a mapping, not a list"},
    {"root is a scalar", "\n\nhello\n", "3:1:", "a spec must be a mapping, not a scalar"},
    {"empty file", "", "1:1:", "empty spec"},
    {"only comments", "# nothing\n# here\n", "1:1:", "empty spec"},
    {"yaml syntax", "toolchain: busybox\ncommand: [\"true\"\nexpect: confirmed\n",
     "3:1:", "invalid YAML: did not find expected ',' or ']'"},
    {"bad indentation", "toolchain: busybox\n  command: [x]\n", "2:10:", "invalid YAML"},
    {"two documents", BASE "---\n" BASE, "3:1:", "one YAML document"},
    {"anchor", "toolchain: &t busybox\ncommand: [\"true\"]\n",
     "1:12:", "anchors and aliases are not allowed"},
    {"alias bomb", "a: &a [x, x]\nb: [*a, *a]\n", "1:4:", "anchors and aliases"},
    {"alias", BASE "env: {A: *x}\n", "3:10:", "anchors and aliases"},
    {"non-scalar key", "[a]: b\n" BASE, "1:1:", "keys of the spec must be strings"},
    {"NUL escape in a string", BASE "name: \"a\\0b\"\n", "3:7:", "NUL"},
    {"bad name", BASE "name: \"has space\"\n", "3:7:", "name 'has space' must match"},
    {"name starts with a dash", BASE "name: -x\n", "3:7:", "must match"},
    {"empty toolchain", "command: [\"true\"]\ntoolchain: \"\"\n",
     "2:12:", "'toolchain' must not be empty"},
    {"toolchain is a list", "command: [\"true\"]\ntoolchain: [a]\n",
     "2:12:", "'toolchain' must be a string, not a list"},
    {"command is a number", "toolchain: busybox\ncommand: 42\n",
     "2:10:", "'command' must be a non-empty list of strings"},
    {"command empty", "toolchain: busybox\ncommand: []\n", "2:10:", "non-empty list"},
    {"command is a string", "toolchain: busybox\ncommand: \"sh -c x\"\n",
     "2:10:", "non-empty list"},
    {"command item a mapping", "toolchain: busybox\ncommand: [\"a\", {b: c}]\n",
     "2:16:", "'command' items must be strings, not a mapping"},
    {"command item null", "toolchain: busybox\ncommand:\n  - a\n  -\n",
     "4:4:", "'command' items must be strings, not null"},
    {"command starts empty", "toolchain: busybox\ncommand: [\"\", x]\n",
     "2:11:", "must not start with an empty string"},
    {"env not a mapping", BASE "env: [A]\n", "3:6:", "'env' must be a mapping"},
    {"env bad name", BASE "env: {1BAD: x}\n", "3:7:", "invalid env name '1BAD'"},
    {"env name with dash", BASE "env: {A-B: x}\n", "3:7:", "invalid env name 'A-B'"},
    {"env reserved", BASE "env:\n  SANDRUN_TOKEN: x\n", "4:3:", "reserved for the runner"},
    {"env duplicate", BASE "env: {A: x, A: y}\n", "3:13:", "duplicate env name 'A'"},
    {"env value a list", BASE "env: {A: [1]}\n", "3:10:", "env value of 'A' must be a string"},
    {"env value null", BASE "env: {A: ~}\n", "3:10:", "not null"},
    {"bad duration", BASE "timeout: 10 parsecs\n", "3:10:", "positive duration"},
    {"zero timeout", BASE "timeout: 0\n", "3:10:", "positive duration"},
    {"negative timeout", BASE "timeout: -5s\n", "3:10:", "positive duration"},
    {"timeout a list", BASE "timeout: [1]\n", "3:10:", "positive duration"},
    {"limits not a mapping", BASE "limits: 1g\n", "3:9:", "'limits' must be a mapping"},
    {"bad size", BASE "limits: {memory: lots}\n",
     "3:18:", "'limits.memory' must be a positive size"},
    {"memory too small", BASE "limits: {memory: 1m}\n", "3:18:", "at least 6m"},
    {"unknown limit", BASE "limits: {memory: 64m, swap: 1g}\n",
     "3:23:", "unknown key 'swap' in limits"},
    {"duplicate limit", BASE "limits: {pids: 1, pids: 2}\n", "3:19:", "duplicate key 'pids'"},
    {"cpus negative", BASE "limits: {cpus: -1}\n", "3:16:", "'limits.cpus' must be a number"},
    {"cpus zero", BASE "limits: {cpus: 0}\n", "3:16:", "above 0"},
    {"cpus quoted", BASE "limits: {cpus: \"2\"}\n", "3:16:", "must be a number"},
    {"cpus exponent", BASE "limits: {cpus: 1e3}\n", "3:16:", "must be a number"},
    {"pids zero", BASE "limits: {pids: 0}\n", "3:16:", "'limits.pids' must be between 1"},
    {"pids fraction", BASE "limits: {pids: 1.5}\n", "3:16:", "must be an integer"},
    {"pids huge", BASE "limits: {pids: 99999999999999999999999}\n", "3:16:", "between"},
    {"zero tmpfs", BASE "limits: {tmpfs: 0}\n", "3:17:", "positive size"},
    {"bad disk unit", BASE "limits: {disk: 5x}\n", "3:16:", "positive size"},
    {"bad output", BASE "limits: {output: {}}\n", "3:18:", "positive size"},
    {"bad network", BASE "network: everywhere\n", "3:10:", "unknown network policy 'everywhere'"},
    {"network a list", BASE "network: [oob]\n", "3:10:", "'network' must be a string"},
    {"stubs without network", BASE "stubs: [{name: db, kind: sql}]\n",
     "3:8:", "stubs need 'network: stubs' or 'network: oob'"},
    {"stubs with network open", BASE "network: open\nstubs: [{name: db, kind: sql}]\n",
     "4:8:", "stubs need"},
    {"stubs not a list", STUBS "stubs: {name: db}\n", "4:8:", "'stubs' must be a list"},
    {"stub not a mapping", STUBS "stubs: [db]\n", "4:9:", "a stub must be a mapping"},
    {"stub bad kind", STUBS "stubs: [{name: db, kind: mongodb}]\n",
     "4:26:", "unknown stub kind 'mongodb'"},
    {"stub missing kind", STUBS "stubs: [{name: db}]\n", "4:9:", "missing required key 'kind'"},
    {"stub missing name", STUBS "stubs: [{kind: sql}]\n", "4:9:", "missing required key 'name'"},
    {"stub bad name", STUBS "stubs: [{name: DB, kind: sql}]\n",
     "4:16:", "stub name 'DB' must match [a-z0-9_-]+"},
    {"stub name with a dot", STUBS "stubs: [{name: a.b, kind: sql}]\n", "4:16:", "must match"},
    {"stub duplicate", STUBS "stubs: [{name: db, kind: sql}, {name: db, kind: redis}]\n",
     "4:39:", "duplicate stub name 'db'"},
    {"stub env clash", STUBS "stubs: [{name: a-b, kind: sql}, {name: a_b, kind: tcp}]\n",
     "4:40:", "clashes with 'a-b'"},
    {"stub unknown key", STUBS "stubs: [{name: db, kind: sql, port: 5432}]\n",
     "4:31:", "unknown key 'port' in a stub"},
    {"status out of range", STUBS "stubs: [{name: api, kind: http, status: 700}]\n",
     "4:41:", "'status' must be between 100 and 599"},
    {"status a string", STUBS "stubs: [{name: api, kind: http, status: ok}]\n",
     "4:41:", "'status' must be an integer"},
    {"status on sql", STUBS "stubs: [{name: db, kind: sql, status: 200}]\n",
     "4:39:", "'status' is only for http stubs"},
    {"body on redis", STUBS "stubs: [{name: c, kind: redis, body: x}]\n",
     "4:38:", "'body' is only for http and tcp stubs"},
    {"body a mapping", STUBS "stubs: [{name: api, kind: http, body: {a: b}}]\n",
     "4:39:", "'body' must be a string"},
    {"path on http", STUBS "stubs: [{name: api, kind: http, path: .}]\n",
     "4:39:", "'path' is only for fs stubs"},
    {"fs stub without path", STUBS "stubs: [{name: etc, kind: fs}]\n",
     "4:9:", "missing required key 'path' in fs stub 'etc'"},
    {"fs stub absolute path", STUBS "stubs: [{name: etc, kind: fs, path: /etc}]\n",
     "4:37:", "path '/etc' must be relative"},
    {"fs stub path escapes", STUBS "stubs: [{name: etc, kind: fs, path: ../../etc}]\n",
     "4:37:", "path '../../etc' escapes the suite"},
    {"fs stub path missing", STUBS "stubs: [{name: etc, kind: fs, path: ./nope}]\n",
     "4:37:", "path './nope' does not exist"},
    {"payloads not a list", BASE "payloads: {value: x}\n", "3:11:", "'payloads' must be a list"},
    {"payloads empty", BASE "payloads: []\n", "3:11:", "'payloads' must not be empty"},
    {"payload unknown key", BASE "payloads:\n  - {name: a, value: \"x\", colour: red}\n",
     "4:27:", "unknown key 'colour' in a payload"},
    {"payload not a mapping", BASE "payloads: [x]\n", "3:12:", "a payload must be a mapping"},
    {"payload missing value", BASE "payloads: [{name: a}]\n",
     "3:12:", "missing required key 'value' in payload 'a'"},
    {"payload value a list", BASE "payloads: [{value: [1]}]\n",
     "3:20:", "payload 'value' must be a string"},
    {"payload duplicate", BASE "payloads: [{name: a, value: x}, {name: a, value: y}]\n",
     "3:40:", "duplicate payload name 'a'"},
    {"payload default name clash", BASE "payloads: [{name: p2, value: x}, {value: y}]\n",
     "3:34:", "duplicate payload name 'p2'"},
    {"payload bad name", BASE "payloads: [{name: \"a/b\", value: x}]\n",
     "3:19:", "payload name 'a/b' must match"},
    {"payload bad expect", BASE "payloads: [{value: x, expect: pwned}]\n",
     "3:31:", "unknown outcome 'pwned'"},
    {"bad expect", BASE "expect: pwned\n", "3:9:", "unknown outcome 'pwned' for 'expect'"},
    {"expect a list", BASE "expect: [crash]\n", "3:9:", "'expect' must be an outcome"},
    {"repeat zero", BASE "repeat: 0\n", "3:9:", "'repeat' must be between 1 and 1000"},
    {"repeat too many", BASE "repeat: 1001\n", "3:9:", "between 1 and 1000"},
    {"repeat quoted", BASE "repeat: \"2\"\n", "3:9:", "'repeat' must be an integer"},
    {"repeat word", BASE "repeat: twice\n", "3:9:", "must be an integer, got 'twice'"},
    {"repeat trailing junk", BASE "repeat: 2x\n", "3:9:", "got '2x'"},
    {"repeat confirm above runs", BASE "repeat: {runs: 2, confirm: 3}\n",
     "3:28:", "repeat.confirm (3) must not exceed repeat.runs (2)"},
    {"repeat confirm zero", BASE "repeat: {runs: 2, confirm: 0}\n",
     "3:28:", "'repeat.confirm' must be between 1 and 1000"},
    {"repeat mapping without runs", BASE "repeat: {confirm: 1}\n",
     "3:9:", "missing required key 'repeat.runs'"},
    {"repeat unknown key", BASE "repeat: {runs: 2, k: 1}\n", "3:19:", "unknown key 'k' in repeat"},
    {"oracle not a mapping", BASE "oracle: stdout\n", "3:9:", "'oracle' must be a mapping"},
    {"oracle unknown key", BASE "oracle: {stdin: x}\n", "3:10:", "unknown key 'stdin' in oracle"},
    {"exit code a string", BASE "oracle: {exit_code: \"three\"}\n",
     "3:21:", "'oracle.exit_code' must be an integer"},
    {"exit code out of range", BASE "oracle: {exit_code: [1, 256]}\n",
     "3:25:", "between 0 and 255"},
    {"exit code list empty", BASE "oracle: {exit_code: []}\n", "3:21:", "at least one code"},
    {"exit code mapping", BASE "oracle: {exit_code: {a: 1}}\n", "3:21:", "must be an integer"},
    {"crash not a bool", BASE "oracle: {crash: maybe}\n",
     "3:17:", "'oracle.crash' must be true or false"},
    {"oob quoted", BASE "network: oob\noracle: {oob: \"true\"}\n", "4:15:", "true or false"},
    {"oob without network", BASE "oracle: {oob: true}\n",
     "3:15:", "the oob oracle needs 'network: oob' or 'network: stubs'"},
    {"oob with network open", BASE "network: open\noracle:\n  oob: yes\n",
     "5:8:", "the oob oracle needs"},
    {"stdout empty", BASE "oracle: {stdout: \"\"}\n", "3:18:", "'oracle.stdout' must not be empty"},
    {"stderr a list", BASE "oracle: {stderr: [a]}\n",
     "3:18:", "'oracle.stderr' must be a string, not a list"},
    {"files absolute", BASE "oracle: {files: /etc/*}\n",
     "3:17:", "'oracle.files' must be a glob under /work"},
    {"files climbs out", BASE "oracle: {files: \"out/../../x\"}\n", "3:17:", "glob under /work"},
    {"stub oracle undeclared",
     STUBS "stubs: [{name: db, kind: sql}]\noracle: {stub: {name: api, contains: x}}\n",
     "5:23:", "'oracle.stub' names undeclared stub 'api'"},
    {"stub oracle on fs stub",
     STUBS "stubs: [{name: etc, kind: fs, path: .}]\noracle: {stub: {name: etc, regex: x}}\n",
     "5:23:", "fs stub 'etc'"},
    {"stub oracle without matcher",
     STUBS "stubs: [{name: db, kind: sql}]\noracle: {stub: {name: db}}\n",
     "5:16:", "needs 'contains' or 'regex'"},
    {"stub oracle without name", STUBS "stubs: [{name: db, kind: sql}]\noracle: {stub: {}}\n",
     "5:16:", "missing required key 'name' in oracle.stub"},
    {"stub oracle unknown key",
     STUBS "stubs: [{name: db, kind: sql}]\noracle: {stub: {name: db, equals: x}}\n",
     "5:27:", "unknown key 'equals' in oracle.stub"},
    {"stub oracle bad regex",
     STUBS "stubs: [{name: db, kind: sql}]\noracle: {stub: {name: db, regex: \"(\"}}\n",
     "5:34:", "invalid regex '('"},
    {"stub oracle regex blow-up",
     STUBS "stubs: [{name: db, kind: sql}]\noracle: {stub: {name: db, regex: "
	   "\"((a{100}){100}){100}\"}}\n",
     "5:34:", "too costly to compile"},
    {"stub oracle stacked plus",
     STUBS "stubs: [{name: db, kind: sql}]\noracle: {stub: {name: db, regex: "
	   "x+++++++++++++++++++++++}}\n",
     "5:34:", "too costly to compile"},
    {"stub oracle back-reference",
     STUBS "stubs: [{name: db, kind: sql}]\noracle: {stub: {name: db, regex: \"(a*)*\\\\1\"}}\n",
     "5:34:", "uses a back-reference"},
    {"stub oracle with network oob",
     BASE "network: oob\nstubs: [{name: db, kind: sql}]\noracle: {stub: {name: db, contains: "
	  "x}}\n",
     "5:16:", "the stub oracle needs 'network: stubs'"},
    {"workdir absolute", BASE "workdir: /etc\n",
     "3:10:", "workdir '/etc' must be relative to the spec's directory"},
    {"workdir escapes", BASE "workdir: ./../x\n", "3:10:", "workdir './../x' escapes the suite"},
    {"workdir escapes deep", BASE "workdir: a/../../../x\n", "3:10:", "escapes the suite"},
    {"workdir missing", BASE "workdir: ./nope\n", "3:10:", "workdir './nope' does not exist"},
    {"workdir empty", BASE "workdir: \"\"\n", "3:10:", "'workdir' must be a path"},
    {"workdir is a file", BASE "workdir: ./wd-file\n", "3:10:", "is not a directory"},
};

static void test_spec__rejects_malformed_specs(void **state)
{
	int failures = 0;
	char *f;
	(void)state;

	xmkdir("bad");
	f = write_file("bad/wd-file", "not a directory\n");
	free(f);
	assert_true(SR_ARRAY_SIZE(bad_cases) >= 25);
	for (size_t i = 0; i < SR_ARRAY_SIZE(bad_cases); i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "bad/case-%03zu.yaml", i);
		if (load_bad(rel, bad_cases[i].text, strlen(bad_cases[i].text), bad_cases[i].pos,
			     bad_cases[i].msg)) {
			print_error("  ^ case '%s'\n", bad_cases[i].what);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_spec__rejects_binary_input(void **state)
{
	static const char nul[] = "toolchain: busybox\ncommand: [x]\0\n";
	static const char bad_utf8[] = "toolchain: busybox\ncommand: [\"\xff\"]\n";
	int failures = 0;
	(void)state;

	xmkdir("bin");
	failures += load_bad("bin/nul.yaml", nul, sizeof(nul) - 1, "2:13:", "NUL byte");
	failures += load_bad("bin/utf8.yaml", bad_utf8, sizeof(bad_utf8) - 1,
			     "2:12:", "invalid leading UTF-8 octet (0xff)");
	assert_int_equal(failures, 0);
}

static void test_spec__rejects_deep_and_huge_documents(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	int failures;
	(void)state;

	xmkdir("deep");
	strbuf_addstr(&sb, BASE "env: ");
	for (int i = 0; i < 200; i++)
		strbuf_addch(&sb, '[');
	for (int i = 0; i < 200; i++)
		strbuf_addch(&sb, ']');
	strbuf_addch(&sb, '\n');
	failures = load_bad("deep/nest.yaml", sb.buf, sb.len, "3:38:", "nesting too deep");
	strbuf_reset(&sb);
	/* 30000 list items: refused once the node budget (20000) runs out */
	strbuf_addstr(&sb, "toolchain: busybox\ncommand:\n");
	for (int i = 0; i < 30000; i++)
		strbuf_addstr(&sb, "- x\n");
	failures += load_bad("deep/wide.yaml", sb.buf, sb.len, "19998:3:", "document too large");
	strbuf_release(&sb);
	assert_int_equal(failures, 0);
}

static void test_spec__missing_file_is_invalid(void **state)
{
	struct sr_err err = SR_ERR_INIT;
	struct spec s;
	char *p = tpath("no-such.yaml");
	char *want = xasprintf("cannot open '%s': No such file or directory", p);
	(void)state;

	assert_int_equal(spec_load(&s, p, &err), SR_EINVAL);
	assert_int_equal(err.code, SR_EINVAL);
	assert_string_equal(err.msg, want);
	free(want);
	free(p);

	p = tpath("");
	assert_int_equal(spec_load(&s, p, &err), SR_EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file (a directory)"));
	free(p);
}

static void test_spec__workdir_resolves_inside_the_suite(void **state)
{
	struct spec s;
	char *want;
	(void)state;

	xmkdir("suite");
	xmkdir("suite/h");
	xmkdir("suite/h/work");
	xsymlink("work", "suite/h/alias");

	/* a symlink that stays inside the spec's directory tree is fine */
	load_ok(&s, "suite/h/a.yaml", BASE "workdir: alias/.\n");
	want = tpath("suite/h/work");
	assert_string_equal(s.workdir, want);
	free(want);
	spec_release(&s);

	/* "." and a path with ".." that stays inside are fine */
	load_ok(&s, "suite/h/b.yaml", BASE "workdir: work/../work\n");
	want = tpath("suite/h/work");
	assert_string_equal(s.workdir, want);
	free(want);
	spec_release(&s);
	load_ok(&s, "suite/h/c.yaml", BASE "workdir: .\n");
	want = tpath("suite/h");
	assert_string_equal(s.workdir, want);
	free(want);
	spec_release(&s);
}

static void test_spec__corpus_stays_inside_the_suite(void **state)
{
	static const struct bad_case cases[] = {
	    {"dot-dot", BASE "corpus: ../shared\n", "3:9:", "escapes the suite"},
	    {"deep dot-dot", BASE "corpus: a/../../x\n", "3:9:", "escapes the suite"},
	    {"absolute", BASE "corpus: /tmp/c\n", "3:9:", "must be relative"},
	    {"symlink out", BASE "corpus: to-shared\n", "3:9:", "below the spec's directory"},
	    {"symlink out, missing below", BASE "corpus: to-root/tmp/new\n",
	     "3:9:", "below the spec's directory"},
	    {"the spec's own directory", BASE "corpus: .\n", "3:9:", "below the spec's directory"},
	    {"a file", BASE "corpus: file\n", "3:9:", "is not a directory"},
	    {"not a string", BASE "corpus: [a]\n", "3:9:", "must be a directory"},
	};
	struct spec s;
	char *f, *want;
	int failures = 0;
	(void)state;

	xmkdir("cor");
	xmkdir("cor/shared");
	xmkdir("cor/h");
	xmkdir("cor/h/have");
	free(write_file("cor/h/file", "x"));
	xsymlink("../shared", "cor/h/to-shared");
	xsymlink("/", "cor/h/to-root");
	for (size_t i = 0; i < SR_ARRAY_SIZE(cases); i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "cor/h/case-%zu.yaml", i);
		if (load_bad(rel, cases[i].text, strlen(cases[i].text), cases[i].pos,
			     cases[i].msg)) {
			print_error("  ^ case '%s'\n", cases[i].what);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
	/* An existing directory, and one the first night will create. */
	load_ok(&s, "cor/h/ok1.yaml", BASE "corpus: have\n");
	want = tpath("cor/h/have");
	assert_string_equal(s.corpus, want);
	free(want);
	spec_release(&s);
	load_ok(&s, "cor/h/ok2.yaml", BASE "corpus: ./nights/fuzz\n");
	want = tpath("cor/h/nights/fuzz");
	assert_string_equal(s.corpus, want);
	free(want);
	spec_release(&s);
	f = tpath("cor/h/nights");
	assert_int_equal(access(f, F_OK), -1); /* validation creates nothing */
	free(f);
}

static void test_spec__refuses_path_escapes(void **state)
{
	static const struct bad_case cases[] = {
	    {"dot-dot", BASE "workdir: ../shared\n", "3:10:", "escapes the suite"},
	    {"absolute", BASE "workdir: /tmp\n", "3:10:", "must be relative"},
	    {"symlink to a sibling", BASE "workdir: to-shared\n",
	     "3:10:", "workdir 'to-shared' escapes the suite (resolves to '"},
	    {"symlink to /", BASE "workdir: to-root/tmp\n", "3:10:", "escapes the suite"},
	    {"symlink chain", BASE "workdir: hop\n", "3:10:", "escapes the suite"},
	    {"fs stub via symlink", STUBS "stubs: [{name: etc, kind: fs, path: to-shared/f}]\n",
	     "4:37:", "path 'to-shared/f' escapes the suite"},
	    {"fs stub dangling", STUBS "stubs: [{name: etc, kind: fs, path: dangling}]\n",
	     "4:37:", "does not exist"},
	};
	int failures = 0;
	char *f;
	(void)state;

	xmkdir("esc");
	xmkdir("esc/shared");
	xmkdir("esc/h");
	f = write_file("esc/shared/f", "x");
	free(f);
	xsymlink("../shared", "esc/h/to-shared");
	xsymlink("/", "esc/h/to-root");
	xsymlink("to-shared", "esc/h/hop");
	xsymlink("gone", "esc/h/dangling");
	for (size_t i = 0; i < SR_ARRAY_SIZE(cases); i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "esc/h/case-%zu.yaml", i);
		if (load_bad(rel, cases[i].text, strlen(cases[i].text), cases[i].pos,
			     cases[i].msg)) {
			print_error("  ^ case '%s'\n", cases[i].what);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* Discovery of one tree, given as various args. */
static void discover_ok(struct strvec *out, const char *const *args, size_t n)
{
	struct sr_err err = SR_ERR_INIT;
	if (spec_discover(out, args, n, &err) != 0)
		fail_msg("spec_discover: %s", err.msg);
}

static void test_spec__discovers_sorted_and_deduplicated(void **state)
{
	static const char *const files[] = {
	    "disc/b.yaml",	     "disc/a.yml",	    "disc/B.yaml",
	    "disc/sub/c.yaml",	     "disc/sub/notes.txt",  "disc/sub/d.YAML",
	    "disc/z.yaml.bak",	     "disc/.hidden/h.yaml", "disc/sub/.e.yaml",
	    "disc/sub/deeper/f.yml", "other/o.yaml",	    "disc/x.json",
	};
	static const char *const want[] = {
	    "disc/B.yaml",	"disc/a.yml",	   "disc/b.yaml",	    "disc/link.yaml",
	    "disc/sub/.e.yaml", "disc/sub/c.yaml", "disc/sub/deeper/f.yml",
	};
	struct strvec out = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	char *disc = tpath("disc"), *slash = tpath("disc/"), *dot_b, *json;
	const char *args[4];
	(void)state;

	xmkdir("disc");
	xmkdir("disc/sub");
	xmkdir("disc/sub/deeper");
	xmkdir("disc/.hidden");
	xmkdir("other");
	for (size_t i = 0; i < SR_ARRAY_SIZE(files); i++)
		free(write_file(files[i], "toolchain: busybox\ncommand: [\"true\"]\n"));
	xsymlink("../other", "disc/linked-dir");  /* not followed */
	xsymlink("sub/c.yaml", "disc/link.yaml"); /* a spec of its own */
	xsymlink("nowhere.yaml", "disc/dangling.yaml");

	args[0] = disc;
	discover_ok(&out, args, 1);
	assert_int_equal(out.nr, SR_ARRAY_SIZE(want));
	for (size_t i = 0; i < SR_ARRAY_SIZE(want); i++) {
		char *w = tpath(want[i]);
		assert_string_equal(out.v[i], w);
		free(w);
	}
	assert_null(out.v[out.nr]);
	strvec_clear(&out);

	/* the same tree twice, with a trailing slash, plus files already in it
	 * under another spelling, plus a file with any extension */
	dot_b = xasprintf("%s/sub/../b.yaml", disc);
	json = tpath("disc/x.json");
	args[0] = slash;
	args[1] = dot_b;
	args[2] = disc;
	args[3] = json;
	discover_ok(&out, args, 4);
	assert_int_equal(out.nr, SR_ARRAY_SIZE(want) + 1);
	for (size_t i = 1; i < out.nr; i++)
		assert_true(strcmp(out.v[i - 1], out.v[i]) < 0);
	assert_string_equal(out.v[out.nr - 1], json);
	for (size_t i = 0; i < out.nr; i++)
		assert_null(strstr(out.v[i], "/sub/../"));
	strvec_clear(&out);

	/* a missing argument is an error and adds nothing */
	strvec_push(&out, "kept");
	args[0] = disc;
	args[1] = "no/such/dir";
	assert_int_equal(spec_discover(&out, args, 2, &err), SR_EINVAL);
	assert_string_equal(err.msg, "cannot open spec 'no/such/dir': No such file or directory");
	assert_int_equal(out.nr, 1);
	strvec_clear(&out);

	/* an empty directory holds no specs */
	xmkdir("empty");
	free(disc);
	disc = tpath("empty");
	args[0] = disc;
	discover_ok(&out, args, 1);
	assert_int_equal(out.nr, 0);
	strvec_clear(&out);

	free(disc);
	free(slash);
	free(dot_b);
	free(json);
}

static void test_spec__discovered_specs_load(void **state)
{
	struct strvec out = STRVEC_INIT;
	char *root = tpath("load");
	const char *args[1] = {root};
	(void)state;

	xmkdir("load");
	xmkdir("load/one");
	xmkdir("load/one/work");
	free(write_file("load/one/harness.yaml", "name: one\n" BASE "workdir: ./work\n"));
	free(write_file("load/two.yml", BASE));
	discover_ok(&out, args, 1);
	assert_int_equal(out.nr, 2);
	for (size_t i = 0; i < out.nr; i++) {
		struct sr_err err = SR_ERR_INIT;
		struct spec s;
		if (spec_load(&s, out.v[i], &err) < 0)
			fail_msg("%s", err.msg);
		assert_string_equal(s.name, i == 0 ? "one" : "two");
		spec_release(&s);
	}
	strvec_clear(&out);
	free(root);
}

/* What a spec_reader saw: each call's path and bytes. */
struct seen {
	struct strvec paths;
	struct strvec bytes;
};

static void record_read(void *ctx, const struct spec_found *f, const char *buf, size_t len)
{
	struct seen *s = ctx;

	strvec_push(&s->paths, f->path);
	strvec_pushf(&s->bytes, "%.*s", (int)len, buf ? buf : "");
}

/* Loading (issue "Speed II"): discovery reads each file once; the reader
 * gets every listed file's bytes exactly once, in the order of the list
 * (a subdirectory sorting between files included), and spec_hash is the
 * XXH64 of those bytes: b83cbf91aa37430e for BASE, computed independently
 * (tests/tools/xxh64.py). A symlinked spec inside the tree is a spec of its
 * own; one leading out of it is invalid, unread, with its path. */
static void test_spec__discovery_reads_each_file_once(void **state)
{
	struct seen seen = {STRVEC_INIT, STRVEC_INIT};
	struct spec_reader rd = {record_read, &seen};
	struct sr_err err = SR_ERR_INIT;
	struct spec_found *v;
	char *root = tpath("once"), *outside;
	const char *args[1] = {root};
	size_t n;
	(void)state;

	xmkdir("once");
	xmkdir("once/b");
	free(write_file("once/a.yaml", BASE));
	free(write_file("once/b/x.yaml", BASE "timeout: 5s\n"));
	free(write_file("once/c.yaml", BASE "repeat: 2\n"));
	outside = write_file("outside.yaml", BASE);
	xsymlink("b/x.yaml", "once/link.yaml");
	xsymlink(outside, "once/out.yaml");
	assert_int_equal(spec_discover_load(&v, &n, args, 1, &rd, &err), 0);
	assert_int_equal(n, 5);
	assert_int_equal(seen.paths.nr, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(seen.paths.v[i], v[i].path);
		assert_int_equal(v[i].seq, (long)i);
		assert_non_null(v[i].spec);
		assert_string_equal(v[i].real_dir, v[i].spec->dir);
	}
	assert_string_equal(seen.bytes.v[0], BASE);
	assert_string_equal(seen.bytes.v[3], BASE "timeout: 5s\n");
	assert_string_equal(v[0].spec->hash, "b83cbf91aa37430e");
	assert_string_equal(v[3].spec->name, "link");
	assert_int_equal(v[3].spec->timeout_ms, 5000);
	/* the link's directory, not its target's */
	assert_string_equal(v[3].real_dir, root);
	assert_null(v[4].spec);
	assert_int_equal(v[4].seq, -1);
	assert_non_null(strstr(v[4].msg, "out.yaml': a symlink to '"));
	assert_non_null(strstr(v[4].msg, "outside the searched directory"));
	spec_found_free(v, n);
	strvec_clear(&seen.paths);
	strvec_clear(&seen.bytes);
	free(outside);
	free(root);
}

static int run_bad_cases(const struct bad_case *cases, size_t n, const char *prefix)
{
	int failures = 0;

	for (size_t i = 0; i < n; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "%s-%zu.yaml", prefix, i);
		if (load_bad(rel, cases[i].text, strlen(cases[i].text), cases[i].pos,
			     cases[i].msg)) {
			print_error("  ^ case '%s'\n", cases[i].what);
			failures++;
		}
	}
	return failures;
}

static void test_spec__env_name_rejected_unless_identifier(void **state)
{
	static const struct bad_case cases[] = {
	    {"leading digit", BASE "env: {9LIVES: x}\n", "3:7:", "invalid env name '9LIVES'"},
	    {"dash", BASE "env: {MY-VAR: x}\n", "3:7:", "must match [A-Za-z_][A-Za-z0-9_]*"},
	    {"equals sign", BASE "env: {\"A=B\": x}\n", "3:7:", "invalid env name 'A=B'"},
	    {"space", BASE "env: {\"A B\": x}\n", "3:7:", "invalid env name 'A B'"},
	    {"empty", BASE "env: {\"\": x}\n", "3:7:", "invalid env name ''"},
	    {"non-ASCII", BASE "env: {\"\xc3\xa9T\xc3\xa9\": x}\n", "3:7:", "invalid env name"},
	    {"newline in name", BASE "env: {\"A\\nB\": x}\n", "3:7:", "invalid env name 'A?B'"},
	};
	(void)state;
	assert_int_equal(run_bad_cases(cases, SR_ARRAY_SIZE(cases), "envname"), 0);
}

static void test_spec__env_name_with_sandrun_prefix_rejected(void **state)
{
	static const struct bad_case cases[] = {
	    {"token", BASE "env: {SANDRUN_TOKEN: x}\n", "3:7:", "reserved for the runner"},
	    {"any suffix", BASE "env:\n  A: b\n  SANDRUN_X: y\n",
	     "5:3:", "env name 'SANDRUN_X' is reserved for the runner"},
	};
	struct spec s;
	(void)state;
	assert_int_equal(run_bad_cases(cases, SR_ARRAY_SIZE(cases), "envres"), 0);
	/* only the exact prefix is reserved */
	load_ok(&s, "envres-ok.yaml", BASE "env: {sandrun_x: a, SANDRUNX: b}\n");
	assert_int_equal(s.env_keys.nr, 2);
	spec_release(&s);
}

static void test_spec__env_value_with_newline_or_nul_rejected(void **state)
{
	static const struct bad_case cases[] = {
	    {"newline", BASE "env: {A: \"x\\ny\"}\n",
	     "3:10:", "env value of 'A' must not contain a line break"},
	    {"carriage return", BASE "env: {A: \"x\\ry\"}\n",
	     "3:10:", "must not contain a line break"},
	    {"block scalar", BASE "env:\n  A: |\n    one\n    two\n", "4:6:", "line break"},
	    {"NUL escape", BASE "env: {A: \"x\\0y\"}\n", "3:10:", "must not contain NUL bytes"},
	};
	(void)state;
	assert_int_equal(run_bad_cases(cases, SR_ARRAY_SIZE(cases), "envval"), 0);
}

/* spec_load on path must fail with SR_EINVAL and a message holding what,
 * within a second. */
static void refused_quickly(const char *path, const char *what)
{
	struct sr_err err = SR_ERR_INIT;
	uint64_t t0 = sr_now_ms();
	struct spec s;

	assert_int_equal(spec_load(&s, path, &err), SR_EINVAL);
	assert_int_equal(err.code, SR_EINVAL);
	if (!strstr(err.msg, what) || !strstr(err.msg, path))
		fail_msg("want '%s' and the path in '%s'", what, err.msg);
	assert_true(sr_now_ms() - t0 < 1000);
}

static void test_spec__dev_zero_refused(void **state)
{
	(void)state;
	refused_quickly("/dev/zero", "not a regular file (a character device)");
}

static void test_spec__fifo_refused_without_blocking(void **state)
{
	char *p = tpath("pipe.yaml");
	(void)state;
	if (mkfifo(p, 0600) < 0)
		fail_msg("mkfifo: %s", strerror(errno));
	refused_quickly(p, "not a regular file (a FIFO)");
	free(p);
}

static void test_spec__directory_refused(void **state)
{
	char *p = tpath("adir.yaml");
	(void)state;
	xmkdir("adir.yaml");
	refused_quickly(p, "not a regular file (a directory)");
	free(p);
}

static void test_spec__file_over_one_mib_refused(void **state)
{
	size_t n = 2u << 20;
	char *big = xmalloc(n), *p;
	(void)state;
	memset(big, '#', n);
	p = write_file_n("big.yaml", big, n);
	refused_quickly(p, "larger than 1 MiB");
	free(p);
	/* 1 MiB + 1 byte is over, exactly 1 MiB is fine */
	p = write_file_n("big1.yaml", big, (1u << 20) + 1);
	refused_quickly(p, "larger than 1 MiB");
	free(p);
	free(big);
}

static void test_spec__file_of_exactly_one_mib_loads(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct spec s;
	(void)state;
	strbuf_addstr(&sb, BASE "#");
	while (sb.len < (1u << 20) - 1)
		strbuf_addch(&sb, 'x');
	strbuf_addch(&sb, '\n');
	assert_int_equal(sb.len, 1u << 20);
	free(write_file_n("mib.yaml", sb.buf, sb.len));
	strbuf_release(&sb);
	{
		struct sr_err err = SR_ERR_INIT;
		char *p = tpath("mib.yaml");
		if (spec_load(&s, p, &err) < 0)
			fail_msg("%s", err.msg);
		spec_release(&s);
		free(p);
	}
}

/* The discovered paths, relative to tmp_root, joined by spaces. */
static char *discovered(const char *rel)
{
	struct strvec out = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;
	char *root = tpath(rel);
	const char *args[1] = {root};
	size_t skip = strlen(tmp_root) + 1;

	discover_ok(&out, args, 1);
	for (size_t i = 0; i < out.nr; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", out.v[i] + skip);
	strvec_clear(&out);
	free(root);
	return strbuf_detach(&sb, NULL);
}

#define FOREIGN "language: c\nscript: make\n" /* a .travis.yml: no spec */

static void test_spec__discovery_skips_workdirs_and_fs_stub_paths(void **state)
{
	char *got;
	(void)state;
	xmkdir("own");
	xmkdir("own/h");
	xmkdir("own/h/work");
	xmkdir("own/h/work/deep");
	xmkdir("own/h/fixtures");
	xmkdir("own/h/other");
	free(write_file("own/h/harness.yaml",
			BASE "workdir: ./work\nnetwork: stubs\n"
			     "stubs:\n  - {name: etc, kind: fs, path: ./fixtures}\n"
			     "  - {name: cfg, kind: fs, path: ./config.yaml}\n"));
	free(write_file("own/h/work/.travis.yml", FOREIGN));
	free(write_file("own/h/work/ci.yaml", FOREIGN));
	free(write_file("own/h/work/deep/compose.yml", FOREIGN));
	free(write_file("own/h/fixtures/data.yaml", FOREIGN));
	free(write_file("own/h/config.yaml", FOREIGN)); /* a file fs stub */
	free(write_file("own/h/other/sub.yaml", BASE)); /* not owned: a spec */
	got = discovered("own");
	assert_string_equal(got, "own/h/harness.yaml own/h/other/sub.yaml");
	free(got);
}

/* A spec whose workdir is its own directory does not hide its siblings. */
static void test_spec__discovery_keeps_siblings_of_a_dot_workdir(void **state)
{
	char *got;
	(void)state;
	xmkdir("dotw");
	xmkdir("dotw/sub");
	free(write_file("dotw/a.yaml", BASE "workdir: .\n"));
	free(write_file("dotw/b.yaml", BASE));
	free(write_file("dotw/sub/c.yaml", BASE));
	got = discovered("dotw");
	assert_string_equal(got, "dotw/a.yaml dotw/b.yaml dotw/sub/c.yaml");
	free(got);
}

static void test_spec__discovery_skips_hidden_directories(void **state)
{
	char *got;
	(void)state;
	xmkdir("hid");
	xmkdir("hid/.github");
	xmkdir("hid/.github/workflows");
	xmkdir("hid/h");
	xmkdir("hid/h/.cache");
	free(write_file("hid/.github/workflows/ci.yml", FOREIGN));
	free(write_file("hid/h/.cache/x.yaml", FOREIGN));
	free(write_file("hid/h/h.yaml", BASE));
	got = discovered("hid");
	assert_string_equal(got, "hid/h/h.yaml");
	free(got);
}

static void test_spec__discovery_honours_sandrunignore(void **state)
{
	static const char *const files[] = {"ign/keep.yaml",	   "ign/drafts/a.yaml",
					    "ign/x/drafts/b.yaml", "ign/vendor/v.yaml",
					    "ign/x/vendor/v.yaml", "ign/tmp-1.yaml",
					    "ign/tmp-keep.yaml",   "ign/deep/a/b/gen.yaml",
					    "ign/deep/top.yaml",   "ign/file-not-dir.yaml"};
	char *got;
	(void)state;
	xmkdir("ign");
	xmkdir("ign/drafts");
	xmkdir("ign/x");
	xmkdir("ign/x/drafts");
	xmkdir("ign/vendor");
	xmkdir("ign/x/vendor");
	xmkdir("ign/deep");
	xmkdir("ign/deep/a");
	xmkdir("ign/deep/a/b");
	for (size_t i = 0; i < SR_ARRAY_SIZE(files); i++)
		free(write_file(files[i], BASE));
	free(write_file("ign/.sandrunignore", "# specs we do not run\n"
					      "\n"
					      "drafts/\n"	 /* a directory at any depth */
					      "/vendor\n"	 /* anchored: only the top one */
					      "tmp-*.yaml\n"	 /* a glob */
					      "!tmp-keep.yaml\n" /* negation */
					      "deep/**/gen.yaml   \n" /* ** and trailing spaces */
					      "file-not-dir.yaml/\n" /* dir-only: a file stays */));
	got = discovered("ign");
	assert_string_equal(got, "ign/deep/top.yaml ign/file-not-dir.yaml ign/keep.yaml "
				 "ign/tmp-keep.yaml ign/x/vendor/v.yaml");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spec__names_round_trip),
	    cmocka_unit_test(test_spec__parses_every_key),
	    cmocka_unit_test(test_spec__applies_defaults),
	    cmocka_unit_test(test_spec__parses_from_memory),
	    cmocka_unit_test(test_spec__repeat_takes_runs_and_confirm),
	    cmocka_unit_test(test_spec__accepts_ordinary_regexes),
	    cmocka_unit_test(test_spec__rejects_malformed_specs),
	    cmocka_unit_test(test_spec__rejects_binary_input),
	    cmocka_unit_test(test_spec__rejects_deep_and_huge_documents),
	    cmocka_unit_test(test_spec__missing_file_is_invalid),
	    cmocka_unit_test(test_spec__workdir_resolves_inside_the_suite),
	    cmocka_unit_test(test_spec__corpus_stays_inside_the_suite),
	    cmocka_unit_test(test_spec__refuses_path_escapes),
	    cmocka_unit_test(test_spec__discovers_sorted_and_deduplicated),
	    cmocka_unit_test(test_spec__discovered_specs_load),
	    cmocka_unit_test(test_spec__discovery_reads_each_file_once),
	    cmocka_unit_test(test_spec__env_name_rejected_unless_identifier),
	    cmocka_unit_test(test_spec__env_name_with_sandrun_prefix_rejected),
	    cmocka_unit_test(test_spec__env_value_with_newline_or_nul_rejected),
	    cmocka_unit_test(test_spec__dev_zero_refused),
	    cmocka_unit_test(test_spec__fifo_refused_without_blocking),
	    cmocka_unit_test(test_spec__directory_refused),
	    cmocka_unit_test(test_spec__file_over_one_mib_refused),
	    cmocka_unit_test(test_spec__file_of_exactly_one_mib_loads),
	    cmocka_unit_test(test_spec__discovery_skips_workdirs_and_fs_stub_paths),
	    cmocka_unit_test(test_spec__discovery_keeps_siblings_of_a_dot_workdir),
	    cmocka_unit_test(test_spec__discovery_skips_hidden_directories),
	    cmocka_unit_test(test_spec__discovery_honours_sandrunignore),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
