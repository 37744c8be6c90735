#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "../lib/fsutil.h"
#include "net/firewall.h"
#include "net/net.h"
#include "runargs.h"
#include "verdict.h"

#define RUN_UID 65534
/* How long past the spec's timeout the client may take to start the
 * container before the runner kills it; the timeout verdict itself is
 * decided on the engine's start/finish times. */
#define START_SLACK_MS 2000
#define TAIL_IN_RECORD 4096

struct run_ctx {
	struct runner *r;
	struct run_job *job;
	char *name;
	char *dir;
	char *work;
	bool work_mounted;
	char token[33];
	char *netname;
	char *gateway;
	struct net_session *net;
	struct fw_rules fw;
	bool fw_on;
	struct strvec env; /* KEY=value for the container */
	bool container_started;
	bool attempted; /* `run` was spawned: a container may exist */
};

char *run_container_name(const struct runner *r, const struct run_job *job)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "sandrun-%.8s-%u-", r->run_id, job->seq);
	runargs_sanitize(&sb, job->spec->name, 40);
	return strbuf_detach(&sb, NULL);
}

static void rec_begin(struct runner *r, struct run_job *job)
{
	struct record *rec = &job->rec;
	const struct spec *s = job->spec;
	const struct payload *p = &s->payloads[job->payload];

	record_init(rec);
	rec->harness = xstrdup(s->name);
	rec->payload = xstrdup(p->name);
	rec->spec_path = xstrdup(s->path);
	rec->expected = p->expect != OUTCOME_NONE ? p->expect : s->expect;
	rec->repeat_index = job->repeat;
	rec->runs = s->repeat;
	rec->isolation.network = net_policy_name(s->network);
	rec->isolation.read_only = true;
	rec->isolation.user = SR_CONTAINER_USER;
	rec->container = run_container_name(r, job);
}

static void rec_finish(struct record *rec)
{
	rec->match = rec->expected == OUTCOME_NONE ? rec->outcome != OUTCOME_ERROR
						   : rec->outcome == rec->expected;
}

void run_error_record(struct runner *r, struct run_job *job, const char *phase, const char *cause)
{
	rec_begin(r, job);
	job->rec.outcome = OUTCOME_ERROR;
	job->rec.phase = phase;
	job->rec.cause = xstrdup(cause);
	rec_finish(&job->rec);
	job->done = true;
}

static void set_error(struct record *rec, const char *phase, const char *cause)
{
	rec->outcome = OUTCOME_ERROR;
	rec->phase = phase;
	free(rec->cause);
	rec->cause = xstrdup(cause && *cause ? cause : "unknown error");
}

/* Fresh copy of the workdir at ctx->work, bounded by limits.disk: as root,
 * the copy lives on its own sized tmpfs so a harness filling /work hits
 * ENOSPC instead of the host's disk. */
static int prepare_work(struct run_ctx *c, struct sr_err *err)
{
	const struct spec *s = c->job->spec;
	uid_t uid = c->r->is_root ? RUN_UID : (uid_t)-1;

	c->work = xasprintf("%s/work", c->dir);
	if (mkdir(c->work, 0755) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", c->work,
				  strerror(errno));
	if (c->r->is_root) {
		char *opts = xasprintf("size=%llu,mode=0755,uid=%d,gid=%d",
				       (unsigned long long)s->limits.disk, RUN_UID, RUN_UID);
		int rc = mount("sandrun-work", c->work, "tmpfs", MS_NOSUID | MS_NODEV, opts);
		free(opts);
		if (rc < 0)
			return sr_err_set(err, SR_EFAIL, "cannot mount the /work tmpfs: %s",
					  strerror(errno));
		c->work_mounted = true;
	} else {
		chmod(c->work, 0777);
	}
	if (s->workdir && fs_copy_tree(s->workdir, c->work, uid, uid, err) < 0)
		return sr_err_wrap(err, "cannot copy workdir '%s' (limits.disk is %llu bytes)",
				   s->workdir, (unsigned long long)s->limits.disk);
	return 0;
}

static void env_add(struct strvec *env, const char *key, const char *val)
{
	strvec_pushf(env, "%s=%s", key, val);
}

