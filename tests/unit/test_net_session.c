/* The network evidence session on 127.0.0.1: OOB HTTP, raw TCP and DNS,
 * every stub kind, and real PostgreSQL clients against the sql stub. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/net/net.h"

extern char **environ;

#define TOKEN "0123456789abcdef0123456789abcdef"
#define OTHER "ffffffffffffffffffffffffffffffff"

static struct net_session *open_session(const struct stub *stubs, size_t n, size_t max_ev,
					unsigned idle_ms)
{
	struct net_session_opts o = {.bind_addr = "127.0.0.1",
				     .token = TOKEN,
				     .domain = "oob.sandrun.test",
				     .stubs = stubs,
				     .nstubs = n,
				     .dns_port = 0,
				     .max_evidence_bytes = max_ev,
				     .idle_ms = idle_ms};
	struct sr_err err = SR_ERR_INIT;
	struct net_session *s = NULL;

	if (net_session_open(&s, &o, &err) < 0)
		fail_msg("net_session_open: %s", err.msg);
	assert_non_null(s);
	assert_int_not_equal(net_session_oob_port(s), 0);
	return s;
}

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		assert_true(w > 0);
		c += w;
		n -= (size_t)w;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* Read until the peer closes (or the 5 s receive timeout). */
static void read_all(int fd, struct strbuf *out)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		strbuf_add(out, buf, (size_t)n);
}

/* Read until out contains want. */
static void read_until(int fd, struct strbuf *out, const char *want)
{
	char buf[4096];

	while (!strstr(strbuf_str(out), want)) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			fail_msg("connection ended before '%s'; got '%s'", want, strbuf_str(out));
		strbuf_add(out, buf, (size_t)n);
	}
}

/* One HTTP/1.0 exchange on a fresh connection; returns the response. */
static char *http_once(uint16_t port, const char *request)
{
	struct strbuf out = STRBUF_INIT;
	int fd = tcp_connect(port);

	send_str(fd, request);
	read_all(fd, &out);
	close(fd);
	return strbuf_detach(&out, NULL);
}

static char *evidence(struct net_session *s, int which)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT;
	char *r;

	net_session_evidence(s, &a, &b, &c);
	r = strbuf_detach(which == 0 ? &a : which == 1 ? &b : &c, NULL);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&c);
	return r;
}

static bool wait_fired(struct net_session *s, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (net_session_oob_fired(s, NULL))
			return true;
		usleep(10000);
	}
	return net_session_oob_fired(s, NULL);
}

static void test_net_session__http_with_token_fires(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	char *resp, *cause = NULL, *ev;
	(void)state;

	assert_false(net_session_oob_fired(s, &cause));
	assert_null(cause);
	resp = http_once(net_session_oob_port(s), "GET /" TOKEN " HTTP/1.0\r\nHost: x\r\n\r\n");
	assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(resp, "\r\n\r\nok"));
	free(resp);
	assert_true(net_session_oob_fired(s, &cause));
	assert_string_equal(cause, "oob http GET /" TOKEN " from 127.0.0.1");
	free(cause);
	net_session_stop(s);
	ev = evidence(s, 0);
	assert_non_null(strstr(ev, "\"proto\":\"http\""));
	assert_non_null(strstr(ev, "\"summary\":\"GET /" TOKEN "\""));
	assert_non_null(strstr(ev, "\"from\":\"127.0.0.1:"));
	free(ev);
	net_session_free(s);
}

