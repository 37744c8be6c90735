/* The run-argument builder: hardening flags, labels, mounts, and secrets
 * kept off the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/jsonparse.h"
#include "runner/plan/runargs.h"
#include "runner/exec/warm.h"

static void base_spec(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->name = "cmdi";
	s->limits = (struct limits){.memory = 256u << 20,
				    .cpus = 1.5,
				    .pids = 128,
				    .tmpfs = 64u << 20,
				    .disk = 256u << 20,
				    .output = 1u << 20};
	strvec_push(&s->command, "sh");
	strvec_push(&s->command, "/work/run.sh");
}

static bool has(const struct strvec *v, const char *a)
{
	for (size_t i = 0; i < v->nr; i++)
		if (!strcmp(v->v[i], a))
			return true;
	return false;
}

static void build(struct strvec *argv, struct spec *s, const char *env_file)
{
	struct run_plan p = {.engine_bin = "docker",
			     .spec = s,
			     .image = "reg/busybox@sha256:ab",
			     .name = "sandrun-1-cmdi",
			     .run_id = "r1",
			     .owner = "h/1/2",
			     .work_dir = "/tmp/x/work",
			     .payload_file = "/tmp/x/payload",
			     .env_file = env_file};
	runargs_build(argv, &p);
}

static void test_runargs__hardening_defaults(void **state)
{
	struct spec s;
	struct strvec argv = STRVEC_INIT;
	const char *want[] = {"--read-only",
			      "--cap-drop=ALL",
			      "--security-opt=no-new-privileges",
			      "--init",
			      "--user=65534:65534",
			      "--memory=268435456",
			      "--memory-swap=268435456",
			      "--cpus=1.5",
			      "--pids-limit=128",
			      "--network=none",
			      "--tmpfs=/tmp:rw,nosuid,nodev,size=67108864,mode=1777",
			      "--label=sandrun.run=r1",
			      "--label=sandrun.harness=cmdi",
			      "--label=sandrun.owner=h/1/2",
			      "--name=sandrun-1-cmdi",
			      "--pull=never"};
	(void)state;
	base_spec(&s);
	build(&argv, &s, NULL);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!has(&argv, want[i]))
			fail_msg("missing %s", want[i]);
	}
	assert_string_equal(argv.v[0], "docker");
	assert_string_equal(argv.v[1], "run");
	/* image then the command, untouched, at the end */
	assert_string_equal(argv.v[argv.nr - 3], "reg/busybox@sha256:ab");
	assert_string_equal(argv.v[argv.nr - 2], "sh");
	assert_string_equal(argv.v[argv.nr - 1], "/work/run.sh");
	strvec_clear(&argv);
	strvec_clear(&s.command);
}

static void test_runargs__env_travels_in_a_file_not_argv(void **state)
{
	struct spec s;
	struct strvec argv = STRVEC_INIT;
	size_t i;
	(void)state;
	base_spec(&s);
	build(&argv, &s, "/tmp/x/env");
	for (i = 0; i < argv.nr && strcmp(argv.v[i], "--env-file"); i++)
		;
	assert_true(i + 1 < argv.nr);
	assert_string_equal(argv.v[i + 1], "/tmp/x/env");
	/* The only -e is the payload's fixed name, never a value. */
	for (i = 0; i < argv.nr; i++) {
		assert_null(strstr(argv.v[i], "HOME"));
		assert_null(strstr(argv.v[i], "SANDRUN_PAYLOAD="));
		if (!strcmp(argv.v[i], "-e"))
			assert_string_equal(argv.v[i + 1], "SANDRUN_PAYLOAD");
	}
	strvec_clear(&argv);
	strvec_clear(&s.command);
}

