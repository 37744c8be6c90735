/* The network plan: one value that the run executes and explain prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "runner/netpolicy/netplan.h"

static struct engine docker = {.bin = "docker", .name = "docker"};
static struct engine podman = {.bin = "podman", .name = "podman", .podman = true};

static void stubs_spec(struct spec *s, struct stub st[3])
{
	memset(s, 0, sizeof(*s));
	s->name = "h";
	s->network = NET_STUBS;
	st[0] = (struct stub){.name = "db", .kind = STUB_SQL};
	st[1] = (struct stub){.name = "etc", .kind = STUB_FS, .path = "/x"};
	st[2] = (struct stub){.name = "my-api", .kind = STUB_HTTP};
	s->stubs = st;
	s->nstubs = 3;
}

static bool has(const struct strvec *v, const char *a)
{
	for (size_t i = 0; i < v->nr; i++)
		if (!strcmp(v->v[i], a))
			return true;
	return false;
}

static void test_netplan__none_and_open_need_no_network(void **state)
{
	struct spec s = {.network = NET_NONE};
	struct netplan_opts o = {.engine = &podman, .spec = &s, .run_dir = "/d"};
	struct netplan p;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(netplan_init(&p, &o, &err), 0);
	assert_false(p.on);
	s.network = NET_OPEN;
	assert_int_equal(netplan_init(&p, &o, &err), 0);
	assert_false(p.on);
	netplan_release(&p);
}

static void test_netplan__podman_oob_needs_the_firewall(void **state)
{
	struct spec s = {.network = NET_OOB};
	struct netplan_opts o = {.engine = &podman, .spec = &s, .run_dir = "/d"};
	struct netplan p;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	assert_int_equal(netplan_init(&p, &o, &err), SR_EFAIL);
	assert_non_null(strstr(err.msg, "needs the runner's firewall"));
	netplan_release(&p);
}

static void test_netplan__podman_network_is_a_dns_less_bridge_with_firewall(void **state)
{
	struct spec s = {.network = NET_OOB};
	struct netplan_opts o = {.engine = &podman,
				 .spec = &s,
				 .run_id = "r1",
				 .owner = "h/1/2",
				 .run_dir = "/d",
				 .name = "sr-x",
				 .firewall = true};
	struct netplan p;
	struct sr_err err = SR_ERR_INIT;
	uint16_t none[1] = {0};
	(void)state;
	assert_int_equal(netplan_init(&p, &o, &err), 0);
	assert_true(p.on);
	/* A normal bridge: --internal would leave no host address to listen on. */
	assert_false(has(&p.create, "--internal"));
	assert_true(has(&p.create, "--disable-dns"));
	assert_true(has(&p.create, "sandrun.run=r1"));
	assert_string_equal(p.bridge, "<bridge>");
	netplan_set_endpoints(&p, &s, "10.89.0.1", 4000, 53, none, "t", "d");
	assert_non_null(strstr(p.fw_lines.buf, "-I FORWARD 1 -i '<bridge>'"));
	netplan_release(&p);
}

static void test_netplan__real_ports_reach_env_firewall_and_listeners(void **state)
{
	struct spec s;
	struct stub st[3];
	struct netplan_opts o = {.engine = &docker,
				 .spec = &s,
				 .run_id = "r1",
				 .owner = "h/1/2",
				 .run_dir = "/d",
				 .firewall = true};
	const uint16_t ports[3] = {5432, 0, 8080};
	struct netplan p;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	stubs_spec(&s, st);
	assert_int_equal(netplan_init(&p, &o, &err), 0);
	assert_true(p.on);
	assert_int_equal(strncmp(p.name, "sr-", 3), 0);
	assert_int_equal(strlen(p.name), 15);
	assert_string_equal(p.create.v[0], "network");
	assert_string_equal(p.create.v[p.create.nr - 1], p.name);
	assert_true(has(&p.create, "--internal"));
	assert_true(has(&p.create, "sandrun.owner=h/1/2"));
	assert_string_equal(p.resolv, "/d/resolv.conf");
	/* As the run does it: the gateway already stored in the plan. */
	p.gateway = xstrdup("172.30.0.1");
	netplan_set_endpoints(&p, &s, p.gateway, 40001, 53, ports, "tok", "oob.test");
	assert_int_equal(p.ntcp, 3);
	assert_int_equal(p.tcp[0], 40001);
	assert_int_equal(p.tcp[1], 5432);
	assert_int_equal(p.tcp[2], 8080);
	assert_int_equal(p.nudp, 1);
	assert_string_equal(
	    p.listeners, "oob http+tcp 40001, dns udp 53, stub db (sql) 5432, stub my-api (http) "
			 "8080");
	assert_non_null(strstr(p.fw_lines.buf, "-d 172.30.0.1/32 -p tcp --dport 8080 -j ACCEPT"));
	assert_non_null(strstr(p.resolv_text, "nameserver 172.30.0.1\n"));
	assert_true(has(&p.env, "SANDRUN_OOB_URL=http://172.30.0.1:40001/tok"));
	assert_true(has(&p.env, "SANDRUN_OOB_DOMAIN=oob.test"));
	assert_true(
	    has(&p.env,
		"SANDRUN_STUB_DB_URL=postgres://sandrun@172.30.0.1:5432/sandrun?sslmode=disable"));
	assert_true(has(&p.env, "SANDRUN_STUB_MY_API_URL=http://172.30.0.1:8080/"));
	netplan_release(&p);
}