static void test_net_session__wrong_token_is_unattributed(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	struct net_stats st;
	char *resp, *ev;
	(void)state;

	resp = http_once(net_session_oob_port(s), "GET /" OTHER " HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(resp, "200 OK"));
	free(resp);
	net_session_stop(s);
	assert_false(net_session_oob_fired(s, NULL));
	ev = evidence(s, 0);
	assert_string_equal(ev, "[]");
	free(ev);
	ev = evidence(s, 2);
	assert_non_null(strstr(ev, OTHER));
	free(ev);
	net_session_stats(s, &st);
	assert_int_equal(st.oob_attributed, 0);
	assert_int_equal(st.oob_unattributed, 1);
	net_session_free(s);
}

static void test_net_session__token_in_header_or_body_fires(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	struct net_session *s2 = open_session(NULL, 0, 0, 0);
	char *resp;
	(void)state;

	resp = http_once(net_session_oob_port(s), "GET / HTTP/1.1\r\nHost: a\r\nX-Leak: " TOKEN
						  "\r\nConnection: close\r\n\r\n");
	free(resp);
	assert_true(net_session_oob_fired(s, NULL));
	/* Upper-case, in a chunked body. */
	resp = http_once(
	    net_session_oob_port(s2),
	    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\n20\r\n0123456789ABCDEF0123456789ABCDEF\r\n0\r\n\r\n");
	assert_non_null(strstr(resp, "200 OK"));
	free(resp);
	assert_true(net_session_oob_fired(s2, NULL));
	net_session_free(s);
	net_session_free(s2);
}

static void test_net_session__http_keep_alive_and_pipelining(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	struct strbuf out = STRBUF_INIT;
	struct net_stats st;
	int fd;
	(void)state;

	fd = tcp_connect(net_session_oob_port(s));
	send_str(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\n"
		     "Content-Length: 3\r\n\r\nabcHEAD /c HTTP/1.1\r\nHost: x\r\n"
		     "Connection: close\r\n\r\n");
	read_all(fd, &out);
	close(fd);
	/* Two keep-alive answers, then a close; HEAD has no body. */
	assert_non_null(strstr(out.buf, "Connection: keep-alive\r\n\r\nokHTTP/1.1 200 OK"));
	assert_non_null(strstr(out.buf, "Connection: close\r\n\r\n"));
	assert_string_equal(strstr(out.buf, "Connection: close\r\n\r\n"),
			    "Connection: close\r\n\r\n");
	strbuf_release(&out);
	net_session_stop(s);
	net_session_stats(s, &st);
	assert_int_equal(st.oob_unattributed, 3);
	net_session_free(s);
}

static void test_net_session__raw_tcp_token_fires(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	char *cause = NULL;
	int fd;
	(void)state;

	fd = tcp_connect(net_session_oob_port(s));
	send_str(fd, "hello " TOKEN "\n");
	shutdown(fd, SHUT_WR);
	{
		char b[16];
		assert_int_equal(recv(fd, b, sizeof(b), 0), 0); /* the server closes */
	}
	close(fd);
	net_session_stop(s);
	assert_true(net_session_oob_fired(s, &cause));
	assert_string_equal(cause, "oob tcp 39 bytes from 127.0.0.1");
	free(cause);
	net_session_free(s);
}

static void test_net_session__raw_tcp_fires_while_connection_open(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	int fd;
	(void)state;

	fd = tcp_connect(net_session_oob_port(s));
	/* The token split over two writes. */
	send_str(fd, "\x01\x02garbage 0123456789abcdef");
	usleep(50000);
	send_str(fd, "0123456789abcdef and more");
	assert_true(wait_fired(s, 3000));
	close(fd);
	net_session_free(s);
}

static size_t dns_query(uint8_t *pkt, const char *name, uint16_t type)
{
	size_t n = 12;
	const char *p = name;

	memset(pkt, 0, 12);
	pkt[0] = 0x12;
	pkt[1] = 0x34;
	pkt[2] = 0x01; /* RD */
	pkt[5] = 1;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		pkt[n++] = (uint8_t)l;
		memcpy(pkt + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	pkt[n++] = 0;
	pkt[n++] = (uint8_t)(type >> 8);
	pkt[n++] = (uint8_t)type;
	pkt[n++] = 0;
	pkt[n++] = 1;
	return n;
}

static ssize_t dns_ask(uint16_t port, const uint8_t *q, size_t qn, uint8_t *resp, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = 3};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(sendto(fd, q, qn, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)qn);
	n = recv(fd, resp, cap, 0);
	close(fd);
	return n;
}

static void test_net_session__dns_query_fires(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	uint8_t q[512], r[512];
	size_t qn;
	ssize_t n;
	char *cause = NULL;
	(void)state;

	assert_int_not_equal(net_session_dns_port(s), 0);
	assert_string_equal(net_session_dns_error(s), "");
	qn = dns_query(q, "X.0123456789ABCDEF0123456789ABCDEF.OOB.sandrun.test", 1);
	n = dns_ask(net_session_dns_port(s), q, qn, r, sizeof(r));
	assert_int_equal(n, (ssize_t)qn + 16);
	assert_int_equal(r[0], 0x12);
	assert_int_equal(r[3] & 15, 0); /* NOERROR */
	assert_int_equal(r[7], 1);	/* one answer */
	assert_memory_equal(r + n - 4, "\x7f\x00\x00\x01", 4);
	assert_true(net_session_oob_fired(s, &cause));
	assert_string_equal(
	    cause, "oob dns A X.0123456789ABCDEF0123456789ABCDEF.OOB.sandrun.test from 127.0.0.1");
	free(cause);
	net_session_free(s);
}

static void test_net_session__dns_other_names_and_types(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	uint8_t q[512], r[512];
	size_t qn;
	ssize_t n;
	struct net_stats st;
	(void)state;

	qn = dns_query(q, "example.com", 1);
	n = dns_ask(net_session_dns_port(s), q, qn, r, sizeof(r));
	assert_int_equal(n, (ssize_t)qn);
	assert_int_equal(r[3] & 15, 3); /* NXDOMAIN */
	/* "sandrun.test" alone is not under the zone, "xoob.sandrun.test" neither. */
	qn = dns_query(q, "xoob.sandrun.test", 1);
	n = dns_ask(net_session_dns_port(s), q, qn, r, sizeof(r));
	assert_int_equal(r[3] & 15, 3);
	qn = dns_query(q, "a.oob.sandrun.test", 28); /* AAAA: NODATA */
	n = dns_ask(net_session_dns_port(s), q, qn, r, sizeof(r));
	assert_int_equal(n, (ssize_t)qn);
	assert_int_equal(r[3] & 15, 0);
	assert_int_equal(r[7], 0);
	/* Garbage gets no answer but is recorded; the listener lives on. */
	{
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons(net_session_dns_port(s))};
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		sendto(fd, "\xff\xff", 2, 0, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
	}
	qn = dns_query(q, "oob.sandrun.test", 1);
	n = dns_ask(net_session_dns_port(s), q, qn, r, sizeof(r));
	assert_int_equal(r[7], 1);
	net_session_stop(s);
	assert_false(net_session_oob_fired(s, NULL));
	net_session_stats(s, &st);
	assert_int_equal(st.dns_packets, 5);
	assert_int_equal(st.oob_unattributed, 5);
	net_session_free(s);
}

static void test_net_session__no_dns_when_disabled(void **state)
{
	struct net_session_opts o = {.bind_addr = "127.0.0.1", .token = TOKEN, .dns_port = -1};
	struct sr_err err = SR_ERR_INIT;
	struct net_session *s;
	(void)state;

	assert_int_equal(net_session_open(&s, &o, &err), 0);
	assert_int_equal(net_session_dns_port(s), 0);
	assert_string_not_equal(net_session_dns_error(s), "");
	net_session_free(s);
}

static void test_net_session__dns_port_taken_fails_the_open_naming_it(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	struct net_session_opts o = {.bind_addr = "127.0.0.1", .token = TOKEN};
	struct sr_err err = SR_ERR_INIT;
	struct net_session *s = (struct net_session *)1;
	char want[64];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	(void)state;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	o.dns_port = ntohs(sa.sin_port);
	assert_true(net_session_open(&s, &o, &err) < 0);
	assert_null(s);
	snprintf(want, sizeof(want), "cannot bind udp 127.0.0.1:%d: ", o.dns_port);
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, strerror(EADDRINUSE)));
	close(fd);
}