static const char *stub_scheme(enum stub_kind k)
{
	switch (k) {
	case STUB_HTTP:
		return "http";
	case STUB_SQL:
		return "postgres";
	case STUB_REDIS:
		return "redis";
	default:
		return "tcp";
	}
}

/* SANDRUN_STUB_<NAME>_URL: the stub name upper-cased, '-' and '.' as '_'. */
static void stub_env_key(struct strbuf *key, const char *name)
{
	strbuf_addstr(key, "SANDRUN_STUB_");
	for (const char *p = name; *p; p++)
		strbuf_addch(key, (*p >= 'a' && *p <= 'z')   ? (char)(*p - 32)
				  : (*p == '-' || *p == '.') ? '_'
							     : *p);
	strbuf_addstr(key, "_URL");
}

/* Per-run internal network, listeners on its gateway, firewall rules. */
static int prepare_network(struct run_ctx *c, struct sr_err *err)
{
	struct runner *r = c->r;
	const struct spec *s = c->job->spec;
	struct strbuf out = STRBUF_INIT;
	unsigned char rnd[6];
	char *lab_run, *lab_owner, *opt = NULL, *resolv;
	struct net_session_opts no = {0};
	uint16_t tcp[64], udp[1];
	size_t ntcp = 0, nudp = 0;
	int rc;

	/* Podman's internal networks have no address on the host, so there is
	 * nothing the runner's listeners could bind to. */
	if (r->engine->podman)
		return sr_err_set(err, SR_EFAIL,
				  "network '%s' needs the docker engine: podman's internal "
				  "networks have no host gateway for the runner's listeners",
				  net_policy_name(s->network));
	if (sr_random(rnd, sizeof(rnd), err) < 0)
		return SR_EFAIL;
	c->netname = xasprintf("sr-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
			       rnd[4], rnd[5]);
	lab_run = xasprintf("sandrun.run=%s", r->run_id);
	lab_owner = xasprintf("sandrun.owner=%s", r->owner);
	if (!r->engine->podman)
		opt = xasprintf("com.docker.network.bridge.name=%s", c->netname);
	{
		const char *args[] = {"network",
				      "create",
				      "--internal",
				      "--label",
				      lab_run,
				      "--label",
				      lab_owner,
				      opt ? "--opt" : c->netname,
				      opt ? opt : NULL,
				      opt ? c->netname : NULL,
				      NULL};
		rc = engine_call(r->engine, args, ENGINE_TMO_QUICK, NULL, err);
	}
	free(lab_run);
	free(lab_owner);
	free(opt);
	if (rc < 0) {
		free(c->netname);
		c->netname = NULL;
		return sr_err_wrap(err, "cannot create the run's network");
	}
	{
		const char *args[] = {"network",  "inspect",
				      "--format", "{{range .IPAM.Config}}{{.Gateway}} {{end}}",
				      c->netname, NULL};
		rc = engine_call(r->engine, args, ENGINE_TMO_QUICK, &out, err);
	}
	if (rc < 0) {
		strbuf_release(&out);
		return sr_err_wrap(err, "cannot inspect network '%s'", c->netname);
	}
	sr_rtrim(&out);
	{
		size_t n = strcspn(strbuf_str(&out), " ");
		c->gateway = xstrndup(strbuf_str(&out), n);
	}
	strbuf_release(&out);
	if (!*c->gateway)
		return sr_err_set(err, SR_EFAIL, "network '%s' has no gateway address", c->netname);

	no.bind_addr = c->gateway;
	no.token = c->token;
	no.domain = r->oob_domain;
	no.stubs = s->stubs;
	no.nstubs = s->nstubs;
	no.dns_port = r->is_root ? 53 : -1;
	if (net_session_open(&c->net, &no, err) < 0)
		return sr_err_wrap(err, "cannot open listeners on %s", c->gateway);

	tcp[ntcp++] = net_session_oob_port(c->net);
	if (net_session_dns_port(c->net))
		udp[nudp++] = net_session_dns_port(c->net);
	for (size_t i = 0; i < s->nstubs && ntcp < SR_ARRAY_SIZE(tcp); i++)
		if (s->stubs[i].kind != STUB_FS)
			tcp[ntcp++] = net_session_stub_port(c->net, i);
	if (r->firewall && !r->engine->podman) {
		if (fw_apply(&c->fw, c->netname, c->gateway, tcp, ntcp, udp, nudp, err) < 0)
			return sr_err_wrap(err, "cannot install firewall rules");
		c->fw_on = true;
	}
	c->job->rec.isolation.firewall = c->fw_on;

	resolv = xasprintf("%s/resolv.conf", c->dir);
	{
		char *text =
		    xasprintf("nameserver %s\noptions ndots:0 attempts:2 timeout:2\n", c->gateway);
		rc = fs_write_new(resolv, text, strlen(text), 0644, err);
		free(text);
	}
	free(resolv);
	if (rc < 0)
		return rc;

	{
		char *v = xasprintf("http://%s:%u/%s", c->gateway, net_session_oob_port(c->net),
				    c->token);
		env_add(&c->env, "SANDRUN_OOB_URL", v);
		free(v);
		env_add(&c->env, "SANDRUN_OOB_HOST", c->gateway);
		v = xasprintf("%u", net_session_oob_port(c->net));
		env_add(&c->env, "SANDRUN_OOB_PORT", v);
		free(v);
		env_add(&c->env, "SANDRUN_OOB_DOMAIN", r->oob_domain);
	}
	for (size_t i = 0; i < s->nstubs; i++) {
		struct strbuf key = STRBUF_INIT;
		char *v;
		if (s->stubs[i].kind == STUB_FS)
			continue;
		stub_env_key(&key, s->stubs[i].name);
		if (s->stubs[i].kind == STUB_SQL)
			v = xasprintf("postgres://sandrun@%s:%u/sandrun?sslmode=disable",
				      c->gateway, net_session_stub_port(c->net, i));
		else
			v = xasprintf("%s://%s:%u%s", stub_scheme(s->stubs[i].kind), c->gateway,
				      net_session_stub_port(c->net, i),
				      s->stubs[i].kind == STUB_HTTP ? "/" : "");
		env_add(&c->env, key.buf, v);
		free(v);
		strbuf_release(&key);
	}
	return 0;
}

