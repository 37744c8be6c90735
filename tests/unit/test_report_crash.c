/* Crash records in the reports: grouped by signature in the JSON report, the
 * console and a merge; SARIF results under the crash type with the source
 * location and a fingerprint the same bug shares. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/jsonparse.h"
#include "runner/report/report.h"

static void mk_crash(struct record *r, const char *harness, unsigned k, const char *sig,
		     const char *file, int line)
{
	record_init(r);
	r->harness = xstrdup(harness);
	r->payload = xstrdup("");
	r->spec_path = xasprintf("harnesses/%s/harness.yaml", harness);
	r->outcome = OUTCOME_CRASH;
	r->expected = OUTCOME_CRASH;
	r->phase = "run";
	r->cause = xstrdup("AddressSanitizer: heap-buffer-overflow x.c:1 in f");
	r->repeat_index = k;
	r->isolation.network = "none";
	r->isolation.user = "65534:65534";
	r->signature = xstrdup(sig);
	r->crash_json =
	    xasprintf("{\"tool\":\"AddressSanitizer\",\"type\":\"heap-buffer-overflow\","
		      "\"signature\":\"%s\",\"location\":{\"file\":\"%s\",\"line\":%d}}",
		      sig, file, line);
}

static void mk_meta(struct run_meta *m, const char *id)
{
	memset(m, 0, sizeof(*m));
	m->run_id = xstrdup(id);
	m->git_dirty = -1;
}

static struct json_value *parse_file(const char *path)
{
	struct json_value *v = NULL;
	struct sr_err err = SR_ERR_INIT;

	if (json_parse_file(&v, path, &err) < 0)
		fail_msg("%s", err.msg);
	return v;
}

struct fixture {
	char dir[64];
	struct record recs[3];
	struct run_meta meta;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/sr-test-rcrash-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	mk_crash(&f->recs[0], "fz", 0, "heap-buffer-overflow|parse|main", "/src/a.c", 12);
	mk_crash(&f->recs[1], "fz", 1, "heap-buffer-overflow|parse|main", "/src/a.c", 12);
	mk_crash(&f->recs[2], "other", 0, "SEGV|deref", "/src/b.c", 3);
	mk_meta(&f->meta, "r1");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	for (size_t i = 0; i < 3; i++)
		record_release(&f->recs[i]);
	run_meta_release(&f->meta);
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	free(f);
	return 0;
}

static void test_report_crash__json_groups_crashes_by_signature_and_merge_keeps_it(void **state)
{
	struct fixture *f = *state;
	char *a = xasprintf("%s/a.json", f->dir), *b = xasprintf("%s/b.json", f->dir);
	char *m = xasprintf("%s/m.json", f->dir);
	const char *ins[2];
	struct json_value *v;
	const struct json_value *g;

	assert_int_equal(report_write_json(a, &f->meta, f->recs, 3, NULL), 0);
	v = parse_file(a);
	g = json_get(json_get(v, "run"), "crash_groups");
	assert_int_equal(g->u.arr.n, 2);
	assert_string_equal(json_str(json_get(g->u.arr.v[0], "signature")),
			    "heap-buffer-overflow|parse|main");
	assert_int_equal((int)json_get(g->u.arr.v[0], "runs")->u.num.v, 2);
	assert_string_equal(json_str(json_get(g->u.arr.v[0], "first")), "fz#1");
	assert_string_equal(json_str(json_get(g->u.arr.v[1], "signature")), "SEGV|deref");
	/* The record carries its crash object with the signature. */
	assert_string_equal(
	    json_str(json_get(json_get(json_get(v, "records")->u.arr.v[2], "crash"), "signature")),
	    "SEGV|deref");
	json_free(v);

	/* A second shard with one more of the first bug: the merge regroups. */
	assert_int_equal(report_write_json(b, &f->meta, f->recs, 1, NULL), 0);
	ins[0] = a;
	ins[1] = b;
	assert_int_equal(report_merge(m, ins, 2, NULL), 0);
	v = parse_file(m);
	g = json_get(json_get(v, "run"), "crash_groups");
	assert_int_equal(g->u.arr.n, 2);
	assert_int_equal((int)json_get(g->u.arr.v[0], "runs")->u.num.v, 3);
	json_free(v);
	free(a);
	free(b);
	free(m);
}

