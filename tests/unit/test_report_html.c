/* The HTML report: what the code under test printed is shown as text and can
 * never become markup, script or an outside request. Set SANDRUN_HTML_OUT to
 * a path to also write the hostile page there, for a look in a browser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/jsonparse.h"
#include "runner/report/report_html.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void rec(struct record *r, const char *h, const char *p, enum outcome o, enum outcome exp,
		unsigned repeat)
{
	record_init(r);
	r->harness = xstrdup(h);
	r->payload = xstrdup(p);
	r->outcome = o;
	r->expected = exp;
	r->repeat_index = repeat;
	r->phase = "run";
	r->duration_ms = 100 + 10 * repeat;
	r->isolation.network = "none";
	r->isolation.user = "65534:65534";
	r->token = xstrdup(TOKEN);
}

struct fixture {
	struct record recs[5];
	size_t n;
	struct run_meta meta;
	struct verdict *v;
	size_t nv;
	struct strbuf html;
};

static void build(struct fixture *f, const struct html_opts *o)
{
	assert_int_equal(verdicts_build(&f->v, &f->nv, f->recs, f->n, NULL, NULL), 0);
	assert_int_equal(report_html_write(&f->html, &f->meta, f->recs, f->n, f->v, f->nv, o, NULL),
			 0);
}

/* A suite: a hostile harness, a flaky one, a mismatch, an error. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	rec(&f->recs[0], "hostile<b>", "p\"x", OUTCOME_NOT_CONFIRMED, OUTCOME_NOT_CONFIRMED, 0);
	f->recs[0].evidence.stdout_tail = xstrdup(
	    "<script>document.title='pwned'</script></pre>\xff\xfe tok=" TOKEN " \xe2\x80\xae"
	    "evil");
	f->recs[0].evidence.stderr_tail =
	    xstrdup("]]></style><!-- &amp; \x01\x7f\xc2\x85 cr\rlf\r\n");
	f->recs[0].cause = xstrdup("cause <img src=x onerror=alert(1)> " TOKEN);
	f->recs[0].evidence.oob_json =
	    xstrdup("[{\"proto\":\"tcp\",\"summary\":\"a\\u0000b</script>\",\"bytes\":3}]");
	strvec_push(&f->recs[0].repro, "sandrun");
	strvec_push(&f->recs[0].repro, "repro");
	strvec_push(&f->recs[0].repro, "it's <here>");
	rec(&f->recs[1], "flaky", "", OUTCOME_CONFIRMED, OUTCOME_CONFIRMED, 0);
	rec(&f->recs[2], "flaky", "", OUTCOME_NOT_CONFIRMED, OUTCOME_CONFIRMED, 1);
	rec(&f->recs[3], "wrong", "x", OUTCOME_TIMEOUT, OUTCOME_CONFIRMED, 0);
	rec(&f->recs[4], "broken", "", OUTCOME_ERROR, OUTCOME_NONE, 0);
	f->recs[4].phase = "pull";
	f->n = 5;
	f->meta.run_id = xstrdup("run-<1>");
	f->meta.host = xstrdup("host\xff");
	f->meta.engine = xstrdup("docker");
	f->meta.engine_version = xstrdup("26.1");
	f->meta.git_dirty = -1;
	f->meta.start_wall_ms = 1700000000000ull;
	f->meta.end_wall_ms = 1700000012345ull;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < f->n; i++)
		record_release(&f->recs[i]);
	run_meta_release(&f->meta);
	verdicts_free(f->v, f->nv);
	strbuf_release(&f->html);
	free(f);
	return 0;
}

static void test_report_html__harness_output_is_text_never_markup(void **state)
{
	struct fixture *f = *state;
	const char *h;
	const char *out = getenv("SANDRUN_HTML_OUT");

	build(f, &(struct html_opts){.nonce = "abc123"});
	h = f->html.buf;
	if (out) {
		FILE *fp = fopen(out, "w");
		assert_non_null(fp);
		fwrite(h, 1, f->html.len, fp);
		fclose(fp);
	}
	/* Our one script and nothing else. */
	assert_int_equal(count(h, "<script"), 1);
	assert_int_equal(count(h, "</script"), 1);
	assert_int_equal(count(h, "<style"), 1);
	assert_int_equal(count(h, "</style"), 1);
	assert_int_equal(count(h, "<img"), 0);
	assert_int_equal(count(h, "</pre></pre>"), 0);
	assert_non_null(strstr(h, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"
				  "&lt;/pre&gt;\xef\xbf\xbd\xef\xbf\xbd"));
	assert_non_null(strstr(
	    h, "]]&gt;&lt;/style&gt;&lt;!-- &amp;amp; &#x2401;&#x2421;\\u0085 cr&#x240d;lf\n"));
	assert_non_null(strstr(h, "\\u202eevil"));
	assert_non_null(strstr(h, "hostile&lt;b&gt;"));
	assert_non_null(strstr(h, "data-name=\"hostile&lt;b&gt;[p&quot;x]\""));
	assert_non_null(strstr(h, "<title>sandrun report run-&lt;1&gt;</title>"));
	assert_non_null(strstr(h, "host\xef\xbf\xbd"));
	/* NUL in evidence shows as a visible picture, the table survives. */
	assert_non_null(strstr(h, "<td>a&#x2400;b&lt;/script&gt;</td>"));
	assert_non_null(strstr(h, "sandrun repro &#39;it&#39;\\&#39;&#39;s &lt;here&gt;&#39;"));
}

