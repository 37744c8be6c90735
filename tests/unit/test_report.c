/* Reports: JSON records and report, JUnit, SARIF, console, merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"
#include "lib/jsonparse.h"
#include "runner/report/report.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	char *d = tu_temp_dir("report");

	snprintf(tmpdir, sizeof(tmpdir), "%s", d);
	free(d);
	return 0;
}

static int remove_dir(void **state)
{
	(void)state;
	return tu_remove_dir(tmpdir);
}

static char *tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static struct json_value *parse_or_fail(const char *text)
{
	struct json_value *v = NULL;
	struct sr_err err = SR_ERR_INIT;

	if (json_parse(&v, "report", text, strlen(text), &err) < 0)
		fail_msg("%s\n%s", err.msg, text);
	return v;
}

static struct json_value *parse_file_or_fail(const char *path)
{
	char *text = tu_slurp(path);
	struct json_value *v = parse_or_fail(text);
	free(text);
	return v;
}

/* A finished run as run.c leaves it. */
static void mk(struct record *r, const char *harness, const char *payload, enum outcome out,
	       enum outcome expected)
{
	record_init(r);
	r->harness = xstrdup(harness);
	r->payload = xstrdup(payload);
	r->spec_path = xasprintf("harnesses/%s.yaml", harness);
	r->outcome = out;
	r->expected = expected;
	r->match = !record_failed(r);
	r->phase = "run";
	r->cause = xstrdup(out == OUTCOME_CONFIRMED ? "oob http GET /" TOKEN " from 172.30.0.2"
						    : "no oracle fired");
	r->exit_code = 0;
	r->duration_ms = 812;
	r->fired = out == OUTCOME_CONFIRMED;
	r->runs = 1;
	r->image = xstrdup("127.0.0.1:5000/busybox@sha256:abcd");
	r->pinned = true;
	r->isolation.network = "oob";
	r->isolation.read_only = true;
	r->isolation.user = "65534:65534";
	r->evidence.stdout_tail = xstrdup("hello\n");
	r->evidence.stderr_tail = xstrdup("");
	strvec_push(&r->repro, "docker");
	strvec_push(&r->repro, "run");
	strvec_push(&r->repro, "--name");
	strvec_push(&r->repro, "sandrun-x");
	r->container = xstrdup("sandrun-x");
	r->token = xstrdup(TOKEN);
}

static void mk_meta(struct run_meta *m, const char *run_id)
{
	memset(m, 0, sizeof(*m));
	m->run_id = xstrdup(run_id);
	m->start_wall_ms = 1700000000123ull;
	m->end_wall_ms = 1700000004567ull;
	m->host = xstrdup("ci-host");
	m->engine = xstrdup("docker");
	m->engine_version = xstrdup("24.0.5");
	m->catalogue_path = xstrdup("images.toml");
	m->catalogue_hash = xstrdup("0123456789abcdef");
	m->git_dirty = -1;
	m->tool_version = xstrdup("0.1.0");
}

static const struct json_value *at(const struct json_value *v, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save)) {
		if (v->type == JSON_ARRAY) {
			size_t i = strtoul(k, NULL, 10);
			v = i < v->u.arr.n ? v->u.arr.v[i] : NULL;
		} else {
			v = json_get(v, k);
		}
	}
	if (!v)
		fail_msg("no '%s' in the document", path);
	return v;
}

static void assert_json_str(const struct json_value *v, const char *path, const char *want)
{
	const struct json_value *x = at(v, path);
	if (x->type != JSON_STRING)
		fail_msg("'%s' is %s, not a string", path, json_type_name(x->type));
	assert_string_equal(x->u.str.s, want);
}

static void assert_json_num(const struct json_value *v, const char *path, const char *want)
{
	const struct json_value *x = at(v, path);
	if (x->type != JSON_NUMBER)
		fail_msg("'%s' is %s, not a number", path, json_type_name(x->type));
	assert_string_equal(x->u.num.text, want);
}

static void assert_json_type(const struct json_value *v, const char *path, enum json_type t)
{
	assert_string_equal(json_type_name(at(v, path)->type), json_type_name(t));
}

