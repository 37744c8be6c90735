/* Untokened evidence: unattributed hits from the run's own network only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "runner/netpolicy/untokened.h"

static void test_untokened__keeps_hits_from_the_runs_subnet_but_not_the_gateway(void **state)
{
	const char *un =
	    "[{\"proto\":\"http\",\"from\":\"172.30.0.2:4242\",\"summary\":\"GET /x\"},"
	    "{\"proto\":\"http\",\"from\":\"172.30.0.1:5000\",\"summary\":\"host\"},"
	    "{\"proto\":\"dns\",\"from\":\"172.17.0.5:53\",\"summary\":\"other net\"},"
	    "{\"truncated\":true,\"omitted\":3}]";
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	/* 172.30.0.0/16 */
	untokened_filter(&sb, un, 0xac1e0000u, 0xffff0000u, "172.30.0.1");
	assert_string_equal(sb.buf, "[{\"proto\":\"http\",\"from\":\"172.30.0.2:4242\","
				    "\"summary\":\"GET /x\"}]");
	strbuf_reset(&sb);
	untokened_filter(&sb, "not json", 0xac1e0000u, 0xffff0000u, "172.30.0.1");
	assert_string_equal(sb.buf, "[]");
	strbuf_release(&sb);
}

static void test_untokened__subnet_of_a_local_address(void **state)
{
	uint32_t net = 0, mask = 0;
	(void)state;

	/* Loopback is on every host: 127.0.0.1/8. */
	assert_true(untokened_subnet(&net, &mask, "127.0.0.1"));
	assert_int_equal(net, 0x7f000000u);
	assert_int_equal(mask, 0xff000000u);
	assert_false(untokened_subnet(&net, &mask, "192.0.2.77")); /* TEST-NET-1: not local */
	assert_false(untokened_subnet(&net, &mask, "nonsense"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_untokened__keeps_hits_from_the_runs_subnet_but_not_the_gateway),
	    cmocka_unit_test(test_untokened__subnet_of_a_local_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
