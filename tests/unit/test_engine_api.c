/* The engine API adapter's pure parts (request bodies, the attach stream
 * demultiplexer, response parsers) and its error paths against a canned
 * unix-socket server. The real engine is exercised by
 * tests/integration/test_engine_api.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/jsonparse.h"
#include "runner/engine/engine_api.h"

static struct json_value *parse_ok(const struct strbuf *sb)
{
	struct json_value *v = NULL;
	struct sr_err err = SR_ERR_INIT;

	if (json_parse(&v, "body", sb->buf, sb->len, &err))
		fail_msg("body does not parse: %s: %s", err.msg, sb->buf);
	return v;
}

static const char *str_at(const struct json_value *v, const char *a, const char *b)
{
	return json_str(b ? json_get(json_get(v, a), b) : json_get(v, a));
}

static const char *num_at(const struct json_value *v, const char *a, const char *b)
{
	const struct json_value *n = json_get(json_get(v, a), b);
	assert_non_null(n);
	assert_int_equal(n->type, JSON_NUMBER);
	return n->u.num.text;
}

static bool bool_at(const struct json_value *v, const char *a, const char *b)
{
	const struct json_value *n = b ? json_get(json_get(v, a), b) : json_get(v, a);
	assert_non_null(n);
	assert_int_equal(n->type, JSON_BOOL);
	return n->u.b;
}

static void test_engine_api__create_body_carries_every_hardening_flag(void **state)
{
	static char *const cmd[] = {"sh", "-c", "echo \"hi\"", NULL};
	static char *const env[] = {"HOME=/tmp", "SECRET=s3cr\"et", NULL};
	struct eapi_label labels[] = {{"sandrun.run", "r1"}, {"sandrun.harness", "h"}};
	struct eapi_mount mounts[] = {{"/host/work,dir", "/work", false},
				      {"/host/pay\"load", "/sandrun/payload", true}};
	struct eapi_create_opts o = {
	    .name = "n",
	    .image = "img@sha256:ab",
	    .cmd = cmd,
	    .env = env,
	    .labels = labels,
	    .nlabels = 2,
	    .user = "65534:65534",
	    .working_dir = "/work",
	    .init = true,
	    .read_only = true,
	    .cap_drop_all = true,
	    .no_new_privileges = true,
	    .memory = 536870912,
	    .memory_swap = 536870912,
	    .cpus = 1.5,
	    .pids = 256,
	    .tmp_size = 67108864,
	    .mounts = mounts,
	    .nmounts = 2,
	    .network_mode = "sandrun-net-1",
	    .log_none = true,
	    .core_ulimit_zero = true,
	};
	struct strbuf sb = STRBUF_INIT;
	struct json_value *v;
	const struct json_value *hc, *m, *u;

	(void)state;
	eapi_create_body(&sb, &o);
	v = parse_ok(&sb);
	assert_string_equal(str_at(v, "Image", NULL), "img@sha256:ab");
	assert_string_equal(json_str(json_get(v, "Cmd")->u.arr.v[2]), "echo \"hi\"");
	assert_string_equal(json_str(json_get(v, "Env")->u.arr.v[1]), "SECRET=s3cr\"et");
	assert_string_equal(str_at(v, "User", NULL), "65534:65534");
	assert_string_equal(str_at(v, "WorkingDir", NULL), "/work");
	assert_string_equal(str_at(v, "Labels", "sandrun.harness"), "h");
	assert_true(bool_at(v, "AttachStdout", NULL));
	assert_false(bool_at(v, "Tty", NULL));
	assert_false(bool_at(v, "OpenStdin", NULL));
	assert_null(json_get(v, "Entrypoint"));
	hc = json_get(v, "HostConfig");
	assert_true(bool_at(v, "HostConfig", "Init"));
	assert_true(bool_at(v, "HostConfig", "ReadonlyRootfs"));
	assert_string_equal(json_str(json_get(hc, "CapDrop")->u.arr.v[0]), "ALL");
	assert_string_equal(json_str(json_get(hc, "SecurityOpt")->u.arr.v[0]), "no-new-privileges");
	assert_string_equal(num_at(v, "HostConfig", "Memory"), "536870912");
	assert_string_equal(num_at(v, "HostConfig", "MemorySwap"), "536870912");
	assert_string_equal(num_at(v, "HostConfig", "NanoCpus"), "1500000000");
	assert_string_equal(num_at(v, "HostConfig", "PidsLimit"), "256");
	assert_string_equal(str_at(hc, "Tmpfs", "/tmp"), "rw,nosuid,nodev,size=67108864,mode=1777");
	m = json_get(hc, "Mounts");
	assert_int_equal(m->u.arr.n, 2);
	assert_string_equal(str_at(m->u.arr.v[0], "Type", NULL), "bind");
	assert_string_equal(str_at(m->u.arr.v[0], "Source", NULL), "/host/work,dir");
	assert_false(bool_at(m->u.arr.v[0], "ReadOnly", NULL));
	assert_string_equal(str_at(m->u.arr.v[1], "Source", NULL), "/host/pay\"load");
	assert_string_equal(str_at(m->u.arr.v[1], "Target", NULL), "/sandrun/payload");
	assert_true(bool_at(m->u.arr.v[1], "ReadOnly", NULL));
	assert_string_equal(str_at(hc, "NetworkMode", NULL), "sandrun-net-1");
	assert_string_equal(str_at(hc, "LogConfig", "Type"), "none");
	u = json_get(hc, "Ulimits")->u.arr.v[0];
	assert_string_equal(str_at(u, "Name", NULL), "core");
	assert_string_equal(json_get(u, "Hard")->u.num.text, "0");
	/* The name travels in the query string, not the body. */
	assert_null(json_get(v, "Name"));
	json_free(v);
	strbuf_release(&sb);
}