static void test_net_session__refuses_wildcard_and_bad_addresses(void **state)
{
	const char *bad[] = {"0.0.0.0", "255.255.255.255", "::", "example.com", "224.0.0.1", ""};
	(void)state;

	for (size_t i = 0; i < SR_ARRAY_SIZE(bad); i++) {
		struct net_session_opts o = {.bind_addr = bad[i], .token = TOKEN, .dns_port = -1};
		struct sr_err err = SR_ERR_INIT;
		struct net_session *s = (struct net_session *)1;

		assert_int_equal(net_session_open(&s, &o, &err), SR_EINVAL);
		assert_null(s);
		assert_string_not_equal(err.msg, "");
	}
}

static void test_net_session__survives_garbage_and_half_open(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	int idle[20], fd;
	char junk[70000];
	char *resp;
	(void)state;

	for (size_t i = 0; i < SR_ARRAY_SIZE(idle); i++)
		idle[i] = tcp_connect(net_session_oob_port(s));
	/* Half-open: write side shut, never reads. */
	shutdown(idle[0], SHUT_WR);
	/* Garbage with NULs, and an HTTP-looking line that never ends. */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7);
	fd = tcp_connect(net_session_oob_port(s));
	send_all(fd, junk, sizeof(junk));
	close(fd);
	fd = tcp_connect(net_session_oob_port(s));
	send_str(fd, "GET /");
	for (int i = 0; i < 20; i++)
		send_all(fd, junk + 100, 1000); /* non-printables end the sniff */
	close(fd);
	/* A reset mid-request. */
	fd = tcp_connect(net_session_oob_port(s));
	send_str(fd, "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nab");
	{
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(fd);
	resp = http_once(net_session_oob_port(s), "GET /" TOKEN " HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(resp, "200 OK"));
	free(resp);
	assert_true(net_session_oob_fired(s, NULL));
	for (size_t i = 0; i < SR_ARRAY_SIZE(idle); i++)
		close(idle[i]);
	net_session_free(s);
}

static void test_net_session__bad_http_gets_400(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	struct strbuf req = STRBUF_INIT;
	char *resp;
	(void)state;

	resp = http_once(net_session_oob_port(s),
			 "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
	assert_non_null(strstr(resp, "HTTP/1.1 400 Bad Request"));
	free(resp);
	/* Oversized header block. */
	strbuf_addstr(&req, "GET /" TOKEN " HTTP/1.1\r\n");
	for (int i = 0; i < 400; i++)
		strbuf_addf(&req, "X-Pad-%d: %064d\r\n", i, i);
	strbuf_addstr(&req, "\r\n");
	resp = http_once(net_session_oob_port(s), req.buf);
	assert_non_null(strstr(resp, "400 Bad Request"));
	free(resp);
	strbuf_release(&req);
	/* The malformed request still counts as evidence. */
	assert_true(net_session_oob_fired(s, NULL));
	net_session_free(s);
}

static void test_net_session__idle_connection_is_closed(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 300);
	char b[8];
	int fd;
	(void)state;

	fd = tcp_connect(net_session_oob_port(s));
	send_str(fd, "partial " TOKEN);
	assert_int_equal(recv(fd, b, sizeof(b), 0), 0);
	close(fd);
	assert_true(net_session_oob_fired(s, NULL));
	net_session_free(s);
}

static void test_net_session__evidence_is_bounded_decisions_are_not(void **state)
{
	struct net_session *s = open_session(NULL, 0, 4096, 0);
	char *ev, *cause = NULL;
	int fd;
	(void)state;

	fd = tcp_connect(net_session_oob_port(s));
	for (int i = 0; i < 200; i++)
		send_str(fd, "GET /nothing-to-see-here HTTP/1.1\r\nHost: x\r\n\r\n");
	send_str(fd, "GET /" TOKEN " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	{
		struct strbuf out = STRBUF_INIT;
		read_all(fd, &out);
		strbuf_release(&out);
	}
	close(fd);
	net_session_stop(s);
	assert_true(net_session_oob_fired(s, &cause));
	free(cause);
	ev = evidence(s, 2);
	assert_true(strlen(ev) <= 4096);
	assert_non_null(strstr(ev, "{\"truncated\":true,\"omitted\":"));
	assert_int_equal(ev[strlen(ev) - 1], ']');
	free(ev);
	ev = evidence(s, 0);
	assert_non_null(strstr(ev, TOKEN));
	free(ev);
	net_session_free(s);
}

static void test_net_session__stop_is_idempotent(void **state)
{
	struct net_session *s = open_session(NULL, 0, 0, 0);
	char *resp;
	(void)state;

	resp = http_once(net_session_oob_port(s), "GET /" TOKEN " HTTP/1.0\r\n\r\n");
	free(resp);
	net_session_stop(s);
	net_session_stop(s);
	assert_true(net_session_oob_fired(s, NULL));
	net_session_free(s);
	net_session_free(NULL);
}

static void test_net_session__http_stub_records_and_answers(void **state)
{
	struct stub stubs[] = {{.name = "api", .kind = STUB_HTTP, .status = 418, .body = "teapot"},
			       {.name = "etc", .kind = STUB_FS, .path = "/nonexistent"}};
	struct net_session *s = open_session(stubs, 2, 0, 0);
	char *resp, *cause = NULL, *ev;
	(void)state;

	assert_int_equal(net_session_stub_port(s, 1), 0);
	assert_int_equal(net_session_stub_port(s, 7), 0);
	resp = http_once(net_session_stub_port(s, 0),
			 "POST /users?id=1 HTTP/1.1\r\nHost: api\r\nX-Test: yes\r\n"
			 "Content-Length: 11\r\nConnection: close\r\n\r\nname=' OR 1");
	assert_non_null(strstr(resp, "HTTP/1.1 418 Status\r\n"));
	assert_non_null(strstr(resp, "\r\n\r\nteapot"));
	free(resp);
	assert_true(net_session_stub_match(s, "api", "name=' OR 1", NULL, &cause));
	assert_non_null(strstr(cause, "stub api http"));
	free(cause);
	assert_true(net_session_stub_match(s, "api", NULL, "^POST /users\\?id=[0-9]+", NULL));
	assert_true(net_session_stub_match(s, "api", "X-Test: yes", "Host: api", NULL));
	assert_false(net_session_stub_match(s, "api", "DROP TABLE", NULL, NULL));
	assert_false(net_session_stub_match(s, "api", NULL, "(", NULL)); /* invalid regex */
	assert_false(net_session_stub_match(s, "nope", NULL, NULL, NULL));
	/* Stub traffic is not OOB evidence. */
	assert_false(net_session_oob_fired(s, NULL));
	net_session_stop(s);
	ev = evidence(s, 1);
	assert_non_null(strstr(ev, "{\"stub\":\"api\",\"kind\":\"http\",\"time\":\""));
	assert_non_null(strstr(ev, "\"text\":\"POST /users?id=1 HTTP/1.1\\r\\nHost: api"));
	free(ev);
	net_session_free(s);
}

static void test_net_session__tcp_stub_sends_canned_reply(void **state)
{
	struct stub stubs[] = {{.name = "raw", .kind = STUB_TCP, .body = "220 welcome\r\n"},
			       {.name = "quiet", .kind = STUB_TCP}};
	struct net_session *s = open_session(stubs, 2, 0, 0);
	struct strbuf out = STRBUF_INIT;
	int fd;
	(void)state;

	fd = tcp_connect(net_session_stub_port(s, 0));
	read_until(fd, &out, "220 welcome\r\n");
	send_str(fd, "HELO evil\r\n");
	shutdown(fd, SHUT_WR);
	read_all(fd, &out);
	close(fd);
	assert_string_equal(out.buf, "220 welcome\r\n");
	strbuf_release(&out);
	fd = tcp_connect(net_session_stub_port(s, 1));
	send_str(fd, "x");
	close(fd);
	net_session_stop(s);
	assert_true(net_session_stub_match(s, "raw", "HELO evil", NULL, NULL));
	assert_true(net_session_stub_match(s, "quiet", "x", NULL, NULL));
	net_session_free(s);
}

static void test_net_session__redis_get_set_roundtrip(void **state)
{
	struct stub stubs[] = {{.name = "cache", .kind = STUB_REDIS}};
	struct net_session *s = open_session(stubs, 1, 0, 0);
	struct strbuf out = STRBUF_INIT;
	char *cause = NULL;
	int fd;
	(void)state;

	fd = tcp_connect(net_session_stub_port(s, 0));
	send_str(fd, "*1\r\n$4\r\nPING\r\n");
	read_until(fd, &out, "+PONG\r\n");
	send_str(fd,
		 "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
		 "*2\r\n$3\r\nGET\r\n$4\r\nnone\r\n*3\r\n$6\r\nEXISTS\r\n$1\r\nk\r\n$4\r\nnone\r\n"
		 "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
	read_until(fd, &out, "$-1\r\n:1\r\n:1\r\n$-1\r\n");
	assert_string_equal(out.buf, "+PONG\r\n+OK\r\n$5\r\nhello\r\n$-1\r\n:1\r\n:1\r\n$-1\r\n");
	strbuf_reset(&out);
	/* Inline commands, as from telnet or nc. */
	send_str(fd, "set a 41\r\nincr a\r\nECHO hi\r\nFLUSHALL\r\nQUIT\r\n");
	read_all(fd, &out);
	assert_string_equal(out.buf, "+OK\r\n:42\r\n$2\r\nhi\r\n+OK\r\n+OK\r\n");
	close(fd);
	strbuf_release(&out);
	net_session_stop(s);
	assert_true(net_session_stub_match(s, "cache", "SET k hello", NULL, &cause));
	assert_string_equal(cause, "stub cache redis \"SET k hello\" from 127.0.0.1");
	free(cause);
	assert_true(net_session_stub_match(s, "cache", "incr a", NULL, NULL));
	net_session_free(s);
}

static void test_net_session__redis_protocol_error(void **state)
{
	struct stub stubs[] = {{.name = "cache", .kind = STUB_REDIS}};
	struct net_session *s = open_session(stubs, 1, 0, 0);
	struct strbuf out = STRBUF_INIT;
	int fd;
	(void)state;

	fd = tcp_connect(net_session_stub_port(s, 0));
	send_str(fd, "*2\r\n$-5\r\n");
	read_all(fd, &out);
	assert_string_equal(out.buf, "-ERR Protocol error\r\n");
	close(fd);
	strbuf_release(&out);
	net_session_stop(s);
	assert_true(net_session_stub_match(s, "cache", "$-5", NULL, NULL));
	net_session_free(s);
}

/* Run argv with a deadline; stdout+stderr into out. Returns the exit code,
 * or -1 when the tool is missing or did not exit normally. */
static int run_cmd(char *const argv[], struct strbuf *out)
{
	char path[] = "/tmp/sr-test-net-XXXXXX";
	int fd = mkstemp(path), status = 0, rc = -1;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	assert_true(fd >= 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	posix_spawn_file_actions_adddup2(&fa, fd, 2);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0) {
		for (int i = 0; i < 300; i++) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				break;
			if (i == 299) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
			}
			usleep(100000);
		}
		if (WIFEXITED(status))
			rc = WEXITSTATUS(status);
	}
	posix_spawn_file_actions_destroy(&fa);
	{
		char buf[4096];
		ssize_t n;
		lseek(fd, 0, SEEK_SET);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			strbuf_add(out, buf, (size_t)n);
	}
	close(fd);
	unlink(path);
	return rc;
}