static void test_runargs__base_env_puts_spec_env_after_home_before_run_vars(void **state)
{
	struct spec s;
	struct payload pay = {.name = "p", .value = "x; rm -rf /"};
	struct strvec env = STRVEC_INIT;
	(void)state;
	base_spec(&s);
	strvec_push(&s.env_keys, "HOME");
	strvec_push(&s.env_vals, "/home/h");
	runargs_base_env(&env, &s, &pay, "r1", "tok");
	assert_int_equal(env.nr, 6);
	assert_string_equal(env.v[0], "HOME=/tmp");
	assert_string_equal(env.v[1], "HOME=/home/h");
	assert_string_equal(env.v[2], "SANDRUN_RUN_ID=r1");
	assert_string_equal(env.v[4], "SANDRUN_TOKEN=tok");
	assert_string_equal(env.v[5], "SANDRUN_PAYLOAD_FILE=/sandrun/payload");
	strvec_clear(&env);
	runargs_payload_env(&env, &pay);
	assert_string_equal(env.v[0], "SANDRUN_PAYLOAD=x; rm -rf /");
	strvec_clear(&env);
	strvec_clear(&s.env_keys);
	strvec_clear(&s.env_vals);
	strvec_clear(&s.command);
}

static void test_runargs__env_file_keeps_values_verbatim(void **state)
{
	struct strvec env = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct sr_err err = SR_ERR_INIT;
	(void)state;
	strvec_push(&env, "A=x y 'q' \"d\" a=b $HOME #c ");
	strvec_push(&env, "LD_PRELOAD=/nonexistent.so");
	assert_int_equal(runargs_env_file(&sb, &env, &err), 0);
	assert_string_equal(sb.buf, "A=x y 'q' \"d\" a=b $HOME #c \nLD_PRELOAD=/nonexistent.so\n");
	strbuf_release(&sb);
	strvec_clear(&env);
}

static void test_runargs__env_file_refuses_what_it_cannot_carry(void **state)
{
	const char *bad[] = {"A=one\ntwo", "B=ends\r", "=novalue", "NOEQUALS"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct strvec env = STRVEC_INIT;
		struct strbuf sb = STRBUF_INIT;
		struct sr_err err = SR_ERR_INIT;
		strvec_push(&env, bad[i]);
		assert_int_equal(runargs_env_file(&sb, &env, &err), SR_EINVAL);
		strbuf_release(&sb);
		strvec_clear(&env);
	}
}

static void test_runargs__mounts_work_payload_and_fs_stubs_readonly(void **state)
{
	struct spec s;
	struct stub st[2] = {{.name = "etc", .kind = STUB_FS, .path = "/suite/fix,tures"},
			     {.name = "api", .kind = STUB_HTTP}};
	struct strvec argv = STRVEC_INIT;
	(void)state;
	base_spec(&s);
	s.stubs = st;
	s.nstubs = 2;
	s.network = NET_STUBS;
	build(&argv, &s, NULL);
	assert_true(has(&argv, "type=bind,source=/tmp/x/work,target=/work"));
	assert_true(has(&argv, "type=bind,source=/tmp/x/payload,target=/sandrun/payload,readonly"));
	/* a comma in a path is CSV-quoted, not split */
	assert_true(
	    has(&argv, "type=bind,\"source=/suite/fix,tures\",target=/sandrun/stubs/etc,readonly"));
	/* no network object given: fail closed to none */
	assert_true(has(&argv, "--network=none"));
	strvec_clear(&argv);
	strvec_clear(&s.command);
}

static void test_runargs__network_policies(void **state)
{
	struct spec s;
	struct strvec argv = STRVEC_INIT;
	struct run_plan p = {.engine_bin = "docker",
			     .image = "i",
			     .name = "n",
			     .run_id = "r",
			     .owner = "o",
			     .work_dir = "/w",
			     .network = "sr-abc"};
	(void)state;
	base_spec(&s);
	p.spec = &s;
	s.network = NET_OPEN;
	runargs_build(&argv, &p);
	assert_true(has(&argv, "--network=bridge"));
	strvec_clear(&argv);
	s.network = NET_OOB;
	runargs_build(&argv, &p);
	assert_true(has(&argv, "--network=sr-abc"));
	strvec_clear(&argv);
	strvec_clear(&s.command);
}

