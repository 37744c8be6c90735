#include "runner/plan/runargs.h"

#include <string.h>

#include "runner/spec/walls.h"

void runargs_sanitize(struct strbuf *out, const char *s, size_t max)
{
	for (size_t i = 0; s[i] && i < max; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		strbuf_addch(out, ok ? c : '-');
	}
}

/* One field of a --mount value, CSV-quoted when it holds ',' or '"'. */
static void mount_field(struct strbuf *sb, const char *key, const char *val)
{
	if (!strpbrk(val, ",\"")) {
		strbuf_addf(sb, "%s=%s", key, val);
		return;
	}
	strbuf_addf(sb, "\"%s=", key);
	for (const char *p = val; *p; p++) {
		if (*p == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '"');
}

static void add_mount(struct strvec *argv, const char *src, const char *dst, bool ro)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "type=bind,");
	mount_field(&sb, "source", src);
	strbuf_addch(&sb, ',');
	mount_field(&sb, "target", dst);
	if (ro)
		strbuf_addstr(&sb, ",readonly");
	strvec_push(argv, "--mount");
	strvec_push(argv, sb.buf);
	strbuf_release(&sb);
}

/* /work, the payload, resolv.conf, fs stubs, then the plan's own. */
static void add_mounts(struct strvec *argv, const struct run_plan *p)
{
	const struct spec *s = p->spec;

	add_mount(argv, p->work_dir, "/work", false);
	if (p->payload_file)
		add_mount(argv, p->payload_file, "/sandrun/payload", true);
	if (p->resolv_conf)
		add_mount(argv, p->resolv_conf, "/etc/resolv.conf", true);
	for (size_t i = 0; i < s->nstubs; i++) {
		char *dst;
		if (s->stubs[i].kind != STUB_FS)
			continue;
		dst = xasprintf("/sandrun/stubs/%s", s->stubs[i].name);
		add_mount(argv, s->stubs[i].path, dst, true);
		free(dst);
	}
	for (size_t i = 0; i < p->nmounts; i++)
		add_mount(argv, p->mounts[i].source, p->mounts[i].target, p->mounts[i].readonly);
}

void runargs_build(struct strvec *argv, const struct run_plan *p)
{
	const struct spec *s = p->spec;
	const struct limits *l = &s->limits;

	strvec_push(argv, p->engine_bin);
	strvec_push(argv, "run");
	if (p->detach)
		strvec_push(argv, "--detach");
	strvec_pushf(argv, "--name=%s", p->name);
	strvec_pushf(argv, "--label=sandrun.run=%s", p->run_id);
	strvec_pushf(argv, "--label=sandrun.harness=%s", s->name);
	strvec_pushf(argv, "--label=sandrun.owner=%s", p->owner);
	/* Never fall back to another image: the runner made sure this one is here. */
	strvec_push(argv, "--pull=never");
	/* Output is captured through the attached streams; the daemon keeps no log. */
	strvec_push(argv, "--log-driver=none");
	strvec_push(argv, "--read-only");
	/* Podman's --read-only adds writable tmpfs on /run and /var/tmp. */
	if (p->podman)
		strvec_push(argv, "--read-only-tmpfs=false");
	strvec_pushf(argv, "--tmpfs=/tmp:rw,nosuid,nodev,size=%llu,mode=1777",
		     (unsigned long long)l->tmpfs);
	strvec_pushf(argv, "--user=%s", p->user ? p->user : SR_CONTAINER_USER);
	strvec_push(argv, "--cap-drop=ALL");
	for (size_t i = 0; p->cap_add && p->cap_add[i]; i++)
		strvec_pushf(argv, "--cap-add=%s", p->cap_add[i]);
	strvec_push(argv, "--security-opt=no-new-privileges");
	if (p->seccomp_file)
		strvec_pushf(argv, "--security-opt=seccomp=%s", p->seccomp_file);
	if (p->runtime)
		strvec_pushf(argv, "--runtime=%s", p->runtime);
	if (!p->no_init)
		strvec_push(argv, "--init");
	strvec_pushf(argv, "--memory=%llu", (unsigned long long)l->memory);
	strvec_pushf(argv, "--memory-swap=%llu", (unsigned long long)l->memory);
	strvec_pushf(argv, "--cpus=%g", l->cpus);
	strvec_pushf(argv, "--pids-limit=%ld", walls_pids(l->pids, p->runtime));
	/* Podman re-applies its default rlimits along with any --ulimit, which
	 * fails where the host's hard limits are lower; its core limit is 0. */
	if (!p->podman)
		strvec_push(argv, "--ulimit=core=0");
	switch (s->network) {
	case NET_NONE:
		strvec_push(argv, "--network=none");
		break;
	case NET_OPEN:
		strvec_push(argv, "--network=bridge");
		break;
	case NET_OOB:
	case NET_STUBS:
		strvec_pushf(argv, "--network=%s", p->network ? p->network : "none");
		break;
	}
	add_mounts(argv, p);
	if (p->entrypoint)
		strvec_pushf(argv, "--entrypoint=%s", p->entrypoint);
	strvec_push(argv, "--workdir=/work");
	if (p->env_file) {
		strvec_push(argv, "--env-file");
		strvec_push(argv, p->env_file);
		/* A payload may hold newlines, which no env file can carry: the
		 * client passes it on from its own environment by this fixed
		 * name (a spec cannot choose a variable of the client). */
		strvec_push(argv, "-e");
		strvec_push(argv, RUNARGS_PAYLOAD_VAR);
	}
	strvec_push(argv, "--");
	strvec_push(argv, p->image);
	if (p->cmd)
		strvec_pushv(argv, (const char *const *)p->cmd);
	else
		for (size_t i = 0; i < s->command.nr; i++)
			strvec_push(argv, s->command.v[i]);
}