static bool have(const char *path)
{
	return access(path, X_OK) == 0;
}

static void test_net_session__sql_psql_simple_query(void **state)
{
	struct stub stubs[] = {{.name = "db", .kind = STUB_SQL}};
	struct net_session *s;
	struct strbuf out = STRBUF_INIT;
	char url[128], *cause = NULL;
	int rc;
	(void)state;

	if (!have("/usr/bin/psql"))
		skip();
	s = open_session(stubs, 1, 0, 0);
	snprintf(url, sizeof(url), "postgres://sandrun@127.0.0.1:%u/sandrun?sslmode=prefer",
		 net_session_stub_port(s, 0));
	{
		char *argv[] = {
		    "psql", "-X",
		    "-w",   url,
		    "-c",   "select 1",
		    "-c",   "SELECT * FROM users WHERE name = '' OR '1'='1'; UPDATE t SET a = 1",
		    "-c",   "",
		    "-c",   "create temp table x (a int)",
		    NULL};
		rc = run_cmd(argv, &out);
	}
	if (rc != 0)
		fail_msg("psql exited %d: %s", rc, out.buf);
	assert_non_null(strstr(out.buf, "(0 rows)"));
	assert_non_null(strstr(out.buf, "UPDATE 0"));
	assert_non_null(strstr(out.buf, "CREATE TABLE"));
	strbuf_release(&out);
	net_session_stop(s);
	assert_true(net_session_stub_match(s, "db", "select 1", NULL, NULL));
	assert_true(net_session_stub_match(s, "db", "' OR '1'='1", NULL, &cause));
	assert_non_null(strstr(cause, "stub db sql"));
	free(cause);
	assert_true(net_session_stub_match(s, "db", "user=sandrun", NULL, NULL));
	net_session_free(s);
}

