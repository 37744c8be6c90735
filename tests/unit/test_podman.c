/* Podman specifics: reading the run network podman made, bridges claimed
 * before they exist, and conmon's OOM mark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "runner/engine/podman.h"

static void a_cni_network_gives_bridge_and_gateway(void **state)
{
	struct podman_net n;
	struct sr_err e = SR_ERR_INIT;

	(void)state;
	assert_int_equal(podman_parse_network(&n, "cni-podman3|false|false|10.89.2.1 \n", &e), 0);
	assert_string_equal(n.bridge, "cni-podman3");
	assert_string_equal(n.gateway, "10.89.2.1");
}

static void the_first_ipv4_gateway_wins_over_ipv6(void **state)
{
	struct podman_net n;
	struct sr_err e = SR_ERR_INIT;

	(void)state;
	assert_int_equal(
	    podman_parse_network(&n, "podman1|false|false|fd00:1::1 10.89.0.1 10.90.0.1 ", &e), 0);
	assert_string_equal(n.bridge, "podman1");
	assert_string_equal(n.gateway, "10.89.0.1");
}

static void an_internal_network_is_refused_with_the_reason(void **state)
{
	struct podman_net n;
	struct sr_err e = SR_ERR_INIT;

	(void)state;
	assert_int_equal(podman_parse_network(&n, "cni-podman1|true|false|", &e), SR_EINVAL);
	assert_non_null(strstr(e.msg, "internal"));
	assert_string_equal(n.bridge, "");
}

static void a_network_with_dns_is_refused(void **state)
{
	struct podman_net n;
	struct sr_err e = SR_ERR_INIT;

	(void)state;
	assert_int_equal(podman_parse_network(&n, "podman2|false|true|10.89.1.1", &e), SR_EINVAL);
	assert_non_null(strstr(e.msg, "DNS"));
}

static void no_ipv4_gateway_is_refused(void **state)
{
	struct podman_net n;
	struct sr_err e = SR_ERR_INIT;

	(void)state;
	assert_int_equal(podman_parse_network(&n, "podman2|false|false|fd00::1 ", &e), SR_EINVAL);
	assert_non_null(strstr(e.msg, "IPv4 gateway"));
	assert_string_equal(n.gateway, "");
}

static void bad_bridge_names_and_garbage_are_refused(void **state)
{
	static const char *const bad[] = {
	    "|false|false|10.0.0.1",
	    "-j|false|false|10.0.0.1",
	    ".x|false|false|10.0.0.1",
	    "a bridge|false|false|10.0.0.1",
	    "abcdefghijklmnop|false|false|10.0.0.1", /* 16 characters */
	    "cni-podman1 false false 10.0.0.1",
	    "Error: network not found",
	    "",
	};
	struct podman_net n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sr_err e = SR_ERR_INIT;
		assert_int_equal(podman_parse_network(&n, bad[i], &e), SR_EINVAL);
		assert_true(e.msg[0] != '\0');
	}
	{
		struct sr_err e = SR_ERR_INIT;
		assert_int_equal(podman_parse_network(&n, NULL, &e), SR_EINVAL);
	}
}

static void create_args_disable_dns_and_are_not_internal(void **state)
{
	struct strvec v = STRVEC_INIT;
	bool dns_off = false;

	(void)state;
	podman_network_create_args(&v, "sr-0a0b0c0d0e0f", "sandrun.run=r1", "sandrun.owner=h/1/2");
	for (size_t i = 0; i < v.nr; i++) {
		assert_string_not_equal(v.v[i], "--internal");
		if (!strcmp(v.v[i], "--disable-dns"))
			dns_off = true;
	}
	assert_true(dns_off);
	assert_string_equal(v.v[0], "network");
	assert_string_equal(v.v[1], "create");
	assert_string_equal(v.v[v.nr - 1], "sr-0a0b0c0d0e0f");
	strvec_clear(&v);
}

static void a_bridge_is_claimed_only_by_a_whole_line(void **state)
{
	const char *ls = "cni-podman0\ncni-podman12\r\n\ncni-podman3 \npodman";

	(void)state;
	assert_true(podman_bridge_claimed(ls, "cni-podman0"));
	assert_true(podman_bridge_claimed(ls, "cni-podman12"));
	assert_true(podman_bridge_claimed(ls, "cni-podman3"));
	assert_true(podman_bridge_claimed(ls, "podman"));
	assert_false(podman_bridge_claimed(ls, "cni-podman1"));
	assert_false(podman_bridge_claimed(ls, "cni-podman"));
	assert_false(podman_bridge_claimed(ls, ""));
	assert_false(podman_bridge_claimed("", "cni-podman0"));
	assert_false(podman_bridge_claimed(NULL, "cni-podman0"));
}

static void the_oom_mark_is_a_regular_file_named_oom(void **state)
{
	char tmpl[] = "/tmp/sr-test-podman-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char path[128];
	int dfd, fd;

	(void)state;
	assert_non_null(dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_false(podman_oom_marked(dfd));

	/* A symlink (even to a real file) or a directory is not conmon's mark. */
	snprintf(path, sizeof(path), "%s/oom", dir);
	assert_int_equal(symlinkat("/etc/hostname", dfd, "oom"), 0);
	assert_false(podman_oom_marked(dfd));
	assert_int_equal(unlinkat(dfd, "oom", 0), 0);
	assert_int_equal(mkdirat(dfd, "oom", 0700), 0);
	assert_false(podman_oom_marked(dfd));
	assert_int_equal(unlinkat(dfd, "oom", AT_REMOVEDIR), 0);

	/* conmon's empty file. */
	fd = openat(dfd, "oom", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_true(podman_oom_marked(dfd));

	unlink(path);
	close(dfd);
	rmdir(dir);
}

static void the_owner_label_is_read_from_the_ls_labels_string(void **state)
{
	char both[] = "sandrun.owner=h/9/1,sandrun.run=orphan";
	char last[] = "sandrun.run=r1,sandrun.owner=h/2/3";
	char prefix[] = "sandrun.owner.x=1,xsandrun.owner=2";
	char none[] = "";
	(void)state;

	assert_string_equal(podman_ls_label(both, "sandrun.owner"), "h/9/1");
	assert_string_equal(podman_ls_label(last, "sandrun.owner"), "h/2/3");
	/* A key that merely starts or ends like the wanted one is not it. */
	assert_string_equal(podman_ls_label(prefix, "sandrun.owner"), "");
	assert_string_equal(podman_ls_label(none, "sandrun.owner"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_cni_network_gives_bridge_and_gateway),
	    cmocka_unit_test(the_first_ipv4_gateway_wins_over_ipv6),
	    cmocka_unit_test(an_internal_network_is_refused_with_the_reason),
	    cmocka_unit_test(a_network_with_dns_is_refused),
	    cmocka_unit_test(no_ipv4_gateway_is_refused),
	    cmocka_unit_test(bad_bridge_names_and_garbage_are_refused),
	    cmocka_unit_test(create_args_disable_dns_and_are_not_internal),
	    cmocka_unit_test(a_bridge_is_claimed_only_by_a_whole_line),
	    cmocka_unit_test(the_oom_mark_is_a_regular_file_named_oom),
	    cmocka_unit_test(the_owner_label_is_read_from_the_ls_labels_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