static void test_runargs__sanitize_names(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	runargs_sanitize(&sb, "fuzz/png;rm -rf", 64);
	assert_string_equal(sb.buf, "fuzz-png-rm--rf");
	strbuf_release(&sb);
}

/* Keys of the create body a flag accounted for, "HostConfig.X" or "X". */
struct seen {
	struct strvec keys;
};

static const struct json_value *field(struct seen *sn, const struct json_value *body,
				      const char *key)
{
	const char *dot = strchr(key, '.');
	const struct json_value *v;

	strvec_push(&sn->keys, key);
	if (!dot)
		return json_get(body, key);
	v = json_get(body, "HostConfig");
	return json_get(v, dot + 1);
}

static void want_str(struct seen *sn, const struct json_value *body, const char *key,
		     const char *val)
{
	const char *got = json_str(field(sn, body, key));
	if (!got || strcmp(got, val))
		fail_msg("%s: CLI says '%s', API says '%s'", key, val, got ? got : "(none)");
}

static void want_num(struct seen *sn, const struct json_value *body, const char *key, double val)
{
	const struct json_value *v = field(sn, body, key);
	if (!v || v->type != JSON_NUMBER || v->u.num.v != val)
		fail_msg("%s: CLI says %.0f, API says %s", key, val,
			 v && v->type == JSON_NUMBER ? v->u.num.text : "(none)");
}

static void want_true(struct seen *sn, const struct json_value *body, const char *key)
{
	const struct json_value *v = field(sn, body, key);
	if (!v || v->type != JSON_BOOL || !v->u.b)
		fail_msg("%s: the CLI sets it, the API does not", key);
}

/* The fields of a --mount value (CSV, "" escapes a quote) into want. */
static void mount_fields(const char *val, char *src, char *dst, bool *ro)
{
	char f[512];
	const char *p = val;

	*ro = false;
	while (*p) {
		size_t n = 0;
		bool q = *p == '"';
		if (q)
			p++;
		while (*p && (q || *p != ',')) {
			if (q && *p == '"' && p[1] == '"')
				p++;
			else if (q && *p == '"') {
				q = false;
				p++;
				continue;
			}
			f[n++] = *p++;
		}
		f[n] = '\0';
		if (*p == ',')
			p++;
		if (!strncmp(f, "source=", 7))
			strcpy(src, f + 7);
		else if (!strncmp(f, "target=", 7))
			strcpy(dst, f + 7);
		else if (!strcmp(f, "readonly"))
			*ro = true;
		else if (strcmp(f, "type=bind"))
			fail_msg("mount field '%s' has no API counterpart", f);
	}
}

static void want_mount(struct seen *sn, const struct json_value *body, size_t i, const char *val)
{
	const struct json_value *m = field(sn, body, "HostConfig.Mounts"), *ro;
	char src[512] = "", dst[512] = "";
	bool readonly;

	mount_fields(val, src, dst, &readonly);
	if (!m || m->type != JSON_ARRAY || i >= m->u.arr.n)
		fail_msg("mount %zu (%s) missing from the API request", i, val);
	m = m->u.arr.v[i];
	assert_string_equal(json_str(json_get(m, "Type")), "bind");
	assert_string_equal(json_str(json_get(m, "Source")), src);
	assert_string_equal(json_str(json_get(m, "Target")), dst);
	ro = json_get(m, "ReadOnly");
	assert_true(ro && ro->type == JSON_BOOL && ro->u.b == readonly);
}

/* Every flag of the argv, checked against its create-request field; then
 * every field of the request must have been accounted for by a flag. */