static void test_net_session__sql_psql_extended_protocol(void **state)
{
	struct stub stubs[] = {{.name = "db", .kind = STUB_SQL}};
	struct net_session *s;
	struct strbuf out = STRBUF_INIT;
	char url[128], script[] = "/tmp/sr-test-net-sql-XXXXXX";
	int fd, rc;
	(void)state;

	if (!have("/usr/bin/psql"))
		skip();
	s = open_session(stubs, 1, 0, 0);
	snprintf(url, sizeof(url), "postgres://sandrun@127.0.0.1:%u/sandrun?sslmode=prefer",
		 net_session_stub_port(s, 0));
	/* psql 15 has no \bind; \gdesc prepares (Parse/Sync) and describes
	 * (Describe/Sync) the statement through the extended protocol. */
	fd = mkstemp(script);
	assert_true(fd >= 0);
	{
		static const char sql[] = "SELECT $1::int AS answer \\gdesc\n";
		assert_int_equal(write(fd, sql, sizeof(sql) - 1), (ssize_t)sizeof(sql) - 1);
	}
	close(fd);
	{
		char *argv[] = {"psql", "-X", "-w",   "-v", "ON_ERROR_STOP=1",
				url,	"-f", script, NULL};
		rc = run_cmd(argv, &out);
	}
	unlink(script);
	if (rc != 0)
		fail_msg("psql exited %d: %s", rc, out.buf);
	strbuf_release(&out);
	net_session_stop(s);
	assert_true(net_session_stub_match(s, "db", "SELECT $1::int AS answer", NULL, NULL));
	net_session_free(s);
}