/* The container environment every run gets (DESIGN §5), network aside. */
static void build_env(struct strvec *env, const struct spec *s, const struct payload *p,
		      const char *run_id, const char *token)
{
	for (size_t i = 0; i < s->env_keys.nr; i++)
		env_add(env, s->env_keys.v[i], s->env_vals.v[i]);
	env_add(env, "SANDRUN_RUN_ID", run_id);
	env_add(env, "SANDRUN_HARNESS", s->name);
	env_add(env, "SANDRUN_TOKEN", token);
	env_add(env, "SANDRUN_PAYLOAD", p->value);
	env_add(env, "SANDRUN_PAYLOAD_FILE", "/sandrun/payload");
}

static void abort_container(void *ctx)
{
	struct run_ctx *c = ctx;
	const char *args[] = {"kill", c->name, NULL};
	struct sr_err err = SR_ERR_INIT;

	engine_call(c->r->engine, args, ENGINE_TMO_QUICK, NULL, &err);
}

/* "2026-11-24T08:15:00.123456789Z" -> ms since the epoch; 0 when unparsable. */
static uint64_t parse_rfc3339_ms(const char *s)
{
	struct tm tm = {0};
	unsigned ms = 0, mul = 100;
	const char *p;
	time_t t;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p || tm.tm_year < 100)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ms += (unsigned)(*p - '0') * mul;
			mul /= 10;
		}
	t = timegm(&tm);
	return (uint64_t)t * 1000 + ms;
}

struct cstate {
	bool exists;
	char status[32];
	int exit_code;
	bool oom;
	uint64_t started_ms, finished_ms;
	char error[1024];
};