static void test_report_crash__console_says_how_many_are_unique(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);

	report_console_crashes(mf, f->recs, 3);
	fclose(mf);
	assert_non_null(strstr(buf, "3 crashes, 2 unique"));
	assert_non_null(strstr(buf, "2  heap-buffer-overflow|parse|main  (first: fz#1)"));
	free(buf);
	buf = NULL;
	mf = open_memstream(&buf, &len);
	report_console_crashes(mf, f->recs, 0);
	fclose(mf);
	assert_int_equal(len, 0);
	free(buf);
}

static void test_report_crash__sarif_result_is_the_crash_type_at_its_source_line(void **state)
{
	struct fixture *f = *state;
	char *p = xasprintf("%s/s.sarif", f->dir);
	struct json_value *v;
	const struct json_value *res, *r0, *r2, *loc;
	const char *fp0, *fp1, *fp2;

	assert_int_equal(report_write_sarif(p, &f->meta, f->recs, 3, NULL), 0);
	v = parse_file(p);
	res = json_get(json_get(v, "runs")->u.arr.v[0], "results");
	assert_int_equal(res->u.arr.n, 2); /* one per verdict: fz's two runs are one */
	r0 = res->u.arr.v[0];
	r2 = res->u.arr.v[1];
	assert_string_equal(json_str(json_get(r0, "ruleId")), "heap-buffer-overflow");
	loc = json_get(json_get(json_get(r0, "locations")->u.arr.v[0], "physicalLocation"),
		       "artifactLocation");
	assert_string_equal(json_str(json_get(loc, "uri")), "file:///src/a.c");
	assert_int_equal((int)json_get(json_get(json_get(json_get(r0, "locations")->u.arr.v[0],
							 "physicalLocation"),
						"region"),
				       "startLine")
			     ->u.num.v,
			 12);
	fp0 = json_str(json_get(json_get(r0, "partialFingerprints"), "sandrunCrash/v1"));
	fp2 = json_str(json_get(json_get(r2, "partialFingerprints"), "sandrunCrash/v1"));
	assert_non_null(fp0);
	assert_string_not_equal(fp0, fp2);
	/* The same crash in another run alone: the same fingerprint. */
	{
		struct json_value *w;
		assert_int_equal(report_write_sarif(p, &f->meta, &f->recs[1], 1, NULL), 0);
		w = parse_file(p);
		fp1 = json_str(json_get(
		    json_get(json_get(json_get(w, "runs")->u.arr.v[0], "results")->u.arr.v[0],
			     "partialFingerprints"),
		    "sandrunCrash/v1"));
		assert_string_equal(fp0, fp1);
		json_free(w);
	}
	/* One rule per crash type, whichever harness hit it. */
	assert_int_equal(
	    json_get(json_get(json_get(json_get(v, "runs")->u.arr.v[0], "tool"), "driver"), "rules")
		->u.arr.n,
	    1);
	json_free(v);
	free(p);
}

static void test_report_crash__crash_fields_read_back_from_a_record(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;
	struct json_value *v = NULL;
	struct record r;

	f->recs[0].fuzz_json = xstrdup("{\"execs\":7}");
	f->recs[0].evidence.stdout_file = xstrdup("stdout.txt");
	f->recs[0].evidence.artifacts_dropped = 4;
	strvec_push(&f->recs[0].engine_argv, "docker");
	report_record_json(&sb, &f->recs[0]);
	assert_int_equal(json_parse(&v, "t", sb.buf, sb.len, NULL), 0);
	record_init(&r);
	report_read_crash_fields(&r, v);
	assert_string_equal(r.signature, "heap-buffer-overflow|parse|main");
	assert_non_null(strstr(r.crash_json, "\"location\""));
	assert_string_equal(r.fuzz_json, "{\"execs\":7}");
	assert_string_equal(r.evidence.stdout_file, "stdout.txt");
	assert_null(r.evidence.stderr_file);
	assert_int_equal(r.evidence.artifacts_dropped, 4);
	assert_int_equal(r.engine_argv.nr, 1);
	record_release(&r);
	json_free(v);
	strbuf_release(&sb);
}