static void compare_renderings(const struct run_plan *p, char *const *env)
{
	struct strvec argv = STRVEC_INIT;
	struct eapi_create_opts o;
	struct runargs_store st;
	struct strbuf body = STRBUF_INIT;
	struct json_value *v = NULL;
	struct seen sn = {STRVEC_INIT};
	const struct json_value *hc, *a;
	size_t i, nmount = 0, nlabel = 0, ncap = 0;
	bool init = false;

	runargs_build(&argv, p);
	runargs_create_opts(&o, &st, p, env);
	eapi_create_body(&body, &o);
	assert_int_equal(json_parse(&v, "body", body.buf, body.len, NULL), 0);
	for (i = 2; i < argv.nr && strcmp(argv.v[i], "--"); i++) {
		const char *f = argv.v[i], *eq = strchr(f, '=');
		const char *val = eq ? eq + 1 : NULL;
		if (!strncmp(f, "--name=", 7)) {
			assert_string_equal(o.name, val); /* a query parameter */
		} else if (!strncmp(f, "--label=", 8)) {
			char *k = xstrndup(val, strcspn(val, "="));
			const struct json_value *l = json_get(field(&sn, v, "Labels"), k);
			assert_non_null(l);
			assert_string_equal(json_str(l), val + strlen(k) + 1);
			free(k);
			nlabel++;
		} else if (!strcmp(f, "--pull=never")) {
			/* the API's create never pulls */
		} else if (!strcmp(f, "--log-driver=none")) {
			a = field(&sn, v, "HostConfig.LogConfig");
			assert_string_equal(json_str(json_get(a, "Type")), "none");
		} else if (!strcmp(f, "--read-only")) {
			want_true(&sn, v, "HostConfig.ReadonlyRootfs");
		} else if (!strcmp(f, "--read-only-tmpfs=false")) {
			/* podman's CLI only: the API route is docker's */
		} else if (!strcmp(f, "--detach")) {
			/* the API route starts the container itself */
		} else if (!strncmp(f, "--cap-add=", 10)) {
			a = field(&sn, v, "HostConfig.CapAdd");
			assert_true(a && a->type == JSON_ARRAY && ncap < a->u.arr.n);
			assert_string_equal(json_str(a->u.arr.v[ncap++]), val);
		} else if (!strncmp(f, "--entrypoint=", 13)) {
			a = field(&sn, v, "Entrypoint");
			assert_true(a && a->type == JSON_ARRAY && a->u.arr.n == 1);
			assert_string_equal(json_str(a->u.arr.v[0]), val);
		} else if (!strncmp(f, "--tmpfs=/tmp:", 13)) {
			a = field(&sn, v, "HostConfig.Tmpfs");
			assert_string_equal(json_str(json_get(a, "/tmp")), f + 13);
		} else if (!strncmp(f, "--user=", 7)) {
			want_str(&sn, v, "User", val);
		} else if (!strcmp(f, "--cap-drop=ALL")) {
			a = field(&sn, v, "HostConfig.CapDrop");
			assert_true(a && a->type == JSON_ARRAY && a->u.arr.n == 1);
			assert_string_equal(json_str(a->u.arr.v[0]), "ALL");
		} else if (!strncmp(f, "--security-opt=", 15)) {
			a = field(&sn, v, "HostConfig.SecurityOpt");
			assert_true(a && a->type == JSON_ARRAY && a->u.arr.n == 1);
			assert_string_equal(json_str(a->u.arr.v[0]), val);
		} else if (!strcmp(f, "--init")) {
			want_true(&sn, v, "HostConfig.Init");
			init = true;
		} else if (!strncmp(f, "--memory=", 9)) {
			want_num(&sn, v, "HostConfig.Memory", strtod(val, NULL));
		} else if (!strncmp(f, "--memory-swap=", 14)) {
			want_num(&sn, v, "HostConfig.MemorySwap", strtod(val, NULL));
		} else if (!strncmp(f, "--cpus=", 7)) {
			want_num(&sn, v, "HostConfig.NanoCpus", strtod(val, NULL) * 1e9);
		} else if (!strncmp(f, "--pids-limit=", 13)) {
			want_num(&sn, v, "HostConfig.PidsLimit", strtod(val, NULL));
		} else if (!strcmp(f, "--ulimit=core=0")) {
			a = field(&sn, v, "HostConfig.Ulimits");
			assert_true(a && a->type == JSON_ARRAY && a->u.arr.n == 1);
			assert_string_equal(json_str(json_get(a->u.arr.v[0], "Name")), "core");
			assert_int_equal((int)json_get(a->u.arr.v[0], "Hard")->u.num.v, 0);
			assert_int_equal((int)json_get(a->u.arr.v[0], "Soft")->u.num.v, 0);
		} else if (!strncmp(f, "--network=", 10)) {
			want_str(&sn, v, "HostConfig.NetworkMode", val);
		} else if (!strcmp(f, "--mount")) {
			want_mount(&sn, v, nmount++, argv.v[++i]);
		} else if (!strncmp(f, "--workdir=", 10)) {
			want_str(&sn, v, "WorkingDir", val);
		} else if (!strcmp(f, "--env-file")) {
			/* run.c writes env less the payload to the file; the
			 * body's Env carries the same entries, in order */
			a = field(&sn, v, "Env");
			i++;
			for (size_t k = 0; env[k] && strncmp(env[k], RUNARGS_PAYLOAD_VAR "=", 16);
			     k++)
				assert_string_equal(json_str(a->u.arr.v[k]), env[k]);
		} else if (!strcmp(f, "-e")) {
			/* passed on from the client's environment: last in Env */
			size_t n;
			a = field(&sn, v, "Env");
			n = a->u.arr.n;
			f = argv.v[++i];
			assert_true(n > 0);
			assert_int_equal(strncmp(json_str(a->u.arr.v[n - 1]), f, strlen(f)), 0);
			assert_int_equal(json_str(a->u.arr.v[n - 1])[strlen(f)], '=');
		} else {
			fail_msg("flag '%s' has no API counterpart: add it to "
				 "runargs_create_opts and this test",
				 f);
		}
	}
	assert_string_equal(json_str(field(&sn, v, "Image")), argv.v[++i]);
	a = field(&sn, v, "Cmd");
	for (size_t k = 0; ++i < argv.nr; k++)
		assert_string_equal(json_str(a->u.arr.v[k]), argv.v[i]);
	assert_int_equal(nmount, json_get(json_get(v, "HostConfig"), "Mounts")->u.arr.n);
	if (!init) { /* no --init: Init false */
		a = field(&sn, v, "HostConfig.Init");
		assert_true(a && a->type == JSON_BOOL && !a->u.b);
	}
	a = json_get(json_get(v, "HostConfig"), "CapAdd");
	assert_int_equal(ncap, a ? a->u.arr.n : 0);
	assert_int_equal(nlabel, json_get(v, "Labels")->u.obj.n);
	/* The reverse: no request field without a flag (attach protocol aside). */
	hc = json_get(v, "HostConfig");
	for (size_t k = 0; k < hc->u.obj.n; k++) {
		char *key = xasprintf("HostConfig.%s", hc->u.obj.m[k].key);
		bool ok = false;
		for (size_t j = 0; j < sn.keys.nr && !ok; j++)
			ok = !strcmp(sn.keys.v[j], key);
		if (!ok)
			fail_msg("the API sets %s, the CLI argv has no flag for it", key);
		free(key);
	}
	for (size_t k = 0; k < v->u.obj.n; k++) {
		const char *key = v->u.obj.m[k].key;
		bool ok = !strcmp(key, "HostConfig") || !strncmp(key, "Attach", 6) ||
			  !strcmp(key, "OpenStdin") || !strcmp(key, "StdinOnce") ||
			  !strcmp(key, "Tty");
		for (size_t j = 0; j < sn.keys.nr && !ok; j++)
			ok = !strcmp(sn.keys.v[j], key);
		if (!ok)
			fail_msg("the API sets %s, the CLI argv has no flag for it", key);
	}
	json_free(v);
	strbuf_release(&body);
	runargs_store_release(&st);
	strvec_clear(&argv);
	strvec_clear(&sn.keys);
}