static int inspect_container(struct run_ctx *c, struct cstate *st, struct sr_err *err)
{
	const char *args[] = {"container",
			      "inspect",
			      "--format",
			      "{{.State.Status}}|{{.State.ExitCode}}|{{.State.OOMKilled}}|{{.State."
			      "StartedAt}}|{{.State.FinishedAt}}|{{.State.Error}}",
			      c->name,
			      NULL};
	struct strbuf out = STRBUF_INIT;
	char *f[6] = {0}, *save = NULL, *p;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = engine_call(c->r->engine, args, ENGINE_TMO_QUICK, &out, err);
	if (rc < 0) {
		strbuf_release(&out);
		return rc;
	}
	sr_rtrim(&out);
	p = out.buf ? out.buf : (char *)"";
	for (int i = 0; i < 5; i++)
		f[i] = strtok_r(i ? NULL : p, "|", &save);
	f[5] = save;
	st->exists = true;
	snprintf(st->status, sizeof(st->status), "%s", f[0] ? f[0] : "");
	st->exit_code = f[1] ? atoi(f[1]) : -1;
	st->oom = f[2] && !strcmp(f[2], "true");
	st->started_ms = f[3] ? parse_rfc3339_ms(f[3]) : 0;
	st->finished_ms = f[4] ? parse_rfc3339_ms(f[4]) : 0;
	snprintf(st->error, sizeof(st->error), "%s", f[5] ? f[5] : "");
	strbuf_release(&out);
	return 0;
}

/* The init process (tini for docker, catatonit for podman) reports that the
 * harness's command could not be executed: a start failure, not a result.
 * Returns the init's message line, or NULL. */
static const char *init_exec_failed(const struct cstate *st, const struct strbuf *err)
{
	static __thread char line[512];
	const char *p;
	size_t n;

	if (st->exit_code != 126 && st->exit_code != 127)
		return NULL;
	p = strstr(strbuf_str(err), "[FATAL tini");
	if (!p)
		p = strstr(strbuf_str(err), "catatonit: failed to exec");
	if (!p || !strstr(p, "exec"))
		return NULL;
	n = strcspn(p, "\n");
	snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
	return line;
}

static char *tail_copy(const struct strbuf *sb)
{
	size_t n = sb->len > TAIL_IN_RECORD ? TAIL_IN_RECORD : sb->len;

	return xstrndup(strbuf_str(sb) + sb->len - n, n);
}

/* Removing a stopped container costs a client round trip the next run need
 * not wait for: a reaper thread removes finished containers (and then their
 * networks) in batches, and run_all waits for it before returning, so
 * nothing outlives the invocation. */
struct reaper {
	const struct engine *engine;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct strvec containers, networks;
	bool stop;
	pthread_t thread;
};

static void reap_batch(const struct engine *e, struct strvec *names, bool networks)
{
	struct strvec args = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;

	if (!names->nr)
		return;
	if (networks) {
		strvec_push(&args, "network");
		strvec_push(&args, "rm");
	} else {
		strvec_push(&args, "rm");
		strvec_push(&args, "-f");
		strvec_push(&args, "-v");
	}
	strvec_pushv(&args, (const char *const *)names->v);
	/* Names already gone are fine; anything else is swept by gc. */
	if (engine_call(e, (const char *const *)args.v, ENGINE_TMO_QUICK, NULL, &err) < 0)
		sr_debug("removal: %s", err.msg);
	strvec_clear(&args);
	strvec_clear(names);
}

static void *reaper_main(void *arg)
{
	struct reaper *rp = arg;

	pthread_mutex_lock(&rp->lock);
	for (;;) {
		struct strvec c = STRVEC_INIT, n = STRVEC_INIT;
		while (!rp->stop && !rp->containers.nr && !rp->networks.nr)
			pthread_cond_wait(&rp->cv, &rp->lock);
		if (!rp->containers.nr && !rp->networks.nr && rp->stop)
			break;
		c = rp->containers;
		n = rp->networks;
		memset(&rp->containers, 0, sizeof(rp->containers));
		memset(&rp->networks, 0, sizeof(rp->networks));
		pthread_mutex_unlock(&rp->lock);
		reap_batch(rp->engine, &c, false);
		reap_batch(rp->engine, &n, true);
		pthread_mutex_lock(&rp->lock);
	}
	pthread_mutex_unlock(&rp->lock);
	return NULL;
}

static void reaper_start(struct runner *r)
{
	struct reaper *rp = xcalloc(1, sizeof(*rp));

	rp->engine = r->engine;
	pthread_mutex_init(&rp->lock, NULL);
	pthread_cond_init(&rp->cv, NULL);
	if (pthread_create(&rp->thread, NULL, reaper_main, rp)) {
		free(rp);
		return;
	}
	r->reaper = rp;
}