static void test_report__record_json_has_the_design_fields_in_order(void **state)
{
	static const char *const keys[] = {
	    "harness", "payload",     "outcome",   "expected",	  "match",     "phase",
	    "cause",   "exit_code",   "signal",	   "duration_ms", "fired",     "image",
	    "pinned",  "cached",      "isolation", "evidence",	  "crash",     "fuzz",
	    "repro",   "engine_argv", "spec",	   "spec_hash",	  "container", "repeat",
	};
	struct record r;
	struct strbuf sb = STRBUF_INIT;
	struct json_value *v;
	(void)state;

	mk(&r, "cmdi-ping", "exploit", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	r.repeat_index = 1;
	r.runs = 2;
	report_record_json(&sb, &r);
	assert_null(strchr(sb.buf, '\n'));
	v = parse_or_fail(sb.buf);
	assert_int_equal(v->u.obj.n, SR_ARRAY_SIZE(keys));
	for (size_t i = 0; i < SR_ARRAY_SIZE(keys); i++)
		assert_string_equal(v->u.obj.m[i].key, keys[i]);
	assert_json_str(v, "harness", "cmdi-ping");
	assert_json_str(v, "payload", "exploit");
	assert_json_str(v, "outcome", "confirmed");
	assert_json_str(v, "expected", "confirmed");
	assert_true(at(v, "match")->u.b);
	assert_json_str(v, "phase", "run");
	assert_json_str(v, "cause", "oob http GET /<token> from 172.30.0.2");
	assert_json_num(v, "exit_code", "0");
	assert_json_type(v, "signal", JSON_NULL);
	assert_json_num(v, "duration_ms", "812");
	assert_json_str(v, "fired", "1/2");
	assert_true(at(v, "pinned")->u.b);
	assert_false(at(v, "cached")->u.b);
	assert_json_str(v, "isolation.network", "oob");
	assert_false(at(v, "isolation.firewall")->u.b);
	assert_true(at(v, "isolation.read_only")->u.b);
	assert_json_str(v, "isolation.user", "65534:65534");
	assert_int_equal(at(v, "evidence.oob")->u.arr.n, 0);
	assert_int_equal(at(v, "evidence.stubs")->u.arr.n, 0);
	assert_json_str(v, "evidence.stdout_tail", "hello\n");
	assert_json_type(v, "evidence.artifacts", JSON_ARRAY);
	assert_json_type(v, "evidence.artifact_dir", JSON_NULL);
	assert_int_equal(at(v, "evidence.untokened")->u.arr.n, 0);
	assert_int_equal(at(v, "evidence")->u.obj.n, 10);
	assert_int_equal(at(v, "evidence.artifacts_dropped")->u.num.v, 0);
	assert_json_type(v, "crash", JSON_NULL);
	assert_json_type(v, "fuzz", JSON_NULL);
	assert_json_str(v, "repro.0", "docker");
	assert_json_str(v, "repro.3", "sandrun-x");
	assert_json_str(v, "spec", "harnesses/cmdi-ping.yaml");
	assert_json_str(v, "container", "sandrun-x");
	assert_json_num(v, "repeat", "2");
	json_free(v);
	strbuf_release(&sb);
	record_release(&r);
}

static void test_report__record_json_nulls_for_unknown_values(void **state)
{
	struct record r;
	struct strbuf sb = STRBUF_INIT;
	struct json_value *v;
	(void)state;

	record_init(&r);
	r.harness = xstrdup("h");
	r.payload = xstrdup("");
	r.phase = "pull";
	r.cause = xstrdup("manifest unknown");
	r.signal = 9;
	r.exit_code = 137;
	report_record_json(&sb, &r);
	v = parse_or_fail(sb.buf);
	assert_json_str(v, "outcome", "error");
	assert_json_type(v, "expected", JSON_NULL);
	assert_false(at(v, "match")->u.b);
	assert_json_str(v, "phase", "pull");
	assert_json_num(v, "signal", "9");
	assert_json_num(v, "exit_code", "137");
	assert_json_type(v, "image", JSON_NULL);
	assert_json_type(v, "isolation.network", JSON_NULL);
	assert_json_type(v, "evidence.stdout_tail", JSON_NULL);
	assert_json_type(v, "repro", JSON_ARRAY);
	assert_json_num(v, "repeat", "1");
	json_free(v);
	strbuf_release(&sb);
	record_release(&r);
}

static void test_report__record_json_escapes_hostile_strings(void **state)
{
	const char hostile[] = "a\"b\\c\x01\x1f\x7f</script>\n\t\xff\xc3(\xe2\x82\xac";
	const char decoded[] =
	    "a\"b\\c\x01\x1f\x7f</script>\n\t\xef\xbf\xbd\xef\xbf\xbd(\xe2\x82\xac";
	struct record r;
	struct strbuf sb = STRBUF_INIT;
	struct json_value *v;
	(void)state;

	mk(&r, "h", hostile, OUTCOME_NOT_CONFIRMED, OUTCOME_NONE);
	free(r.evidence.stderr_tail);
	r.evidence.stderr_tail = xstrdup(hostile);
	strvec_push(&r.evidence.artifacts, hostile);
	r.evidence.artifact_dir = xstrdup("/tmp/art/" TOKEN);
	report_record_json(&sb, &r);
	for (size_t i = 0; i < sb.len; i++)
		assert_true((unsigned char)sb.buf[i] >= 0x20);
	v = parse_or_fail(sb.buf);
	assert_json_str(v, "payload", decoded);
	assert_json_str(v, "evidence.stderr_tail", decoded);
	assert_json_str(v, "evidence.artifacts.0", decoded);
	assert_json_str(v, "evidence.artifact_dir", "/tmp/art/<token>");
	json_free(v);
	strbuf_release(&sb);
	record_release(&r);
}

static void test_report__record_json_never_writes_the_token(void **state)
{
	struct record r;
	struct strbuf sb = STRBUF_INIT;
	struct json_value *v;
	(void)state;

	mk(&r, "h", "p", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	free(r.evidence.stdout_tail);
	r.evidence.stdout_tail = xstrdup("echo " TOKEN "0123456789ABCDEF0123456789abcdef");
	r.evidence.oob_json = xstrdup("[{\"kind\":\"http\",\"request\":\"GET /" TOKEN
				      " HTTP/1.1\",\"" TOKEN "\":1}]");
	r.evidence.stubs_json = xstrdup("[{\"stub\":\"db\",\"query\":\"SELECT '" TOKEN "'\"}]");
	report_record_json(&sb, &r);
	assert_null(strstr(sb.buf, TOKEN));
	v = parse_or_fail(sb.buf);
	assert_json_str(v, "evidence.stdout_tail", "echo <token><token>");
	assert_json_str(v, "evidence.oob.0.request", "GET /<token> HTTP/1.1");
	assert_json_num(v, "evidence.oob.0.<token>", "1");
	assert_json_str(v, "evidence.stubs.0.query", "SELECT '<token>'");
	json_free(v);

	/* Redaction never produces duplicate keys (report merge would reject them). */
	free(r.evidence.oob_json);
	r.evidence.oob_json = xstrdup("[{\"<token>\":1,\"" TOKEN "\":2,\"<token>#2\":3}]");
	strbuf_reset(&sb);
	report_record_json(&sb, &r);
	v = parse_or_fail(sb.buf);
	assert_json_num(v, "evidence.oob.0.<token>", "1");
	assert_json_num(v, "evidence.oob.0.<token>#3", "2");
	assert_json_num(v, "evidence.oob.0.<token>#2", "3");
	json_free(v);
	strbuf_release(&sb);
	record_release(&r);
}

static void test_report__record_json_keeps_malformed_evidence_as_text(void **state)
{
	struct record r;
	struct strbuf sb = STRBUF_INIT;
	struct json_value *v;
	(void)state;

	mk(&r, "h", "p", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	r.evidence.oob_json = xstrdup("[{\"a\":1},");
	r.evidence.stubs_json = xstrdup("{\"not\":\"an array\"}");
	report_record_json(&sb, &r);
	v = parse_or_fail(sb.buf);
	assert_json_str(v, "evidence.oob.0", "[{\"a\":1},");
	assert_json_str(v, "evidence.stubs.0", "{\"not\":\"an array\"}");
	json_free(v);
	strbuf_release(&sb);
	record_release(&r);
}

static void write_report(const char *path, const struct run_meta *m, struct record *recs, size_t n)
{
	struct sr_err err = SR_ERR_INIT;
	if (report_write_json(path, m, recs, n, &err) < 0)
		fail_msg("%s", err.msg);
}

static void test_report__json_report_holds_run_metadata_and_counts(void **state)
{
	struct record recs[4];
	struct run_meta m;
	char *path = tmp_path("r.json"), *text;
	struct json_value *v;
	size_t lines = 0;
	(void)state;

	mk(&recs[0], "a", "exploit", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	mk(&recs[1], "a", "benign", OUTCOME_TIMEOUT, OUTCOME_NOT_CONFIRMED);
	mk(&recs[2], "b", "", OUTCOME_CRASH, OUTCOME_NONE);
	mk(&recs[3], "c", "", OUTCOME_ERROR, OUTCOME_NONE);
	mk_meta(&m, "run1");
	m.shard_k = 2;
	m.shard_n = 3;
	m.git_head = xstrdup("deadbeef");
	m.unattributed_json = xstrdup("[{\"kind\":\"dns\",\"name\":\"x.oob\"}]");
	write_report(path, &m, recs, 4);

	text = tu_slurp(path);
	for (const char *p = text; (p = strstr(p, "\n    {\"harness\"")); p++)
		lines++;
	assert_int_equal(lines, 8); /* one record a line, then one verdict a line */
	v = parse_or_fail(text);
	assert_int_equal(at(v, "verdicts")->u.arr.n, 4);
	assert_json_str(v, "verdicts.1.harness", "a");
	assert_json_str(v, "verdicts.1.payload", "benign");
	assert_json_str(v, "verdicts.1.outcome", "timeout");
	assert_json_str(v, "verdicts.1.fired", "0/1");
	assert_json_str(v, "run.run_id", "run1");
	assert_json_str(v, "run.sandrun_version", "0.1.0");
	assert_json_str(v, "run.started", "2023-11-14T22:13:20.123Z");
	assert_json_str(v, "run.finished", "2023-11-14T22:13:24.567Z");
	assert_json_str(v, "run.host", "ci-host");
	assert_json_str(v, "run.engine", "docker");
	assert_json_str(v, "run.engine_version", "24.0.5");
	assert_json_str(v, "run.catalogue.path", "images.toml");
	assert_json_str(v, "run.catalogue.xxh64", "0123456789abcdef");
	assert_json_str(v, "run.git.head", "deadbeef");
	assert_json_type(v, "run.git.dirty", JSON_NULL);
	assert_false(at(v, "run.interrupted")->u.b);
	assert_json_num(v, "run.shard.index", "2");
	assert_json_num(v, "run.shard.count", "3");
	assert_json_num(v, "run.counts.confirmed", "1");
	assert_json_num(v, "run.counts.timeout", "1");
	assert_json_num(v, "run.counts.crash", "1");
	assert_json_num(v, "run.counts.error", "1");
	assert_json_num(v, "run.counts.oom", "0");
	assert_json_num(v, "run.counts.not_confirmed", "0");
	assert_json_num(v, "run.total", "4");
	assert_json_num(v, "run.failed", "2");
	assert_json_str(v, "run.unattributed.0.kind", "dns");
	assert_int_equal(at(v, "records")->u.arr.n, 4);
	assert_json_str(v, "records.1.payload", "benign");
	assert_false(at(v, "records.1.match")->u.b);
	assert_null(strstr(text, TOKEN));
	json_free(v);
	free(text);

	/* No records, no git, no shard. */
	free(m.git_head);
	m.git_head = NULL;
	m.git_dirty = 1;
	m.shard_n = 0;
	write_report(path, &m, NULL, 0);
	v = parse_file_or_fail(path);
	assert_json_type(v, "run.git.head", JSON_NULL);
	assert_true(at(v, "run.git.dirty")->u.b);
	assert_json_type(v, "run.shard", JSON_NULL);
	assert_json_num(v, "run.total", "0");
	assert_int_equal(at(v, "records")->u.arr.n, 0);
	json_free(v);

	for (size_t i = 0; i < 4; i++)
		record_release(&recs[i]);
	run_meta_release(&m);
	free(path);
}

static void test_report__json_report_write_failure_is_an_error(void **state)
{
	struct run_meta m;
	struct sr_err err = SR_ERR_INIT;
	(void)state;

	mk_meta(&m, "r");
	assert_true(report_write_json("/nonexistent-dir/x/r.json", &m, NULL, 0, &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x/r.json"));
	run_meta_release(&m);
}

static char *junit_of(struct record *recs, size_t n)
{
	struct run_meta m;
	struct sr_err err = SR_ERR_INIT;
	char *path = tmp_path("junit.xml"), *text;

	mk_meta(&m, "run1");
	if (report_write_junit(path, &m, recs, n, &err) < 0)
		fail_msg("%s", err.msg);
	text = tu_slurp(path);
	run_meta_release(&m);
	free(path);
	return text;
}

static void test_report__junit_marks_mismatch_as_failure(void **state)
{
	struct record recs[3];
	char *x;
	(void)state;

	mk(&recs[0], "cmdi", "exploit", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	mk(&recs[1], "cmdi", "benign", OUTCOME_TIMEOUT, OUTCOME_NOT_CONFIRMED);
	mk(&recs[2], "fuzz", "", OUTCOME_ERROR, OUTCOME_NONE);
	recs[2].phase = "pull";
	free(recs[2].cause);
	recs[2].cause = xstrdup("manifest unknown\nsecond line");
	recs[1].repeat_index = 2;
	x = junit_of(recs, 3);

	assert_non_null(strstr(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
	assert_non_null(strstr(x, "<testsuite name=\"sandrun\" tests=\"3\" failures=\"1\" "
				  "errors=\"1\" skipped=\"0\" time=\"4.444\" "
				  "timestamp=\"2023-11-14T22:13:20\" hostname=\"ci-host\""));
	assert_non_null(strstr(x, "<property name=\"run_id\" value=\"run1\"/>"));
	assert_non_null(strstr(x, "<testcase classname=\"cmdi\" name=\"cmdi[exploit]\" "
				  "time=\"0.812\">\n"
				  "      <system-out>"));
	assert_non_null(strstr(x, "<testcase classname=\"cmdi\" name=\"cmdi[benign]\""));
	assert_non_null(strstr(x,
			       "<failure message=\"expected not_confirmed, got timeout "
			       "(fired 0/1, confirm 1)\" "
			       "type=\"mismatch\">spec: harnesses/cmdi.yaml\noutcome: timeout\n"));
	assert_non_null(strstr(x, "repro: docker run --name sandrun-x\n</failure>"));
	assert_non_null(strstr(x, "name=\"fuzz\""));
	assert_non_null(strstr(x, "<error message=\"pull: manifest unknown\" type=\"pull\">"));
	assert_non_null(strstr(x, "<system-out><![CDATA[hello\n]]></system-out>"));
	assert_null(strstr(x, "<system-err>")); /* empty tail */
	assert_null(strstr(x, TOKEN));
	assert_non_null(strstr(x, "</testsuite>\n</testsuites>\n"));
	free(x);
	for (size_t i = 0; i < 3; i++)
		record_release(&recs[i]);
}

static void test_report__junit_escapes_hostile_names_and_output(void **state)
{
	struct record r;
	char *x;
	(void)state;

	mk(&r, "h&<x>", "<p>&\"'\x01]]>\t", OUTCOME_NOT_CONFIRMED, OUTCOME_CONFIRMED);
	free(r.evidence.stdout_tail);
	r.evidence.stdout_tail = xstrdup("a]]>b\x01\x1b[31mc\xff\xef\xbf\xbe"
					 "d\r\n");
	free(r.cause);
	r.cause = xstrdup("x]]>y & <z>");
	x = junit_of(&r, 1);

	for (const unsigned char *p = (const unsigned char *)x; *p; p++)
		if (*p < 0x20 && *p != '\n' && *p != '\t')
			fail_msg("control byte 0x%02x in the XML", *p);
	assert_non_null(strstr(x,
			       "classname=\"h&amp;&lt;x&gt;\" "
			       "name=\"h&amp;&lt;x&gt;[&lt;p&gt;&amp;&quot;&apos;]]&gt;&#9;]\""));
	assert_non_null(strstr(x, "cause: x]]&gt;y &amp; &lt;z&gt;\n"));
	/* CDATA split around "]]>", ESC and \x01 dropped, U+FFFE dropped, 0xff -> U+FFFD. */
	assert_non_null(strstr(x, "<system-out><![CDATA[a]]]]><![CDATA[>b[31mc\xef\xbf\xbd"
				  "d\n]]></system-out>"));
	free(x);
	record_release(&r);
}

static struct json_value *sarif_of(struct record *recs, size_t n)
{
	struct run_meta m;
	struct sr_err err = SR_ERR_INIT;
	char *path = tmp_path("r.sarif");
	struct json_value *v;

	mk_meta(&m, "run1");
	if (report_write_sarif(path, &m, recs, n, &err) < 0)
		fail_msg("%s", err.msg);
	v = parse_file_or_fail(path);
	run_meta_release(&m);
	free(path);
	return v;
}

static void test_report__sarif_has_one_result_per_confirmed_or_crash_run(void **state)
{
	struct record recs[5];
	struct json_value *v;
	const struct json_value *results, *rules;
	(void)state;

	mk(&recs[0], "cmdi", "exploit", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	mk(&recs[1], "cmdi", "benign", OUTCOME_NOT_CONFIRMED, OUTCOME_NOT_CONFIRMED);
	mk(&recs[2], "png", "", OUTCOME_CRASH, OUTCOME_CRASH);
	mk(&recs[3], "slow", "", OUTCOME_TIMEOUT, OUTCOME_NONE);
	mk(&recs[4], "broken", "", OUTCOME_ERROR, OUTCOME_NONE);
	free(recs[2].spec_path);
	recs[2].spec_path = xstrdup("./harnesses/fuzz png/spec.yaml");
	strvec_push(&recs[2].evidence.artifacts, "out/crash-1a2b");
	v = sarif_of(recs, 5);

	assert_json_str(v, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
	assert_json_str(v, "version", "2.1.0");
	assert_int_equal(at(v, "runs")->u.arr.n, 1);
	assert_json_str(v, "runs.0.tool.driver.name", "sandrun");
	assert_json_str(v, "runs.0.tool.driver.version", "0.1.0");
	assert_json_type(v, "runs.0.tool.driver.informationUri", JSON_STRING);
	rules = at(v, "runs.0.tool.driver.rules");
	assert_int_equal(rules->u.arr.n, 4);
	assert_json_str(v, "runs.0.tool.driver.rules.0.id", "cmdi");
	assert_json_str(v, "runs.0.tool.driver.rules.1.id", "png");
	assert_json_str(v, "runs.0.tool.driver.rules.3.id", "broken");
	assert_json_type(v, "runs.0.tool.driver.rules.0.shortDescription.text", JSON_STRING);
	assert_json_str(v, "runs.0.tool.driver.rules.0.defaultConfiguration.level", "error");
	assert_true(at(v, "runs.0.invocations.0.executionSuccessful")->u.b);

	results = at(v, "runs.0.results");
	assert_int_equal(results->u.arr.n, 2);
	assert_json_str(v, "runs.0.results.0.ruleId", "cmdi");
	assert_json_num(v, "runs.0.results.0.ruleIndex", "0");
	assert_json_str(v, "runs.0.results.0.level", "error");
	assert_json_str(v, "runs.0.results.0.message.text",
			"cmdi [exploit]: confirmed: oob http GET /<token> from 172.30.0.2");
	assert_json_str(v, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uri",
			"harnesses/cmdi.yaml");
	assert_json_str(v,
			"runs.0.results.0.locations.0.physicalLocation.artifactLocation.uriBaseId",
			"%SRCROOT%");
	assert_json_num(v, "runs.0.results.0.locations.0.physicalLocation.region.startLine", "1");
	assert_int_equal(
	    strlen(json_str(at(v, "runs.0.results.0.partialFingerprints.sandrunRun/v1"))), 16);
	assert_json_str(v, "runs.0.results.0.properties.outcome", "confirmed");
	assert_json_str(v, "runs.0.results.0.properties.payload", "exploit");
	assert_json_str(v, "runs.0.results.0.properties.image",
			"127.0.0.1:5000/busybox@sha256:abcd");
	assert_true(at(v, "runs.0.results.0.properties.pinned")->u.b);

	assert_json_str(v, "runs.0.results.1.ruleId", "png");
	assert_json_num(v, "runs.0.results.1.ruleIndex", "1");
	assert_json_str(v, "runs.0.results.1.message.text", "png: crash: no oracle fired");
	assert_json_str(v, "runs.0.results.1.locations.0.physicalLocation.artifactLocation.uri",
			"harnesses/fuzz%20png/spec.yaml");
	assert_json_str(v, "runs.0.results.1.properties.artifacts.0", "out/crash-1a2b");
	json_free(v);
	for (size_t i = 0; i < 5; i++)
		record_release(&recs[i]);
}

static void test_report__sarif_fingerprints_are_stable_per_harness_and_payload(void **state)
{
	struct record recs[3];
	struct json_value *v, *w;
	const char *a, *b, *c;
	(void)state;

	mk(&recs[0], "cmdi", "exploit", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	mk(&recs[1], "cmdi", "exploit", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	mk(&recs[2], "cmdi", "exploit2", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	recs[1].repeat_index = 1;
	recs[1].outcome = OUTCOME_NOT_CONFIRMED; /* 1 of 2 confirmed: still one finding */
	v = sarif_of(recs, 3);
	assert_int_equal(at(v, "runs.0.results")->u.arr.n, 2); /* one per verdict */
	a = json_str(at(v, "runs.0.results.0.partialFingerprints.sandrunRun/v1"));
	c = json_str(at(v, "runs.0.results.1.partialFingerprints.sandrunRun/v1"));
	recs[1].outcome = OUTCOME_CONFIRMED;
	w = sarif_of(&recs[1], 1); /* another run of the same payload, alone */
	b = json_str(at(w, "runs.0.results.0.partialFingerprints.sandrunRun/v1"));
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	json_free(w);
	assert_int_equal(at(v, "runs.0.tool.driver.rules")->u.arr.n, 1);
	json_free(v);
	for (size_t i = 0; i < 3; i++)
		record_release(&recs[i]);
}

static void test_report__sarif_without_findings_is_valid(void **state)
{
	struct json_value *v = sarif_of(NULL, 0);
	(void)state;
	assert_int_equal(at(v, "runs.0.results")->u.arr.n, 0);
	assert_int_equal(at(v, "runs.0.tool.driver.rules")->u.arr.n, 0);
	json_free(v);
}

static char *console(const struct record *recs, size_t n, bool summary, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (summary)
		report_console_summary(f, recs, n);
	else
		report_console_line(f, recs, color);
	fclose(f);
	return buf;
}

static void test_report__console_line_shows_status_and_verdict(void **state)
{
	struct record r[3];
	char *s;
	(void)state;

	mk(&r[0], "cmdi-ping", "exploit", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	mk(&r[1], "cmdi-ping", "benign", OUTCOME_TIMEOUT, OUTCOME_NOT_CONFIRMED);
	mk(&r[2], "img", "", OUTCOME_ERROR, OUTCOME_NONE);
	r[2].phase = "pull";
	free(r[2].cause);
	r[2].cause = xstrdup("no such image\x1b]0;pwned\x07\n\xff");

	s = console(&r[0], 1, false, false);
	assert_string_equal(s, "  ok    cmdi-ping[exploit]#1          confirmed         812ms  "
			       "oob http GET /<token> from 172.30.0.2\n");
	free(s);
	s = console(&r[1], 1, false, false);
	assert_non_null(strstr(s, "  FAIL  cmdi-ping[benign]#1 "));
	assert_non_null(strstr(s, "expected not_confirmed, got timeout"));
	free(s);
	s = console(&r[1], 1, false, true);
	assert_non_null(strstr(s, "\033[1;31mFAIL\033[0m"));
	free(s);
	s = console(&r[2], 1, false, false);
	assert_non_null(strstr(s, "pull: no such image\\x1b]0;pwned\\x07\\x0a\\xff\n"));
	assert_null(strchr(s, '\x1b'));
	assert_null(strchr(s, '\x07'));
	free(s);
	for (size_t i = 0; i < 3; i++)
		record_release(&r[i]);
}

static void test_report__console_summary_counts_and_lists_failures(void **state)
{
	struct record r[3];
	char *s;
	(void)state;

	mk(&r[0], "a", "x", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	mk(&r[1], "a", "y", OUTCOME_TIMEOUT, OUTCOME_NOT_CONFIRMED);
	mk(&r[2], "b", "", OUTCOME_NOT_CONFIRMED, OUTCOME_NONE);
	s = console(r, 3, true, false);
	assert_non_null(strstr(s, "  confirmed             1      1         0\n"));
	assert_non_null(strstr(s, "  timeout               1      0         1\n"));
	assert_non_null(strstr(s, "  total                 3      2         1\n"));
	assert_non_null(
	    strstr(s, "failed verdicts:\n    a[y]  expected not_confirmed, got timeout\n"));
	assert_null(strstr(s, "b#1"));
	free(s);
	for (size_t i = 0; i < 3; i++)
		record_release(&r[i]);
}

static void test_report__summary_and_junit_judge_k_of_n_verdicts(void **state)
{
	struct record r[3];
	char *s, *x;
	(void)state;

	/* repeat: {runs: 3, confirm: 2}, expect confirmed: 2 of 3 fired. */
	for (unsigned i = 0; i < 3; i++) {
		mk(&r[i], "flaky", "p", i == 1 ? OUTCOME_NOT_CONFIRMED : OUTCOME_CONFIRMED,
		   OUTCOME_CONFIRMED);
		r[i].repeat_index = i;
		r[i].confirm = 2;
	}
	s = console(r, 3, true, false);
	assert_non_null(strstr(s, "  confirmed             1      1         0\n"));
	assert_non_null(strstr(s, "  total                 1      1         0\n"));
	assert_non_null(strstr(s, "  3 runs, 1 flaky verdict\n"));
	assert_null(strstr(s, "failed"));
	free(s);
	x = junit_of(r, 3);
	assert_non_null(strstr(x, "tests=\"1\" failures=\"0\""));
	assert_non_null(strstr(x, "--- run #2 (seq 2): not_confirmed, 812ms ---\n"));
	assert_null(strstr(x, "<failure"));
	free(x);

	/* Only 1 of 3 fired: not confirmed, a mismatch. */
	r[2].outcome = OUTCOME_NOT_CONFIRMED;
	s = console(r, 3, true, false);
	assert_non_null(strstr(s, "failed verdicts:\n    flaky[p]  expected confirmed, got "
				  "not_confirmed (fired 1/3, confirm 2)\n"));
	free(s);
	for (size_t i = 0; i < 3; i++)
		record_release(&r[i]);
}

static void test_report__merge_concatenates_records_and_recounts(void **state)
{
	struct record a[2], b[2];
	struct run_meta ma, mb;
	char *pa = tmp_path("a.json"), *pb = tmp_path("b.json"), *out = tmp_path("m.json");
	char *pc = tmp_path("c.json");
	const char *in[] = {pa, pb};
	struct sr_err err = SR_ERR_INIT;
	struct json_value *v, *orig;
	struct strbuf x = STRBUF_INIT, y = STRBUF_INIT;
	(void)state;

	mk(&a[0], "a", "1", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	mk(&a[1], "a", "2", OUTCOME_NOT_CONFIRMED, OUTCOME_NOT_CONFIRMED);
	mk(&b[0], "b", "1", OUTCOME_OOM, OUTCOME_NOT_CONFIRMED);
	mk(&b[1], "c", "", OUTCOME_ERROR, OUTCOME_NONE);
	free(b[0].payload);
	b[0].payload = xstrdup("q\"\x01\xff");
	mk_meta(&ma, "run-a");
	ma.shard_k = 1;
	ma.shard_n = 2;
	ma.unattributed_json = xstrdup("[{\"n\":1}]");
	mk_meta(&mb, "run-b");
	mb.shard_k = 2;
	mb.shard_n = 2;
	mb.start_wall_ms -= 1000;
	mb.end_wall_ms += 1000;
	mb.interrupted = true;
	mb.unattributed_json = xstrdup("[{\"n\":2},{\"n\":3}]");
	free(mb.host);
	mb.host = xstrdup("other-host");
	write_report(pa, &ma, a, 2);
	write_report(pb, &mb, b, 2);

	if (report_merge(out, in, 2, &err) < 0)
		fail_msg("%s", err.msg);
	v = parse_file_or_fail(out);
	assert_json_str(v, "run.run_id", "run-a");
	assert_json_str(v, "run.host", "ci-host");
	assert_json_str(v, "run.started", "2023-11-14T22:13:19.123Z");
	assert_json_str(v, "run.finished", "2023-11-14T22:13:25.567Z");
	assert_true(at(v, "run.interrupted")->u.b);
	assert_json_type(v, "run.shard", JSON_NULL);
	assert_json_num(v, "run.total", "4");
	assert_json_num(v, "run.failed", "2");
	assert_json_num(v, "run.counts.confirmed", "1");
	assert_json_num(v, "run.counts.not_confirmed", "1");
	assert_json_num(v, "run.counts.oom", "1");
	assert_json_num(v, "run.counts.error", "1");
	assert_json_num(v, "run.unattributed.2.n", "3");
	assert_json_str(v, "run.merged_from.0", "run-a");
	assert_json_str(v, "run.merged_from.1", "run-b");
	assert_int_equal(at(v, "run.merged_from")->u.arr.n, 2);
	/* run keeps the writer's field order, merged_from last. */
	assert_string_equal(at(v, "run")->u.obj.m[0].key, "run_id");
	assert_string_equal(at(v, "run")->u.obj.m[at(v, "run")->u.obj.n - 1].key, "merged_from");
	assert_int_equal(at(v, "records")->u.arr.n, 4);
	assert_json_str(v, "records.0.harness", "a");
	assert_json_str(v, "records.2.harness", "b");
	assert_json_str(v, "records.3.harness", "c");
	/* Verdicts concatenate, their seq moved to the merged record order. */
	assert_int_equal(at(v, "verdicts")->u.arr.n, 4);
	assert_json_str(v, "verdicts.2.harness", "b");
	assert_json_num(v, "verdicts.2.seq.0", "3");
	assert_json_num(v, "verdicts.3.seq.0", "4");
	assert_json_str(v, "verdicts.3.outcome", "error");

	/* Records come through unchanged. */
	orig = parse_file_or_fail(pb);
	assert_true(json_equal(at(orig, "records.0"), at(v, "records.2")));
	json_serialize(&x, at(orig, "records"));
	json_serialize(&y, at(v, "records.3"));
	assert_non_null(strstr(x.buf, y.buf));
	json_free(orig);
	json_free(v);

	/* A merge of a merge flattens the run ids; it holds both shards, so
	 * only an unsharded report can join it. */
	{
		const char *in2[] = {out, pc};
		char *out2 = tmp_path("m2.json");
		struct run_meta mc;
		mk_meta(&mc, "run-c");
		write_report(pc, &mc, a, 2);
		run_meta_release(&mc);
		if (report_merge(out2, in2, 2, &err) < 0)
			fail_msg("%s", err.msg);
		v = parse_file_or_fail(out2);
		assert_int_equal(at(v, "run.merged_from")->u.arr.n, 3);
		assert_json_str(v, "run.merged_from.2", "run-c");
		assert_json_num(v, "run.total", "6");
		json_free(v);
		in2[1] = pa;
		assert_int_equal(report_merge(out2, in2, 2, &err), SR_EINVAL);
		assert_non_null(strstr(err.msg, "both hold shard 1/2"));
		free(out2);
		free(pc);
	}

	strbuf_release(&x);
	strbuf_release(&y);
	for (size_t i = 0; i < 2; i++) {
		record_release(&a[i]);
		record_release(&b[i]);
	}
	run_meta_release(&ma);
	run_meta_release(&mb);
	free(pa);
	free(pb);
	free(out);
}

static void test_report__merge_rejects_malformed_input_with_position(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"{\"run\": {\"run_id\": \"x\"},\n \"records\": [1,]}",
	     ":2:16: trailing comma before ']'"},
	    {"[]", ":1:1: a report must be an object, not array"},
	    {"{\"records\": []}", ":1:1: missing \"run\""},
	    {"{\"run\": {\"run_id\": \"x\"}, \"records\": {}}",
	     ":1:37: \"records\" must be an array, not object"},
	    {"{\"run\": {}, \"records\": []}", ":1:9: missing \"run_id\""},
	    {"{\"run\": {\"run_id\": 7}, \"records\": []}",
	     ":1:20: \"run_id\" must be a string, not number"},
	    {"{\"run\": {\"run_id\": \"x\"}, \"records\": [\n  {\"outcome\": \"pwned\"}]}",
	     ":2:15: unknown outcome in \"outcome\""},
	    {"{\"run\": {\"run_id\": \"x\"}, \"records\": [{}]}",
	     ":1:38: record without \"outcome\""},
	    {"{\"run\": {\"run_id\": \"x\"}, \"records\": [{\"outcome\": \"crash\", \"expected\": "
	     "1}]}",
	     ":1:71: \"expected\" must be an outcome name"},
	    {"{\"run\": {\"run_id\": \"x\", \"unattributed\": {}}, \"records\": []}",
	     ":1:41: \"unattributed\" must be an array"},
	};
	char *bad = tmp_path("bad.json"), *good = tmp_path("good.json"), *out = tmp_path("o.json");
	struct run_meta m;
	(void)state;

	mk_meta(&m, "good");
	write_report(good, &m, NULL, 0);
	for (size_t i = 0; i < SR_ARRAY_SIZE(cases); i++) {
		const char *in[] = {good, bad};
		struct sr_err err = SR_ERR_INIT;
		char *want = xasprintf("%s%s", bad, cases[i].msg);
		FILE *f = fopen(bad, "w");
		assert_non_null(f);
		fputs(cases[i].text, f);
		fclose(f);
		if (report_merge(out, in, 2, &err) != SR_EINVAL || strcmp(err.msg, want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, want);
		assert_int_equal(access(out, F_OK), -1); /* nothing written */
		free(want);
	}
	{
		const char *in[] = {good, "/nonexistent/r.json"};
		struct sr_err err = SR_ERR_INIT;
		assert_true(report_merge(out, in, 2, &err) < 0);
		assert_non_null(strstr(err.msg, "/nonexistent/r.json"));
		assert_int_equal(report_merge(out, in, 0, &err), SR_EINVAL);
	}
	run_meta_release(&m);
	free(bad);
	free(good);
	free(out);
}

/* One table names every format: --report and -o accept exactly these, each
 * with the extension of its default file name and a writer. */
static void test_report__format_table(void **state)
{
	static const char *const names[] = {"json", "junit", "sarif", "html"};
	static const char *const exts[] = {"json", "xml", "sarif", "html"};

	(void)state;
	assert_int_equal(report_nformats, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct report_format *f = report_format_find(names[i], (size_t)-1);
		assert_non_null(f);
		assert_string_equal(f->ext, exts[i]);
		assert_non_null(f->write);
	}
	assert_ptr_equal(report_format_find("junit:out.xml", 5), report_format_find("junit", 5));
	assert_null(report_format_find("xml", (size_t)-1));
	assert_null(report_format_find("jso", (size_t)-1));
	assert_null(report_format_find("json", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report__record_json_has_the_design_fields_in_order),
	    cmocka_unit_test(test_report__format_table),
	    cmocka_unit_test(test_report__record_json_nulls_for_unknown_values),
	    cmocka_unit_test(test_report__record_json_escapes_hostile_strings),
	    cmocka_unit_test(test_report__record_json_never_writes_the_token),
	    cmocka_unit_test(test_report__record_json_keeps_malformed_evidence_as_text),
	    cmocka_unit_test(test_report__json_report_holds_run_metadata_and_counts),
	    cmocka_unit_test(test_report__json_report_write_failure_is_an_error),
	    cmocka_unit_test(test_report__junit_marks_mismatch_as_failure),
	    cmocka_unit_test(test_report__junit_escapes_hostile_names_and_output),
	    cmocka_unit_test(test_report__sarif_has_one_result_per_confirmed_or_crash_run),
	    cmocka_unit_test(test_report__sarif_fingerprints_are_stable_per_harness_and_payload),
	    cmocka_unit_test(test_report__sarif_without_findings_is_valid),
	    cmocka_unit_test(test_report__console_line_shows_status_and_verdict),
	    cmocka_unit_test(test_report__console_summary_counts_and_lists_failures),
	    cmocka_unit_test(test_report__summary_and_junit_judge_k_of_n_verdicts),
	    cmocka_unit_test(test_report__merge_concatenates_records_and_recounts),
	    cmocka_unit_test(test_report__merge_rejects_malformed_input_with_position),
	};
	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