static void test_runargs__api_create_request_matches_the_run_argv_flag_by_flag(void **state)
{
	struct spec s;
	struct stub st[2] = {{.name = "etc", .kind = STUB_FS, .path = "/suite/fix,\"tures"},
			     {.name = "api", .kind = STUB_HTTP}};
	char *env[] = {"HOME=/tmp", "SANDRUN_TOKEN=abc", "K=a b=c", "SANDRUN_PAYLOAD=x\ny", NULL};
	struct run_plan p = {.engine_bin = "docker",
			     .image = "reg/busybox@sha256:ab",
			     .name = "sandrun-1-cmdi",
			     .run_id = "r1",
			     .owner = "h/1/2",
			     .work_dir = "/tmp/x/work",
			     .payload_file = "/tmp/x/payload",
			     .resolv_conf = "/tmp/x/resolv.conf",
			     .network = "sr-net",
			     .env_file = "/tmp/x/env"};
	(void)state;
	base_spec(&s);
	p.spec = &s;
	s.stubs = st;
	s.nstubs = 2;
	for (int net = NET_NONE; net <= NET_STUBS; net++) {
		s.network = (enum net_policy)net;
		compare_renderings(&p, env);
	}
	p.podman = true; /* no --ulimit, no Ulimits */
	compare_renderings(&p, env);
	strvec_clear(&s.command);
}