static void test_engine_api__create_body_leaves_unset_fields_to_the_engine(void **state)
{
	struct eapi_create_opts o = {.image = "busybox"};
	struct strbuf sb = STRBUF_INIT;
	struct json_value *v;
	const struct json_value *hc;

	(void)state;
	eapi_create_body(&sb, &o);
	v = parse_ok(&sb);
	hc = json_get(v, "HostConfig");
	assert_non_null(hc);
	assert_null(json_get(v, "Cmd"));
	assert_null(json_get(v, "Env"));
	assert_null(json_get(v, "User"));
	assert_null(json_get(hc, "Memory"));
	assert_null(json_get(hc, "NanoCpus"));
	assert_null(json_get(hc, "Tmpfs"));
	assert_null(json_get(hc, "Mounts"));
	assert_null(json_get(hc, "Ulimits"));
	assert_null(json_get(hc, "CapDrop"));
	assert_false(bool_at(v, "HostConfig", "ReadonlyRootfs"));
	json_free(v);
	strbuf_release(&sb);
}

/* Frame header + payload, as the engine writes them. */
static size_t frame(char *out, int stream, const char *payload)
{
	size_t n = strlen(payload);
	out[0] = (char)stream;
	out[1] = out[2] = out[3] = 0;
	out[4] = (char)(n >> 24);
	out[5] = (char)(n >> 16);
	out[6] = (char)(n >> 8);
	out[7] = (char)n;
	memcpy(out + 8, payload, n);
	return n + 8;
}

static size_t sample_stream(char *buf)
{
	size_t n = 0;
	n += frame(buf + n, 1, "hello ");
	n += frame(buf + n, 2, "oops\n");
	n += frame(buf + n, 1, "");
	n += frame(buf + n, 1, "world\n");
	return n;
}

static void test_engine_api__demux_splits_stdout_and_stderr(void **state)
{
	char buf[256];
	size_t n = sample_stream(buf);
	struct eapi_demux d;

	(void)state;
	eapi_demux_init(&d, 0);
	eapi_demux_feed(&d, buf, n);
	assert_string_equal(d.out.buf, "hello world\n");
	assert_string_equal(d.err.buf, "oops\n");
	assert_int_equal(d.out_total, 12);
	assert_int_equal(d.err_total, 5);
	assert_false(d.bad);
	eapi_demux_release(&d);
}

static void test_engine_api__demux_handles_frames_split_at_every_byte(void **state)
{
	char buf[256];
	size_t n = sample_stream(buf);

	(void)state;
	/* Every split point, and byte-at-a-time. */
	for (size_t cut = 0; cut <= n; cut++) {
		struct eapi_demux d;
		eapi_demux_init(&d, 0);
		eapi_demux_feed(&d, buf, cut);
		eapi_demux_feed(&d, buf + cut, n - cut);
		assert_string_equal(d.out.buf, "hello world\n");
		assert_string_equal(d.err.buf, "oops\n");
		eapi_demux_release(&d);
	}
	struct eapi_demux d;
	eapi_demux_init(&d, 0);
	for (size_t i = 0; i < n; i++)
		eapi_demux_feed(&d, buf + i, 1);
	assert_string_equal(d.out.buf, "hello world\n");
	assert_string_equal(d.err.buf, "oops\n");
	eapi_demux_release(&d);
}

static void test_engine_api__demux_keeps_the_tail_within_the_cap(void **state)
{
	char buf[64];
	struct eapi_demux d;

	(void)state;
	eapi_demux_init(&d, 4);
	for (int i = 0; i < 10; i++) {
		char p[3] = {(char)('0' + i), (char)('0' + i), 0};
		size_t n = frame(buf, 1, p);
		eapi_demux_feed(&d, buf, n);
		assert_true(d.out.len <= 8);
	}
	eapi_demux_finish(&d);
	assert_string_equal(d.out.buf, "8899");
	assert_int_equal(d.out_total, 20);
	eapi_demux_release(&d);
}