static void reaper_finish(struct runner *r)
{
	struct reaper *rp = r->reaper;

	if (!rp)
		return;
	pthread_mutex_lock(&rp->lock);
	rp->stop = true;
	pthread_cond_signal(&rp->cv);
	pthread_mutex_unlock(&rp->lock);
	pthread_join(rp->thread, NULL);
	pthread_mutex_destroy(&rp->lock);
	pthread_cond_destroy(&rp->cv);
	free(rp);
	r->reaper = NULL;
}

static void reaper_add(struct runner *r, const char *name, bool network)
{
	struct reaper *rp = r->reaper;

	if (!rp) {
		if (network)
			engine_network_rm(r->engine, name);
		else
			engine_rm(r->engine, name);
		return;
	}
	pthread_mutex_lock(&rp->lock);
	strvec_push(network ? &rp->networks : &rp->containers, name);
	pthread_cond_signal(&rp->cv);
	pthread_mutex_unlock(&rp->lock);
}

static void cleanup(struct run_ctx *c)
{
	struct runner *r = c->r;

	if (c->attempted && (!r->keep || sr_interrupted))
		reaper_add(r, c->name, false);
	if (c->net) {
		net_session_stop(c->net);
	}
	if (c->fw_on) {
		fw_remove(&c->fw);
		c->fw_on = false;
	}
	if (c->netname && (!r->keep || sr_interrupted))
		reaper_add(r, c->netname, true);
	if (c->work_mounted) {
		if (umount2(c->work, MNT_DETACH) < 0)
			sr_debug("cannot unmount '%s': %s", c->work, strerror(errno));
		c->work_mounted = false;
	}
	if (c->dir && !r->keep)
		fs_remove_tree(c->dir);
}

static void collect_net(struct run_ctx *c, struct run_obs *obs, char **oob_cause, char **stub_cause)
{
	const struct spec *s = c->job->spec;
	struct record *rec = &c->job->rec;
	struct strbuf oob = STRBUF_INIT, stubs = STRBUF_INIT, un = STRBUF_INIT;

	if (!c->net)
		return;
	obs->oob_fired = net_session_oob_fired(c->net, oob_cause);
	obs->oob_cause = *oob_cause;
	if (s->oracle.stub_name) {
		obs->stub_matched =
		    net_session_stub_match(c->net, s->oracle.stub_name, s->oracle.stub_contains,
					   s->oracle.stub_regex, stub_cause);
		obs->stub_cause = *stub_cause;
	}
	net_session_evidence(c->net, &oob, &stubs, &un);
	rec->evidence.oob_json = strbuf_detach(&oob, NULL);
	rec->evidence.stubs_json = strbuf_detach(&stubs, NULL);
	sr_rtrim(&un);
	if (un.len > 2) {
		/* un is a JSON array: keep its elements for the report's list. */
		pthread_mutex_lock(&c->r->lock);
		if (c->r->unattributed.len)
			strbuf_addch(&c->r->unattributed, ',');
		strbuf_add(&c->r->unattributed, un.buf + 1, un.len - 2);
		pthread_mutex_unlock(&c->r->lock);
	}
	strbuf_release(&un);
}

