/* Firewall rules as text (the real rules are exercised by the integration
 * tests against a real bridge), and argument checks that need no root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "runner/net/firewall.h"

static void test_net_firewall__describes_exact_rules(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	const uint16_t tcp[] = {40001, 40002}, udp[] = {53};
	(void)state;

	fw_describe(&sb, "sr-0a1b2c3d4e5f", "172.30.0.1", tcp, 2, udp, 1);
	assert_string_equal(
	    sb.buf,
	    "iptables -w -N SR-sr-0a1b2c3d4e5f\n"
	    "iptables -w -A SR-sr-0a1b2c3d4e5f -d 172.30.0.1/32 -m conntrack --ctstate "
	    "ESTABLISHED,RELATED -j ACCEPT\n"
	    "iptables -w -A SR-sr-0a1b2c3d4e5f -d 172.30.0.1/32 -p tcp --dport 40001 -j ACCEPT\n"
	    "iptables -w -A SR-sr-0a1b2c3d4e5f -d 172.30.0.1/32 -p tcp --dport 40002 -j ACCEPT\n"
	    "iptables -w -A SR-sr-0a1b2c3d4e5f -d 172.30.0.1/32 -p udp --dport 53 -j ACCEPT\n"
	    "iptables -w -A SR-sr-0a1b2c3d4e5f -p tcp -j REJECT --reject-with tcp-reset\n"
	    "iptables -w -A SR-sr-0a1b2c3d4e5f -j REJECT\n"
	    "iptables -w -I INPUT 1 -i sr-0a1b2c3d4e5f -j SR-sr-0a1b2c3d4e5f\n"
	    "iptables -w -I FORWARD 1 -i sr-0a1b2c3d4e5f -j SR-sr-0a1b2c3d4e5f\n"
	    "iptables -w -S CNI-ADMIN >/dev/null 2>&1 && "
	    "iptables -w -I CNI-ADMIN 1 -i sr-0a1b2c3d4e5f -j SR-sr-0a1b2c3d4e5f\n"
	    "ip6tables -w -N SR-sr-0a1b2c3d4e5f\n"
	    "ip6tables -w -A SR-sr-0a1b2c3d4e5f -j DROP\n"
	    "ip6tables -w -I INPUT 1 -i sr-0a1b2c3d4e5f -j SR-sr-0a1b2c3d4e5f\n"
	    "ip6tables -w -I FORWARD 1 -i sr-0a1b2c3d4e5f -j SR-sr-0a1b2c3d4e5f\n"
	    "ip6tables -w -S CNI-ADMIN >/dev/null 2>&1 && "
	    "ip6tables -w -I CNI-ADMIN 1 -i sr-0a1b2c3d4e5f -j SR-sr-0a1b2c3d4e5f\n");
	strbuf_release(&sb);
}

static void test_net_firewall__describe_quotes_placeholders(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	const uint16_t tcp[] = {0};
	(void)state;

	fw_describe(&sb, "sr-<random>", "<gateway>", tcp, 1, NULL, 0);
	assert_non_null(strstr(sb.buf, "iptables -w -N 'SR-sr-<random>'\n"));
	assert_non_null(strstr(sb.buf, "-d '<gateway>/32' -p tcp --dport '<port>' -j ACCEPT\n"));
	assert_null(strstr(sb.buf, "-p udp"));
	assert_non_null(strstr(sb.buf, "-I INPUT 1 -i 'sr-<random>' -j 'SR-sr-<random>'\n"));
	strbuf_release(&sb);
}

static void test_net_firewall__apply_rejects_bad_arguments(void **state)
{
	const uint16_t ok[] = {4000}, zero[] = {0};
	const char *bad_bridges[] = {"",  "sr-0123456789abc", "sr x", "sr;rm", "-j", "a/b", "..",
				     ".x"};
	struct fw_rules r;
	struct sr_err err = SR_ERR_INIT;
	(void)state;

	/* Rejected before any iptables runs: no root needed. The leading '-'
	 * case matters: the name becomes an argv element. */
	for (size_t i = 0; i < SR_ARRAY_SIZE(bad_bridges); i++)
		if (fw_apply(&r, bad_bridges[i], "172.30.0.1", ok, 1, NULL, 0, &err) != SR_EINVAL)
			fail_msg("bridge '%s' accepted", bad_bridges[i]);
	assert_int_equal(fw_apply(&r, "sr-1", "0.0.0.0/0", ok, 1, NULL, 0, &err), SR_EINVAL);
	assert_int_equal(fw_apply(&r, "sr-1", "::1", ok, 1, NULL, 0, &err), SR_EINVAL);
	assert_int_equal(fw_apply(&r, "sr-1", "172.30.0.1", zero, 1, NULL, 0, &err), SR_EINVAL);
	assert_int_equal(fw_apply(&r, "sr-1", "172.30.0.1", ok, 1, zero, 1, &err), SR_EINVAL);
	assert_non_null(strstr(err.msg, "port 0"));
	/* Removing nothing is fine. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(fw_remove(&r), 0);
	assert_int_equal(fw_remove(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_net_firewall__describes_exact_rules),
	    cmocka_unit_test(test_net_firewall__describe_quotes_placeholders),
	    cmocka_unit_test(test_net_firewall__apply_rejects_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