static void test_engine_api__demux_routes_engine_errors_and_stops_on_garbage(void **state)
{
	char buf[128];
	size_t n;
	struct eapi_demux d;

	(void)state;
	eapi_demux_init(&d, 0);
	n = frame(buf, 3, "exec failed");
	n += frame(buf + n, 9, "junk");
	n += frame(buf + n, 1, "after");
	eapi_demux_feed(&d, buf, n);
	assert_string_equal(d.sys.buf, "exec failed");
	assert_true(d.bad);
	assert_string_equal(d.out.buf, "");
	eapi_demux_release(&d);
}

static void test_engine_api__error_message_is_the_engines_own(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	const char *j = "{\"message\":\"No such image: x:1\"}";

	(void)state;
	eapi_error_message(&sb, j, strlen(j));
	assert_string_equal(sb.buf, "No such image: x:1");
	strbuf_reset(&sb);
	eapi_error_message(&sb, "page not found\n", 15);
	assert_string_equal(sb.buf, "page not found");
	strbuf_reset(&sb);
	eapi_error_message(&sb, "", 0);
	assert_string_equal(sb.buf, "(no message)");
	strbuf_release(&sb);
}

static void test_engine_api__wait_response_gives_the_exit_code(void **state)
{
	struct sr_err err = SR_ERR_INIT;
	const char *ok = "{\"StatusCode\":137,\"Error\":null}";
	const char *bad = "{\"StatusCode\":0,\"Error\":{\"Message\":\"container gone\"}}";
	int code = 0;

	(void)state;
	assert_int_equal(eapi_parse_wait(&code, ok, strlen(ok), &err), 0);
	assert_int_equal(code, 137);
	assert_int_equal(eapi_parse_wait(&code, bad, strlen(bad), &err), SR_EFAIL);
	assert_non_null(strstr(err.msg, "container gone"));
	assert_int_equal(eapi_parse_wait(&code, "{}", 2, &err), SR_EFAIL);
	assert_non_null(strstr(err.msg, "StatusCode"));
	assert_int_equal(eapi_parse_wait(&code, "{\"StatusCode\":", 14, &err), SR_EFAIL);
	assert_int_equal(code, -1);
}

static void test_engine_api__inspect_state_reads_oom_and_times(void **state)
{
	struct sr_err err = SR_ERR_INIT;
	struct engine_state st;
	const char *j = "{\"Id\":\"abc\",\"State\":{\"Status\":\"exited\",\"Running\":false,"
			"\"OOMKilled\":true,\"ExitCode\":137,"
			"\"StartedAt\":\"2026-11-30T05:16:19.123456789Z\","
			"\"FinishedAt\":\"2026-11-30T07:16:20.5+02:00\"}}";
	const char *never = "{\"State\":{\"Status\":\"created\",\"ExitCode\":0,"
			    "\"StartedAt\":\"0001-01-01T00:00:00Z\"}}";

	(void)state;
	assert_int_equal(eapi_parse_state(&st, j, strlen(j), &err), 0);
	assert_string_equal(st.status, "exited");
	assert_true(st.oom);
	assert_int_equal(st.exit_code, 137);
	assert_int_equal(st.finished_ms - st.started_ms, 1377);
	assert_int_equal(eapi_parse_state(&st, never, strlen(never), &err), 0);
	assert_int_equal(st.started_ms, 0);
	assert_false(st.oom);
	assert_int_equal(eapi_parse_state(&st, "{\"State\":{}}", 12, &err), SR_EFAIL);
}

static void test_engine_api__default_socket_follows_docker_host(void **state)
{
	struct sr_err err = SR_ERR_INIT;
	char *s = NULL;

	(void)state;
	setenv("DOCKER_HOST", "unix:///tmp/d.sock", 1);
	assert_int_equal(eapi_default_socket(&s, false, &err), 0);
	assert_string_equal(s, "/tmp/d.sock");
	free(s);
	setenv("DOCKER_HOST", "tcp://127.0.0.1:2375", 1);
	assert_int_equal(eapi_default_socket(&s, false, &err), SR_EINVAL);
	assert_non_null(strstr(err.msg, "tcp://127.0.0.1:2375"));
	unsetenv("DOCKER_HOST");
	assert_int_equal(eapi_default_socket(&s, false, &err), 0);
	assert_string_equal(s, "/var/run/docker.sock");
	free(s);
	setenv("XDG_RUNTIME_DIR", "/nonexistent-xdg", 1);
	assert_int_equal(eapi_default_socket(&s, true, &err), 0);
	assert_string_equal(s, "/run/podman/podman.sock");
	free(s);
}