/* The warm container's plan (warm.c): the CLI argv and the API request
 * read the same fields (detach, init, entry point, command, user, added
 * capabilities, extra mounts); no text edits of another argv. */
static void test_runargs__warm_plan_renders_alike_on_both_routes(void **state)
{
	struct spec s;
	struct engine e = {.bin = "docker"};
	struct runner r = {.engine = &e, .run_id = "r1", .owner = "h/1/2"};
	struct workdir wd = {.dir = "/tmp/x", .work = "/tmp/x/work", .payload = "/tmp/x/payload"};
	struct warm_plan wp;
	struct strvec argv = STRVEC_INIT;
	bool init = false, detach = false, root = false;

	(void)state;
	base_spec(&s);
	s.network = NET_NONE;
	warm_plan(&wp, &r, &s, "reg/busybox@sha256:ab", "sandrun-1-w", &wd, "/tmp/x/ctl");
	compare_renderings(&wp.plan, NULL);
	runargs_build(&argv, &wp.plan);
	for (size_t i = 0; i < argv.nr; i++) {
		init |= !strcmp(argv.v[i], "--init");
		detach |= !strcmp(argv.v[i], "--detach");
		root |= !strcmp(argv.v[i], "--user=0:0");
	}
	assert_false(init);
	assert_true(detach && root);
	assert_string_equal(argv.v[argv.nr - 4], "reg/busybox@sha256:ab");
	assert_string_equal(argv.v[argv.nr - 3], "serve");
	strvec_clear(&argv);
	strvec_clear(&s.command);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_runargs__hardening_defaults),
	    cmocka_unit_test(test_runargs__env_travels_in_a_file_not_argv),
	    cmocka_unit_test(test_runargs__base_env_puts_spec_env_after_home_before_run_vars),
	    cmocka_unit_test(test_runargs__env_file_keeps_values_verbatim),
	    cmocka_unit_test(test_runargs__env_file_refuses_what_it_cannot_carry),
	    cmocka_unit_test(test_runargs__mounts_work_payload_and_fs_stubs_readonly),
	    cmocka_unit_test(test_runargs__network_policies),
	    cmocka_unit_test(test_runargs__sanitize_names),
	    cmocka_unit_test(test_runargs__api_create_request_matches_the_run_argv_flag_by_flag),
	    cmocka_unit_test(test_runargs__warm_plan_renders_alike_on_both_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