void runargs_base_env(struct strvec *out, const struct spec *s, const struct payload *p,
		      const char *run_id, const char *token)
{
	/* A constant, not a secret: tools want a writable HOME. First, so a
	 * spec's own HOME still wins. */
	strvec_push(out, "HOME=/tmp");
	for (size_t i = 0; i < s->env_keys.nr; i++)
		strvec_pushf(out, "%s=%s", s->env_keys.v[i], s->env_vals.v[i]);
	strvec_pushf(out, "SANDRUN_RUN_ID=%s", run_id);
	strvec_pushf(out, "SANDRUN_HARNESS=%s", s->name);
	strvec_pushf(out, "SANDRUN_TOKEN=%s", token);
	(void)p; /* SANDRUN_PAYLOAD travels apart: see runargs_payload_env */
	strvec_push(out, "SANDRUN_PAYLOAD_FILE=/sandrun/payload");
}

void runargs_run_env(struct strvec *out, const struct spec *s, const struct payload *p,
		     const char *run_id, const char *token, unsigned repeat,
		     const struct strvec *net_env)
{
	runargs_base_env(out, s, p, run_id, token);
	/* Which of the payload's repeat runs this is (1-based), for k-of-n. */
	strvec_pushf(out, "SANDRUN_REPEAT=%u", repeat + 1);
	if (net_env)
		strvec_pushv(out, (const char *const *)net_env->v);
}

void runargs_payload_env(struct strvec *out, const struct payload *p)
{
	strvec_pushf(out, RUNARGS_PAYLOAD_VAR "=%s", p->value);
}

/* Both engines read env files with Go's bufio.Scanner: lines split at '\n',
 * one trailing '\r' dropped, at most 64 KiB a line. */
#define ENV_LINE_MAX 65535