void run_one(struct runner *r, struct run_job *job)
{
	const struct spec *s = job->spec;
	const struct payload *pay = &s->payloads[job->payload];
	struct record *rec = &job->rec;
	struct run_ctx c = {.r = r, .job = job};
	struct sr_err err = SR_ERR_INIT;
	const struct cat_entry *ent;
	struct run_plan plan = {0};
	struct strvec argv = STRVEC_INIT, cenv = STRVEC_INIT;
	struct proc_opts po = {0};
	struct proc_result res = {0};
	struct run_obs obs = {0};
	struct cstate st;
	char *payload_file = NULL, *oob_cause = NULL, *stub_cause = NULL, *cache_key_s = NULL;
	uint64_t timeout_ms, t0 = sr_now_ms();
	bool pulled = false, have_res = false;
	int rc;

	job->started = true;
	rec_begin(r, job);
	c.name = xstrdup(rec->container);

	ent = catalogue_find(r->cat, s->toolchain);
	if (!ent) {
		set_error(rec, "catalogue", "toolchain not in the catalogue");
		goto done;
	}
	rec->image = cat_entry_ref(ent);
	rec->pinned = cat_entry_pinned(ent);
	if (r->require_pinned && !rec->pinned) {
		char *m = xasprintf("toolchain '%s' is not pinned and --require-pinned is set",
				    ent->toolchain_id);
		set_error(rec, "catalogue", m);
		free(m);
		goto done;
	}
	if (r->cache_dir) {
		cache_key_s = cache_key(s, job->payload, job->repeat, rec->image, rec->pinned,
					r->timeout_scale);
		if (cache_key_s && cache_load(r->cache_dir, cache_key_s, rec)) {
			rec->match = false;
			goto done;
		}
	}
	if (imgcache_ensure(r->images, rec->image, &pulled, &err) < 0) {
		set_error(rec, "pull", err.msg);
		goto done;
	}

	if (sr_token(c.token, &err) < 0) {
		set_error(rec, "create", err.msg);
		goto done;
	}
	rec->token = xstrdup(c.token);
	c.dir = xasprintf("%s/%s", r->tmp_root, c.name);
	if (mkdir(c.dir, 0700) < 0) {
		char *m = xasprintf("cannot create '%s': %s", c.dir, strerror(errno));
		set_error(rec, "create", m);
		free(m);
		free(c.dir);
		c.dir = NULL;
		goto done;
	}
	if (prepare_work(&c, &err) < 0) {
		set_error(rec, "create", err.msg);
		goto done;
	}
	payload_file = xasprintf("%s/payload", c.dir);
	if (fs_write_new(payload_file, pay->value, strlen(pay->value), 0444, &err) < 0) {
		set_error(rec, "create", err.msg);
		goto done;
	}
	build_env(&c.env, s, pay, r->run_id, c.token);
	if ((s->network == NET_OOB || s->network == NET_STUBS) && prepare_network(&c, &err) < 0) {
		set_error(rec, "create", err.msg);
		goto done;
	}

	plan.engine_bin = r->engine->bin;
	plan.podman = r->engine->podman;
	plan.spec = s;
	plan.image = rec->image;
	plan.name = c.name;
	plan.run_id = r->run_id;
	plan.owner = r->owner;
	plan.work_dir = c.work;
	plan.payload_file = payload_file;
	plan.network = c.netname;
	plan.env = &c.env;
	{
		char *resolv = c.netname ? xasprintf("%s/resolv.conf", c.dir) : NULL;
		plan.resolv_conf = resolv;
		runargs_build(&argv, &plan);
		free(resolv);
	}
	strvec_pushv(&rec->repro, (const char *const *)argv.v);

	engine_child_env(r->engine, &cenv, &c.env);
	timeout_ms = (uint64_t)((double)s->timeout_ms * r->timeout_scale);
	if (!timeout_ms)
		timeout_ms = 1;
	po.argv = strvec_argv(&argv);
	po.envp = strvec_argv(&cenv);
	po.timeout_ms = timeout_ms + START_SLACK_MS;
	po.out_cap = (size_t)s->limits.output;
	po.on_abort = abort_container;
	po.ctx = &c;
	po.abort_grace_ms = 15000;
	po.interruptible = true;
	c.attempted = true;
	rc = proc_run(&po, &res, &err);
	have_res = true;
	if (rc < 0) {
		set_error(rec, "create", err.msg);
		goto done;
	}
	sr_rtrim(&res.err);

	if (inspect_container(&c, &st, &err) < 0) {
		/* No container: the engine refused to create it (exit 125) or is gone. */
		const char *why = res.err.len ? res.err.buf : err.msg;
		set_error(rec, res.exit_code == 125 || res.cancelled ? "create" : "collect", why);
		if (res.cancelled)
			set_error(rec, "run", "interrupted");
		goto done;
	}
	if (st.error[0] || !strcmp(st.status, "created")) {
		set_error(rec, "start", st.error[0] ? st.error : strbuf_str(&res.err));
		goto done;
	}
	if (res.cancelled) {
		char *m = xasprintf("interrupted by signal %d", (int)sr_interrupted);
		set_error(rec, "run", m);
		free(m);
		goto done;
	}
	if (init_exec_failed(&st, &res.err)) {
		set_error(rec, "start", init_exec_failed(&st, &res.err));
		goto done;
	}
	c.container_started = true;

	rec->exit_code = st.exit_code;
	obs.exit_code = st.exit_code;
	obs.oom = st.oom;
	obs.timed_out = res.timed_out;
	if (!obs.timed_out && st.started_ms && st.finished_ms >= st.started_ms &&
	    st.finished_ms - st.started_ms > timeout_ms)
		obs.timed_out = true;
	/* The init process reports a harness killed by signal N as 128+N. */
	if (st.exit_code > 128 && st.exit_code < 128 + 65)
		obs.signal = st.exit_code - 128;
	if (!obs.timed_out && !obs.oom)
		rec->signal = obs.signal;
	obs.stdout_tail = strbuf_str(&res.out);
	obs.stderr_tail = strbuf_str(&res.err);

	if (c.net) {
		/* Late callbacks: the harness may have started something that
		 * reaches out after its main process exited. */
		if (!net_session_oob_fired(c.net, NULL) && r->grace_ms)
			usleep((useconds_t)r->grace_ms * 1000);
		net_session_stop(c.net);
		collect_net(&c, &obs, &oob_cause, &stub_cause);
	}

	if (s->oracle.files) {
		char *dest = xasprintf("%s/%s", r->artifacts_root, c.name);
		int n = fs_collect(c.work, s->oracle.files, dest, &rec->evidence.artifacts, &err);
		if (n < 0) {
			set_error(rec, "collect", err.msg);
			free(dest);
			goto done;
		}
		obs.files_matched = rec->evidence.artifacts.nr;
		obs.first_file = obs.files_matched ? rec->evidence.artifacts.v[0] : NULL;
		if (obs.files_matched)
			rec->evidence.artifact_dir = dest;
		else
			free(dest);
	}

	{
		bool fired;
		char *cause;
		verdict_decide(s, &obs, &rec->outcome, &cause, &fired);
		free(rec->cause);
		rec->cause = cause;
		rec->fired = fired ? 1 : 0;
		rec->phase = "run";
	}

done:
	if (have_res) {
		rec->evidence.stdout_tail = tail_copy(&res.out);
		rec->evidence.stderr_tail = tail_copy(&res.err);
	}
	cleanup(&c);
	if (!rec->cached)
		rec->duration_ms = sr_now_ms() - t0;
	rec_finish(rec);
	if (cache_key_s && !rec->cached && !sr_interrupted)
		cache_store(r->cache_dir, cache_key_s, rec);
	free(cache_key_s);
	proc_result_release(&res);
	strvec_clear(&argv);
	strvec_clear(&cenv);
	strvec_clear(&c.env);
	if (c.net)
		net_session_free(c.net);
	free(payload_file);
	free(oob_cause);
	free(stub_cause);
	free(c.name);
	free(c.dir);
	free(c.work);
	free(c.netname);
	free(c.gateway);
	job->done = true;
}