static void test_net_session__sql_pgbench_extended_and_prepared(void **state)
{
	struct stub stubs[] = {{.name = "db", .kind = STUB_SQL}};
	struct net_session *s;
	char url[128], script[] = "/tmp/sr-test-net-bench-XXXXXX";
	const char *modes[] = {"extended", "prepared", "simple"};
	struct net_stats st;
	int fd;
	(void)state;

	if (!have("/usr/bin/pgbench"))
		skip();
	s = open_session(stubs, 1, 0, 0);
	snprintf(url, sizeof(url), "postgres://sandrun@127.0.0.1:%u/sandrun?sslmode=prefer",
		 net_session_stub_port(s, 0));
	fd = mkstemp(script);
	assert_true(fd >= 0);
	{
		static const char sql[] = "\\set id 7\nSELECT name FROM users WHERE id = :id;\n"
					  "INSERT INTO log VALUES (:id);\n";
		assert_int_equal(write(fd, sql, sizeof(sql) - 1), (ssize_t)sizeof(sql) - 1);
	}
	close(fd);
	for (size_t i = 0; i < SR_ARRAY_SIZE(modes); i++) {
		struct strbuf out = STRBUF_INIT;
		char *argv[] = {"pgbench", "-n", "-M", (char *)modes[i], "-t", "3", "-f",
				script,	   url,	 NULL};
		int rc = run_cmd(argv, &out);

		if (rc != 0) {
			unlink(script);
			fail_msg("pgbench -M %s exited %d: %s", modes[i], rc, out.buf);
		}
		assert_non_null(strstr(out.buf, "number of failed transactions: 0"));
		strbuf_release(&out);
	}
	unlink(script);
	net_session_stop(s);
	/* Extended and prepared modes send placeholders, simple mode the value. */
	assert_true(net_session_stub_match(s, "db", "WHERE id = $1", NULL, NULL));
	assert_true(net_session_stub_match(s, "db", "WHERE id = 7", NULL, NULL));
	net_session_stats(s, &st);
	assert_true(st.stub_interactions >= 3 + 6 + 2 + 6);
	net_session_free(s);
}