static void test_engine_api__unreachable_socket_is_an_engine_error(void **state)
{
	struct sr_err err = SR_ERR_INIT;
	struct eapi *e = NULL;
	char *ver = NULL;

	(void)state;
	assert_int_equal(eapi_open(&e, "/nonexistent/engine.sock", &err), 0);
	assert_int_equal(eapi_version(&ver, e, &err), SR_EENGINE);
	assert_null(ver);
	assert_non_null(strstr(err.msg, "/nonexistent/engine.sock"));
	eapi_close(e);
}

/* A canned engine on a unix socket: answers each connection's request with
 * the next response in the list, then closes it. */
struct canned {
	int fd;
	const char *const *responses;
	struct strbuf requests; /* request lines seen */
};

static void *canned_serve(void *arg)
{
	struct canned *c = arg;

	for (size_t i = 0; c->responses[i]; i++) {
		char buf[8192];
		size_t have = 0;
		int fd = accept(c->fd, NULL, NULL);
		if (fd < 0)
			break;
		while (have < sizeof(buf) - 1) { /* headers, then a body we ignore */
			ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
			if (n <= 0)
				break;
			have += (size_t)n;
			buf[have] = 0;
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		buf[have] = 0;
		strbuf_add(&c->requests, buf, strcspn(buf, "\r"));
		strbuf_addch(&c->requests, '\n');
		if (write(fd, c->responses[i], strlen(c->responses[i])) < 0)
			break;
		close(fd);
	}
	return NULL;
}

static void test_engine_api__engine_refusals_carry_its_message(void **state)
{
	/* No Content-Length: the body ends where the connection does. */
	static const char *const responses[] = {
	    "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: "
	    "close\r\n\r\n{\"message\":\"No such image: nope:1\"}\n",
	    "HTTP/1.1 409 Conflict\r\nConnection: close\r\n\r\n{}",
	    "HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n{}",
	    "HTTP/1.1 500 Server Error\r\nConnection: close\r\n\r\n{\"message\":\"boom!\"}\n",
	    NULL};
	char dir[] = "/tmp/sandrun-eapi-XXXXXX", path[64];
	struct canned c = {.responses = responses};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct eapi_create_opts o = {.image = "nope:1", .name = "a b"};
	struct sr_err err = SR_ERR_INIT;
	struct eapi *e = NULL;
	pthread_t th;
	char *id = NULL;

	(void)state;
	strbuf_init(&c.requests);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/engine.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c.fd >= 0);
	assert_int_equal(bind(c.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(c.fd, 4), 0);
	pthread_create(&th, NULL, canned_serve, &c);

	assert_int_equal(eapi_open(&e, path, &err), 0);
	assert_int_equal(eapi_create(&id, e, &o, &err), SR_EFAIL);
	assert_null(id);
	assert_non_null(strstr(err.msg, "No such image: nope:1"));
	/* Kill of a container that is not running, removal of one that is gone:
	 * what was asked holds. */
	assert_int_equal(eapi_kill(e, "c1", &err), 0);
	assert_int_equal(eapi_remove(e, "c1", &err), 0);
	assert_int_equal(eapi_start(e, "c1", &err), SR_EFAIL);
	assert_non_null(strstr(err.msg, "boom!"));
	pthread_join(th, NULL);
	assert_string_equal(c.requests.buf, "POST /v1.41/containers/create?name=a%20b HTTP/1.1\n"
					    "POST /v1.41/containers/c1/kill?signal=KILL HTTP/1.1\n"
					    "DELETE /v1.41/containers/c1?force=1&v=1 HTTP/1.1\n"
					    "POST /v1.41/containers/c1/start HTTP/1.1\n");
	eapi_close(e);
	close(c.fd);
	unlink(path);
	rmdir(dir);
	strbuf_release(&c.requests);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_engine_api__create_body_carries_every_hardening_flag),
	    cmocka_unit_test(test_engine_api__create_body_leaves_unset_fields_to_the_engine),
	    cmocka_unit_test(test_engine_api__demux_splits_stdout_and_stderr),
	    cmocka_unit_test(test_engine_api__demux_handles_frames_split_at_every_byte),
	    cmocka_unit_test(test_engine_api__demux_keeps_the_tail_within_the_cap),
	    cmocka_unit_test(test_engine_api__demux_routes_engine_errors_and_stops_on_garbage),
	    cmocka_unit_test(test_engine_api__error_message_is_the_engines_own),
	    cmocka_unit_test(test_engine_api__wait_response_gives_the_exit_code),
	    cmocka_unit_test(test_engine_api__inspect_state_reads_oom_and_times),
	    cmocka_unit_test(test_engine_api__default_socket_follows_docker_host),
	    cmocka_unit_test(test_engine_api__unreachable_socket_is_an_engine_error),
	    cmocka_unit_test(test_engine_api__engine_refusals_carry_its_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