struct pool {
	struct runner *r;
	struct run_job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
	void (*on_done)(struct run_job *job, void *ctx);
	void *ctx;
};

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		struct run_job *job;
		pthread_mutex_lock(&p->lock);
		if (p->next >= p->n || sr_interrupted) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		job = &p->jobs[p->next++];
		pthread_mutex_unlock(&p->lock);
		if (!job->done)
			run_one(p->r, job);
		pthread_mutex_lock(&p->lock);
		if (p->on_done)
			p->on_done(job, p->ctx);
		pthread_mutex_unlock(&p->lock);
	}
}

void run_all(struct runner *r, struct run_job *jobs, size_t n,
	     void (*on_done)(struct run_job *job, void *ctx), void *ctx)
{
	struct pool p = {.r = r, .jobs = jobs, .n = n, .on_done = on_done, .ctx = ctx};
	unsigned nw = r->jobs ? r->jobs : 1;
	pthread_t *th;
	sigset_t block, old;

	if (nw > n)
		nw = n ? (unsigned)n : 1;
	pthread_mutex_init(&p.lock, NULL);
	th = xcalloc(nw, sizeof(*th));
	/* Workers never take SIGINT/SIGTERM: the main thread's handler sets the
	 * flag they watch. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	reaper_start(r);
	for (unsigned i = 0; i < nw; i++)
		if (pthread_create(&th[i], NULL, worker, &p))
			abort();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (unsigned i = 0; i < nw; i++)
		pthread_join(th[i], NULL);
	free(th);
	reaper_finish(r);
	pthread_mutex_destroy(&p.lock);
	for (size_t i = 0; i < n; i++) {
		if (!jobs[i].done) {
			char *m =
			    xasprintf("not run: interrupted by signal %d", (int)sr_interrupted);
			run_error_record(r, &jobs[i], "start", m);
			free(m);
			if (on_done)
				on_done(&jobs[i], ctx);
		}
	}
}

void run_explain(struct runner *r, struct run_job *job, struct strbuf *out)
{
	const struct spec *s = job->spec;
	const struct cat_entry *ent = catalogue_find(r->cat, s->toolchain);
	struct run_plan plan = {0};
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	char *name = run_container_name(r, job), *image = ent ? cat_entry_ref(ent) : NULL;
	char *work = xasprintf("%s/%s/work", r->tmp_root, name);
	char *payload = xasprintf("%s/%s/payload", r->tmp_root, name);
	char *resolv = xasprintf("%s/%s/resolv.conf", r->tmp_root, name);
	const char *net = "sr-<random>";
	const char *gw = "<gateway>";

	strbuf_addf(out, "# %s [%s] #%u  (%s)\n", s->name, s->payloads[job->payload].name,
		    job->repeat + 1, s->path);
	if (s->network == NET_OOB || s->network == NET_STUBS) {
		/* Ports are chosen at run time: 0 prints as <port>. */
		uint16_t tcp[64] = {0}, udp[1] = {53};
		size_t ntcp = 1;
		struct strbuf fw = STRBUF_INIT;
		strbuf_addf(out,
			    "%s network create --internal --label sandrun.run=%s --label "
			    "sandrun.owner=%s --opt com.docker.network.bridge.name=%s %s\n",
			    r->engine->bin, r->run_id, r->owner, net, net);
		strbuf_addf(out, "# listeners on %s: oob http+tcp <port>, dns udp 53", gw);
		for (size_t i = 0; i < s->nstubs; i++)
			if (s->stubs[i].kind != STUB_FS)
				strbuf_addf(out, ", stub %s (%s) <port>", s->stubs[i].name,
					    stub_kind_name(s->stubs[i].kind));
		strbuf_addch(out, '\n');
		for (size_t i = 0; i < s->nstubs && ntcp < SR_ARRAY_SIZE(tcp); i++)
			ntcp += s->stubs[i].kind != STUB_FS;
		fw_describe(&fw, net, gw, tcp, ntcp, udp, 1);
		strbuf_addstr(out, strbuf_str(&fw));
		strbuf_release(&fw);
		env_add(&env, "SANDRUN_OOB_URL", "http://<gateway>:<port>/<token>");
		env_add(&env, "SANDRUN_OOB_HOST", gw);
		env_add(&env, "SANDRUN_OOB_PORT", "<port>");
		env_add(&env, "SANDRUN_OOB_DOMAIN", r->oob_domain);
	}
	/* Only the names reach the command line; the values stay out of explain. */
	build_env(&env, s, &s->payloads[job->payload], r->run_id, "");
	for (size_t i = 0; i < s->nstubs; i++) {
		struct strbuf key = STRBUF_INIT;
		if (s->stubs[i].kind == STUB_FS)
			continue;
		stub_env_key(&key, s->stubs[i].name);
		env_add(&env, key.buf, "");
		strbuf_release(&key);
	}
	plan.engine_bin = r->engine->bin;
	plan.podman = r->engine->podman;
	plan.spec = s;
	plan.image = image ? image : "<toolchain missing>";
	plan.name = name;
	plan.run_id = r->run_id;
	plan.owner = r->owner;
	plan.work_dir = work;
	plan.payload_file = payload;
	plan.resolv_conf = (s->network == NET_OOB || s->network == NET_STUBS) ? resolv : NULL;
	plan.network = plan.resolv_conf ? net : NULL;
	plan.env = &env;
	runargs_build(&argv, &plan);
	runargs_quote(out, strvec_argv(&argv));
	strbuf_addch(out, '\n');
	strbuf_addf(out, "%s container inspect %s; %s rm -f -v %s\n", r->engine->bin, name,
		    r->engine->bin, name);
	if (s->network == NET_OOB || s->network == NET_STUBS)
		strbuf_addf(out, "%s network rm %s\n", r->engine->bin, net);
	strvec_clear(&argv);
	strvec_clear(&env);
	free(name);
	free(image);
	free(work);
	free(payload);
	free(resolv);
}