int runargs_env_file(struct strbuf *out, const struct strvec *env, struct sr_err *err)
{
	for (size_t i = 0; i < env->nr; i++) {
		const char *kv = env->v[i], *eq = strchr(kv, '=');
		size_t n = strlen(kv);
		int klen = eq ? (int)(eq - kv) : (int)n;

		if (!eq || eq == kv)
			return sr_err_set(err, SR_EINVAL, "env entry '%.*s' has no name or value",
					  klen, kv);
		if (strchr(kv, '\n'))
			return sr_err_set(err, SR_EINVAL,
					  "env value of '%.*s' holds a newline, which an env "
					  "file cannot carry",
					  klen, kv);
		if (kv[n - 1] == '\r')
			return sr_err_set(err, SR_EINVAL,
					  "env value of '%.*s' ends in a carriage return, which "
					  "an env file drops",
					  klen, kv);
		if (n > ENV_LINE_MAX)
			return sr_err_set(err, SR_EINVAL,
					  "env value of '%.*s' is longer than the %d bytes an env "
					  "file line may hold",
					  klen, kv, ENV_LINE_MAX);
		strbuf_add(out, kv, n);
		strbuf_addch(out, '\n');
	}
	return 0;
}

static const char *network_mode(const struct run_plan *p)
{
	switch (p->spec->network) {
	case NET_NONE:
		return "none";
	case NET_OPEN:
		return "bridge";
	case NET_OOB:
	case NET_STUBS:
		break;
	}
	return p->network ? p->network : "none";
}

static void add_api_mount(struct runargs_store *st, size_t *n, const char *src, const char *dst,
			  bool ro)
{
	st->mounts[*n] = (struct eapi_mount){.source = src, .target = dst, .readonly = ro};
	(*n)++;
}

void runargs_create_opts(struct eapi_create_opts *o, struct runargs_store *st,
			 const struct run_plan *p, char *const *env)
{
	const struct spec *s = p->spec;
	const struct limits *l = &s->limits;
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	memset(st, 0, sizeof(*st));
	o->name = p->name;
	st->labels[0] = (struct eapi_label){"sandrun.run", p->run_id};
	st->labels[1] = (struct eapi_label){"sandrun.harness", s->name};
	st->labels[2] = (struct eapi_label){"sandrun.owner", p->owner};
	o->labels = st->labels;
	o->nlabels = SR_ARRAY_SIZE(st->labels);
	o->log_none = true;
	o->read_only = true;
	o->tmp_size = l->tmpfs;
	o->user = p->user ? p->user : SR_CONTAINER_USER;
	o->cap_drop_all = true;
	o->cap_add = p->cap_add;
	o->no_new_privileges = true;
	o->init = !p->no_init;
	o->memory = l->memory;
	o->memory_swap = l->memory;
	o->cpus = l->cpus;
	o->pids = walls_pids(l->pids, p->runtime);
	o->core_ulimit_zero = !p->podman; /* see runargs_build */
	o->network_mode = network_mode(p);
	o->runtime = p->runtime;
	o->seccomp_json = p->seccomp_json;
	st->mounts = xcalloc(3 + s->nstubs + p->nmounts, sizeof(*st->mounts));
	add_api_mount(st, &n, p->work_dir, "/work", false);
	if (p->payload_file)
		add_api_mount(st, &n, p->payload_file, "/sandrun/payload", true);
	if (p->resolv_conf)
		add_api_mount(st, &n, p->resolv_conf, "/etc/resolv.conf", true);
	for (size_t i = 0; i < s->nstubs; i++) {
		if (s->stubs[i].kind != STUB_FS)
			continue;
		strvec_pushf(&st->strs, "/sandrun/stubs/%s", s->stubs[i].name);
		add_api_mount(st, &n, s->stubs[i].path, st->strs.v[st->strs.nr - 1], true);
	}
	for (size_t i = 0; i < p->nmounts; i++)
		st->mounts[n++] = p->mounts[i];
	o->mounts = st->mounts;
	o->nmounts = n;
	o->working_dir = "/work";
	o->env = env;
	o->image = p->image;
	if (p->cmd)
		o->cmd = p->cmd;
	else if (s->command.nr)
		o->cmd = s->command.v; /* NULL-terminated once pushed to */
	if (p->entrypoint) {
		strvec_push(&st->entry, p->entrypoint);
		o->entrypoint = st->entry.v;
	}
}

void runargs_store_release(struct runargs_store *st)
{
	free(st->mounts);
	strvec_clear(&st->strs);
	strvec_clear(&st->entry);
	memset(st, 0, sizeof(*st));
}