static void test_report_html__page_is_valid_utf8_without_nul(void **state)
{
	struct fixture *f = *state;
	const unsigned char *s, *end;

	build(f, NULL);
	s = (const unsigned char *)f->html.buf;
	end = s + f->html.len;
	assert_int_equal(strlen(f->html.buf), f->html.len);
	while (s < end) {
		size_t k = json_utf8_len(s, end);
		assert_true(k > 0);
		s += k;
	}
}

static void test_report_html__token_is_redacted_like_the_json_report(void **state)
{
	struct fixture *f = *state;

	build(f, NULL);
	assert_null(strcasestr(f->html.buf, TOKEN));
	assert_non_null(strstr(f->html.buf, "tok=&lt;token&gt;"));
	assert_non_null(strstr(f->html.buf, "onerror=alert(1)&gt; &lt;token&gt;"));
}

static void test_report_html__makes_no_outside_request(void **state)
{
	struct fixture *f = *state;

	build(f, NULL);
	assert_null(strstr(f->html.buf, "http://"));
	assert_null(strstr(f->html.buf, "https://"));
	/* "src=x" of the hostile cause is text; no attribute loads anything. */
	assert_null(strstr(f->html.buf, "src=\""));
	assert_null(strstr(f->html.buf, "src='"));
	assert_null(strstr(f->html.buf, "href=\"/"));
	assert_null(strstr(f->html.buf, "url("));
	assert_null(strstr(f->html.buf, "@import"));
	assert_non_null(strstr(f->html.buf, "default-src 'none'"));
}

static void test_report_html__one_row_per_verdict_mismatches_first(void **state)
{
	struct fixture *f = *state;
	const char *h, *flaky, *wrong, *broken, *hostile;

	build(f, NULL);
	h = f->html.buf;
	assert_int_equal(f->nv, 4);
	assert_int_equal(count(h, "<tr class=\"verdict"), 4);
	assert_int_equal(count(h, "<tr class=\"runs\""), 4);
	assert_int_equal(count(h, "<div class=\"run\" "), 5);
	assert_int_equal(count(h, "<tr class=\"verdict mismatch\""), 2);
	assert_non_null(strstr(h, "data-visible=\"4\""));
	assert_non_null(strstr(h, "id=\"count-error\" data-count=\"1\""));
	assert_non_null(strstr(h, "id=\"count-confirmed\" data-count=\"1\""));
	assert_non_null(strstr(h, "id=\"runs-not_confirmed\" data-count=\"2\""));
	assert_non_null(strstr(h, "id=\"mismatches\" data-count=\"2\""));
	assert_non_null(strstr(h, "id=\"nflaky\" data-count=\"1\""));
	assert_non_null(strstr(h, "12.3 s"));
	wrong = strstr(h, "data-name=\"wrong[x]\"");
	broken = strstr(h, "data-name=\"broken\"");
	hostile = strstr(h, "data-name=\"hostile");
	flaky = strstr(h, "data-name=\"flaky\"");
	assert_true(wrong && broken && hostile && flaky);
	assert_true(wrong < broken && broken < hostile && hostile < flaky);
	assert_non_null(strstr(h, "data-flaky=\"1\" data-name=\"flaky\""));
	assert_non_null(strstr(flaky, "1/2"));
}

