/* The live progress line: what it says, and how it redraws. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runner/cli/progress.h"

static void rec(struct record *r, enum outcome o, enum outcome want)
{
	record_init(r);
	r->outcome = o;
	r->expected = want;
}

static void test_progress__line_counts_runs_outcomes_and_eta(void **state)
{
	struct progress p;
	struct record r;
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	progress_init(&p, NULL, 10, 4, false, 1000);
	progress_render(&sb, &p, 1000);
	assert_string_equal(sb.buf, "[0/10] 4 running  0 confirmed  0 crash  0 mismatch  "
				    "0:00 elapsed  ETA ?");
	rec(&r, OUTCOME_CONFIRMED, OUTCOME_CONFIRMED);
	progress_done(&p, &r, 3000);
	rec(&r, OUTCOME_TIMEOUT, OUTCOME_NOT_CONFIRMED);
	progress_done(&p, &r, 5000);
	strbuf_reset(&sb);
	progress_render(&sb, &p, 5000); /* 4 s for 2 runs: 16 s for the other 8 */
	assert_string_equal(sb.buf, "[2/10] 4 running  1 confirmed  0 crash  1 mismatch  "
				    "0:04 elapsed  ETA 0:16");
	for (int i = 0; i < 7; i++) {
		rec(&r, OUTCOME_CRASH, OUTCOME_NONE);
		progress_done(&p, &r, 6000);
	}
	strbuf_reset(&sb);
	progress_render(&sb, &p, 6000);
	assert_non_null(strstr(sb.buf, "[9/10] 1 running  1 confirmed  7 crash  1 mismatch"));
	strbuf_release(&sb);
}

static char *drive(bool no_color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct progress p;
	struct record r;

	assert_non_null(f);
	progress_init(&p, NULL, 3, 1, no_color, 0);
	p.f = f; /* a memstream is no terminal: force it on */
	rec(&r, OUTCOME_NOT_CONFIRMED, OUTCOME_NONE);
	progress_done(&p, &r, 500); /* first: drawn */
	progress_done(&p, &r, 550); /* 50 ms later: not redrawn */
	progress_clear(&p);	    /* before a per-run line */
	progress_done(&p, &r, 560); /* the last one: drawn */
	progress_end(&p);
	fclose(f);
	return buf;
}

static void test_progress__redraws_in_place_at_most_every_100ms(void **state)
{
	char *s;
	(void)state;

	s = drive(false);
	assert_non_null(strstr(s, "\r\033[K[1/3]"));
	assert_null(strstr(s, "[2/3]"));
	assert_non_null(strstr(s, "\r\033[K[3/3]"));
	assert_null(strchr(s, '\n'));
	free(s);

	s = drive(true); /* NO_COLOR: no escape codes at all */
	assert_null(strchr(s, '\033'));
	assert_non_null(strstr(s, "\r[1/3]"));
	assert_non_null(strstr(s, "\r[3/3]"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_progress__line_counts_runs_outcomes_and_eta),
	    cmocka_unit_test(test_progress__redraws_in_place_at_most_every_100ms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