/* Backend message types in a response stream. */
static void pg_types(const struct strbuf *in, struct strbuf *types)
{
	size_t off = 0;

	while (off + 5 <= in->len) {
		const unsigned char *p = (const unsigned char *)in->buf + off;
		uint32_t n =
		    (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
		strbuf_addch(types, (char)p[0]);
		off += 1 + n;
	}
}

static void pg_msg_add(struct strbuf *sb, char type, const void *body, size_t n)
{
	uint32_t l = htonl((uint32_t)(n + 4));

	strbuf_addch(sb, type);
	strbuf_add(sb, &l, 4);
	strbuf_add(sb, body, n);
}

static void test_net_session__sql_extended_protocol_by_hand(void **state)
{
	struct stub stubs[] = {{.name = "db", .kind = STUB_SQL}};
	struct net_session *s = open_session(stubs, 1, 0, 0);
	struct strbuf req = STRBUF_INIT, resp = STRBUF_INIT, types = STRBUF_INIT;
	char buf[4096];
	int fd;
	(void)state;

	fd = tcp_connect(net_session_stub_port(s, 0));
	/* SSLRequest first: one 'N' byte. */
	send_all(fd, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
	assert_int_equal(recv(fd, buf, 1, 0), 1);
	assert_int_equal(buf[0], 'N');
	{
		static const char startup[] = "\x00\x03\x00\x00user\0bob\0database\0shop\0\0";
		uint32_t l = htonl((uint32_t)(4 + sizeof(startup) - 1));
		strbuf_add(&req, &l, 4);
		strbuf_add(&req, startup, sizeof(startup) - 1);
	}
	send_all(fd, req.buf, req.len);
	strbuf_reset(&req);
	{
		struct strbuf t = STRBUF_INIT;
		while (!memchr(strbuf_str(&resp), 'Z', resp.len) || resp.len < 6 ||
		       resp.buf[resp.len - 6] != 'Z') {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			assert_true(n > 0);
			strbuf_add(&resp, buf, (size_t)n);
		}
		pg_types(&resp, &t);
		assert_string_equal(t.buf, "RSSSSSSSSSSSKZ");
		strbuf_release(&t);
	}
	strbuf_reset(&resp);
	/* Parse/Bind/Describe/Execute/Sync, a named statement described too. */
	pg_msg_add(&req, 'P', "\0SELECT * FROM t WHERE a = $1\0\0\0", 32);
	pg_msg_add(&req, 'B', "\0\0\0\0\0\1\0\0\0\1x\0\0", 13);
	pg_msg_add(&req, 'D', "P\0", 2);
	pg_msg_add(&req, 'E', "\0\0\0\0\0", 5);
	pg_msg_add(&req, 'S', "", 0);
	pg_msg_add(&req, 'P', "s1\0DELETE FROM t WHERE b = $2\0\0\0", 32);
	pg_msg_add(&req, 'D', "Ss1\0", 4);
	pg_msg_add(&req, 'B', "p1\0nope\0\0\0\0\0\0\0", 14); /* no such statement */
	pg_msg_add(&req, 'E', "p1\0\0\0\0\0", 7);	     /* skipped until Sync */
	pg_msg_add(&req, 'S', "", 0);
	pg_msg_add(&req, 'X', "", 0);
	send_all(fd, req.buf, req.len);
	read_all(fd, &resp);
	close(fd);
	pg_types(&resp, &types);
	assert_string_equal(types.buf, "12TCZ1tnEZ");
	/* ParameterDescription for s1: two text parameters ($2 is the highest). */
	{
		const char *t = memchr(resp.buf, 't', resp.len);
		assert_non_null(t);
		assert_memory_equal(t, "t\0\0\0\x0e\0\x02\0\0\0\x19\0\0\0\x19", 15);
	}
	strbuf_release(&req);
	strbuf_release(&resp);
	strbuf_release(&types);
	net_session_stop(s);
	assert_true(net_session_stub_match(s, "db", "user=bob database=shop", NULL, NULL));
	assert_true(net_session_stub_match(s, "db", NULL, "^DELETE FROM t WHERE b = \\$2$", NULL));
	/* Bound values are data, never recorded as SQL. */
	assert_false(net_session_stub_match(s, "db", NULL, "^x$", NULL));
	net_session_free(s);
}

/* Every fd the session holds (listeners, epoll, eventfd, connections) must
 * be close-on-exec: the runner spawns engine clients while sessions run. */
static void test_net_session__every_fd_is_cloexec(void **state)
{
	struct stub stubs[] = {{.name = "db", .kind = STUB_SQL}, {.name = "raw", .kind = STUB_TCP}};
	struct net_session *s = open_session(stubs, 2, 0, 0);
	int fd = tcp_connect(net_session_oob_port(s)),
	    fd2 = tcp_connect(net_session_stub_port(s, 1));
	DIR *d;
	struct dirent *e;
	int checked = 0;
	(void)state;

	send_str(fd, "GET / HTTP/1.1\r\n"); /* keep the connection open server-side */
	usleep(100000);
	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((e = readdir(d))) {
		int n = atoi(e->d_name);
		char path[64], target[256];
		ssize_t l;

		if (e->d_name[0] == '.' || n <= 2 || n == dirfd(d) || n == fd || n == fd2)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", n);
		l = readlink(path, target, sizeof(target) - 1);
		if (l <= 0)
			continue;
		target[l] = '\0';
		if (strncmp(target, "socket:", 7) && strncmp(target, "anon_inode:", 11))
			continue;
		if (!(fcntl(n, F_GETFD) & FD_CLOEXEC))
			fail_msg("fd %d (%s) is not close-on-exec", n, target);
		checked++;
	}
	closedir(d);
	/* 3 listeners + dns + epoll + eventfd + 2 accepted connections. */
	assert_true(checked >= 8);
	close(fd);
	close(fd2);
	net_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_net_session__http_with_token_fires),
	    cmocka_unit_test(test_net_session__wrong_token_is_unattributed),
	    cmocka_unit_test(test_net_session__token_in_header_or_body_fires),
	    cmocka_unit_test(test_net_session__http_keep_alive_and_pipelining),
	    cmocka_unit_test(test_net_session__raw_tcp_token_fires),
	    cmocka_unit_test(test_net_session__raw_tcp_fires_while_connection_open),
	    cmocka_unit_test(test_net_session__dns_query_fires),
	    cmocka_unit_test(test_net_session__dns_other_names_and_types),
	    cmocka_unit_test(test_net_session__no_dns_when_disabled),
	    cmocka_unit_test(test_net_session__dns_port_taken_fails_the_open_naming_it),
	    cmocka_unit_test(test_net_session__refuses_wildcard_and_bad_addresses),
	    cmocka_unit_test(test_net_session__survives_garbage_and_half_open),
	    cmocka_unit_test(test_net_session__bad_http_gets_400),
	    cmocka_unit_test(test_net_session__idle_connection_is_closed),
	    cmocka_unit_test(test_net_session__evidence_is_bounded_decisions_are_not),
	    cmocka_unit_test(test_net_session__stop_is_idempotent),
	    cmocka_unit_test(test_net_session__every_fd_is_cloexec),
	    cmocka_unit_test(test_net_session__http_stub_records_and_answers),
	    cmocka_unit_test(test_net_session__tcp_stub_sends_canned_reply),
	    cmocka_unit_test(test_net_session__redis_get_set_roundtrip),
	    cmocka_unit_test(test_net_session__redis_protocol_error),
	    cmocka_unit_test(test_net_session__sql_psql_simple_query),
	    cmocka_unit_test(test_net_session__sql_psql_extended_protocol),
	    cmocka_unit_test(test_net_session__sql_pgbench_extended_and_prepared),
	    cmocka_unit_test(test_net_session__sql_extended_protocol_by_hand),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