static void test_report_html__artifacts_link_relative_to_the_report(void **state)
{
	struct fixture *f = *state;
	struct html_opts o = {.base_dir = "/srv/out/reports", .cwd = "/srv"};

	f->recs[1].evidence.artifact_dir = xstrdup("/srv/out/art/c1");
	strvec_push(&f->recs[1].evidence.artifacts, "out/crash-1");
	strvec_push(&f->recs[1].evidence.artifacts, "javascript:alert(1)\" x=\"");
	f->recs[3].evidence.artifact_dir = xstrdup("art2");
	strvec_push(&f->recs[3].evidence.artifacts, "a b#?.txt");
	build(f, &o);
	assert_non_null(strstr(f->html.buf, "<a href=\"../art/c1/out/crash-1\">"));
	assert_non_null(strstr(f->html.buf, "<a href=\"../art/c1/javascript%3Aalert%281%29%22%20x%"
					    "3D%22\"><code>javascript:alert(1)&quot; x=&quot;"));
	assert_non_null(strstr(f->html.buf, "<a href=\"../../art2/a%20b%23%3F.txt\">"));
	assert_null(strstr(f->html.buf, "href=\"javascript"));
}

static void test_report_html__artifacts_without_a_base_are_plain_text(void **state)
{
	struct fixture *f = *state;

	f->recs[1].evidence.artifact_dir = xstrdup("/srv/art");
	strvec_push(&f->recs[1].evidence.artifacts, "out/crash-1");
	build(f, NULL);
	assert_null(strstr(f->html.buf, "<a href"));
	assert_non_null(strstr(f->html.buf, "<code>out/crash-1</code>"));
}

static void test_report_html__timeline_has_one_bar_per_run_on_its_lane(void **state)
{
	struct fixture *f = *state;
	const struct html_timing tm[5] = {{0, 0}, {0, 1}, {110, 1}, {100, 0}, {5, -1}};
	const char *lane1;

	build(f, &(struct html_opts){.timing = tm});
	assert_int_equal(count(f->html.buf, "<div class=\"bar "), 5);
	lane1 = strstr(f->html.buf, "data-lane=\"1\"");
	assert_non_null(lane1);
	assert_non_null(strstr(lane1, "data-seq=\"2\""));
	assert_non_null(strstr(f->html.buf, "worker unknown"));
}

static void test_report_html__timeline_without_start_times_shows_durations(void **state)
{
	struct fixture *f = *state;

	build(f, NULL);
	assert_int_equal(count(f->html.buf, "<div class=\"bar "), 5);
	assert_non_null(strstr(f->html.buf, "no start times"));
}

static void test_report_html__empty_run_still_renders(void **state)
{
	struct run_meta m = {.git_dirty = -1};
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	assert_int_equal(report_html_write(&sb, &m, NULL, 0, NULL, 0, NULL, NULL), 0);
	assert_non_null(strstr(sb.buf, "data-visible=\"0\""));
	assert_non_null(strstr(sb.buf, "</html>"));
	strbuf_release(&sb);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_report_html__harness_output_is_text_never_markup),
	    T(test_report_html__page_is_valid_utf8_without_nul),
	    T(test_report_html__token_is_redacted_like_the_json_report),
	    T(test_report_html__makes_no_outside_request),
	    T(test_report_html__one_row_per_verdict_mismatches_first),
	    T(test_report_html__artifacts_link_relative_to_the_report),
	    T(test_report_html__artifacts_without_a_base_are_plain_text),
	    T(test_report_html__timeline_has_one_bar_per_run_on_its_lane),
	    T(test_report_html__timeline_without_start_times_shows_durations),
	    cmocka_unit_test(test_report_html__empty_run_still_renders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