/* The artifactLocation and line of the first result of a SARIF log of r. */
static char *sarif_loc_of(struct fixture *f, struct record *r, const struct strvec *map, int *line)
{
	char *p = xasprintf("%s/loc.sarif", f->dir), *out;
	struct json_value *v;
	const struct json_value *pl;
	struct strbuf sb = STRBUF_INIT;

	f->meta.source_map = map;
	assert_int_equal(report_write_sarif(p, &f->meta, r, 1, NULL), 0);
	f->meta.source_map = NULL;
	v = parse_file(p);
	pl = json_get(
	    json_get(json_get(json_get(v, "runs")->u.arr.v[0], "results")->u.arr.v[0], "locations")
		->u.arr.v[0],
	    "physicalLocation");
	*line = (int)json_get(json_get(pl, "region"), "startLine")->u.num.v;
	json_serialize(&sb, json_get(pl, "artifactLocation"));
	out = strbuf_detach(&sb, NULL);
	json_free(v);
	free(p);
	return out;
}

static void set_frames(struct record *r, const char *frames)
{
	free(r->crash_json);
	r->crash_json = xasprintf("{\"tool\":\"AddressSanitizer\",\"type\":\"SEGV\","
				  "\"frames\":%s,\"signature\":\"SEGV|f\"}",
				  frames);
}

static void test_report_crash__sarif_location_is_the_top_frames_file(void **state)
{
	struct fixture *f = *state;
	struct strvec map = STRVEC_INIT;
	struct record *r = &f->recs[2];
	int line = 0;
	char *loc;

	/* Built elsewhere, no map: kept as given, under BUILDROOT. */
	set_frames(r, "[{\"function\":\"main\",\"file\":null,\"line\":null,\"module\":null},"
		      "{\"function\":\"ares_create_query\",\"file\":"
		      "\"/tmp/build-xyz/ares_create_query.c\",\"line\":196,\"module\":null}]");
	loc = sarif_loc_of(f, r, NULL, &line);
	assert_string_equal(loc, "{\"uri\":\"tmp/build-xyz/ares_create_query.c\","
				 "\"uriBaseId\":\"BUILDROOT\"}");
	assert_int_equal(line, 196);
	free(loc);
	/* --source-map FROM=TO: the first FROM that is a directory prefix. */
	strvec_push(&map, "/tmp/build-x=nope");
	strvec_push(&map, "/tmp/build-xyz=src/c-ares");
	loc = sarif_loc_of(f, r, &map, &line);
	assert_string_equal(loc, "{\"uri\":\"src/c-ares/ares_create_query.c\","
				 "\"uriBaseId\":\"%SRCROOT%\"}");
	free(loc);
	strvec_clear(&map);
	/* OSS-Fuzz's /src/project -> the repository root. */
	set_frames(r, "[{\"function\":\"f\",\"file\":\"/src/project/lib/x.c\",\"line\":7,"
		      "\"module\":null}]");
	strvec_push(&map, "/src/project=.");
	loc = sarif_loc_of(f, r, &map, &line);
	assert_string_equal(loc, "{\"uri\":\"lib/x.c\",\"uriBaseId\":\"%SRCROOT%\"}");
	assert_int_equal(line, 7);
	free(loc);
	strvec_clear(&map);
	/* No frame names a file: the spec, line 1. */
	set_frames(r, "[{\"function\":\"f\",\"file\":null,\"line\":null,\"module\":\"t+0x1\"}]");
	loc = sarif_loc_of(f, r, NULL, &line);
	assert_string_equal(loc, "{\"uri\":\"harnesses/other/harness.yaml\","
				 "\"uriBaseId\":\"%SRCROOT%\"}");
	assert_int_equal(line, 1);
	free(loc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_report_crash__json_groups_crashes_by_signature_and_merge_keeps_it, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_report_crash__console_says_how_many_are_unique,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_crash__crash_fields_read_back_from_a_record,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_report_crash__sarif_result_is_the_crash_type_at_its_source_line, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_report_crash__sarif_location_is_the_top_frames_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