static void test_netplan__relay_serves_dns_and_resolv_names_it(void **state)
{
	struct dnsrelay_src src = {.image = "reg/helper@sha256:ab"};
	struct spec s = {.name = "h", .network = NET_OOB};
	struct netplan_opts o = {.engine = &docker,
				 .spec = &s,
				 .run_id = "r1",
				 .owner = "h/1/2",
				 .run_dir = "/d",
				 .relay = &src,
				 .container = "sandrun-r1-1-h"};
	struct netplan p;
	struct sr_err err = SR_ERR_INIT;
	const struct strvec *a;
	(void)state;
	assert_int_equal(netplan_init(&p, &o, &err), 0);
	assert_true(p.relay);
	assert_string_equal(p.relay_name, "sandrun-r1-1-h-dns");
	netplan_set_endpoints(&p, &s, "172.30.0.1", 40001, 41234, NULL, "tok", "oob.test");
	a = &p.relay_run;
	assert_string_equal(a->v[0], "run");
	assert_true(has(a, "sandrun.run=r1"));
	assert_true(has(a, "sandrun.owner=h/1/2"));
	assert_true(has(a, p.name));
	assert_true(has(a, "ALL"));
	/* image, then where to relay to: the runner's port on the gateway */
	assert_string_equal(a->v[a->nr - 3], "reg/helper@sha256:ab");
	assert_string_equal(a->v[a->nr - 2], "172.30.0.1");
	assert_string_equal(a->v[a->nr - 1], "41234");
	assert_int_equal(p.nudp, 1);
	assert_int_equal(p.udp[0], 41234);
	/* The harness shares the relay's network namespace. */
	assert_string_equal(p.harness_net, "container:sandrun-r1-1-h-dns");
	assert_non_null(strstr(p.resolv_text, "nameserver 127.0.0.1\n"));
	netplan_set_relay_ip(&p, "172.30.0.2");
	assert_non_null(strstr(p.resolv_text, "nameserver 127.0.0.1\n"));
	assert_string_equal(
	    p.listeners, "oob http+tcp 40001, dns udp 41234 (clients ask the relay 172.30.0.2:53)");
	/* The harness still gets the gateway for HTTP/TCP. */
	assert_true(has(&p.env, "SANDRUN_OOB_HOST=172.30.0.1"));
	netplan_release(&p);
}

/* sr-dnsfwd mounted into the harness's own image: no helper image needed. */
static void test_netplan__relay_runs_the_mounted_helper(void **state)
{
	struct dnsrelay_src src = {.image = "reg/busybox@sha256:cd", .helper = "/opt/sr/sr-dnsfwd"};
	struct spec s = {.name = "h", .network = NET_OOB};
	struct netplan_opts o = {.engine = &docker,
				 .spec = &s,
				 .run_id = "r1",
				 .owner = "h/1/2",
				 .run_dir = "/d",
				 .relay = &src,
				 .container = "c"};
	struct netplan p;
	struct sr_err err = SR_ERR_INIT;
	const struct strvec *a;
	(void)state;
	assert_int_equal(netplan_init(&p, &o, &err), 0);
	netplan_set_endpoints(&p, &s, "172.30.0.1", 40001, 41234, NULL, "tok", "oob.test");
	a = &p.relay_run;
	assert_true(
	    has(a, "type=bind,source=/opt/sr/sr-dnsfwd,target=/sandrun/sr-dnsfwd,readonly"));
	assert_true(has(a, "--entrypoint=/sandrun/sr-dnsfwd"));
	assert_true(has(a, "--read-only"));
	assert_string_equal(a->v[a->nr - 3], "reg/busybox@sha256:cd");
	assert_string_equal(a->v[a->nr - 2], "172.30.0.1");
	netplan_release(&p);
}

static void test_netplan__placeholders_before_the_network_exists(void **state)
{
	struct spec s;
	struct stub st[3];
	struct netplan_opts o = {.engine = &docker,
				 .spec = &s,
				 .run_id = "<run-id>",
				 .owner = "h/1/2",
				 .run_dir = "<tmp>/n",
				 .name = "sr-<random>"};
	const uint16_t ports[3] = {0};
	struct netplan p;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	stubs_spec(&s, st);
	assert_int_equal(netplan_init(&p, &o, &err), 0);
	netplan_set_endpoints(&p, &s, "<gateway>", 0, 0, ports, "<token>", "oob.test");
	assert_string_equal(p.name, "sr-<random>");
	assert_string_equal(p.listeners,
			    "oob http+tcp <port>, stub db (sql) <port>, stub my-api (http) <port>");
	/* No firewall where the run would not install one; no DNS rule without
	 * a DNS listener. */
	assert_int_equal(p.fw_lines.len, 0);
	assert_int_equal(p.nudp, 0);
	assert_true(has(&p.env, "SANDRUN_OOB_URL=http://<gateway>:<port>/<token>"));
	netplan_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_netplan__none_and_open_need_no_network),
	    cmocka_unit_test(test_netplan__podman_oob_needs_the_firewall),
	    cmocka_unit_test(test_netplan__podman_network_is_a_dns_less_bridge_with_firewall),
	    cmocka_unit_test(test_netplan__real_ports_reach_env_firewall_and_listeners),
	    cmocka_unit_test(test_netplan__placeholders_before_the_network_exists),
	    cmocka_unit_test(test_netplan__relay_serves_dns_and_resolv_names_it),
	    cmocka_unit_test(test_netplan__relay_runs_the_mounted_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
