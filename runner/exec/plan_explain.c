/* `sandrun explain`: the plan of each run, rendered without running it. The
 * values printed are the ones run_one executes (runargs, netplan, workdir),
 * with placeholders for what only exists at run time. */
#include <string.h>

#include "runner/netpolicy/dnsrelay.h"
#include "runner/netpolicy/netplan.h"
#include "lib/quote.h"
#include "runner/exec/run.h"
#include "runner/plan/runargs.h"
#include "runner/plan/workdir.h"
#include "runner/spec/walls.h"
#include "runner/exec/warm.h"

/* What the network plan adds before the container starts. */
static void explain_network(struct strbuf *out, const struct runner *r, struct netplan *np)
{
	struct strvec argv = STRVEC_INIT;

	strvec_push(&argv, r->engine->bin);
	strvec_pushv(&argv, (const char *const *)np->create.v);
	sr_shell_quote_argv(out, strvec_argv(&argv));
	strbuf_addch(out, '\n');
	if (np->relay)
		strbuf_addf(out,
			    "# not root: udp 53 on %s is out of reach; a relay on the "
			    "network forwards DNS, the harness shares its network namespace\n",
			    np->gateway);
	strbuf_addf(out, "# listeners on %s: %s\n", np->gateway, np->listeners);
	if (np->firewall)
		strbuf_addstr(out, strbuf_str(&np->fw_lines));
	else
		strbuf_addstr(out, "# no firewall (needs root and iptables): the run's network can "
				   "reach other ports of the gateway address\n");
	if (np->relay) {
		strvec_clear(&argv);
		strvec_push(&argv, r->engine->bin);
		strvec_pushv(&argv, (const char *const *)np->relay_run.v);
		sr_shell_quote_argv(out, strvec_argv(&argv));
		strbuf_addf(out,
			    "\n%s container inspect --format '{{range "
			    ".NetworkSettings.Networks}}{{.IPAddress}}{{end}}' %s   # pinged "
			    "there until it answers; resolv.conf names 127.0.0.1\n",
			    r->engine->bin, np->relay_name);
	}
	strvec_clear(&argv);
}

/* Names only: the values include the run's token and the spec's secrets. */
static void explain_env(struct strbuf *out, const char *path, const struct strvec *env)
{
	strbuf_addf(out, "# environment in %s (values not shown):", path);
	for (size_t i = 0; i < env->nr; i++)
		strbuf_addf(out, " %.*s", (int)strcspn(env->v[i], "="), env->v[i]);
	strbuf_addch(out, '\n');
}

/* The runtime and seccomp line, then the engine command line of plan. */
static void explain_run_line(struct strbuf *out, const struct runner *r, const struct spec *s,
			     const char *image, const char *run_dir, struct run_plan *plan)
{
	struct strvec argv = STRVEC_INIT;
	struct walls wl;

	walls_resolve(&wl, s, image && r->cat ? catalogue_find(r->cat, s->toolchain) : NULL,
		      r->cat ? r->cat->path : NULL, run_dir);
	plan->runtime = wl.runtime;
	plan->seccomp_file = wl.profile;
	strbuf_addf(out, "# runtime %s, seccomp %s%s\n",
		    wl.runtime ? wl.runtime : WALLS_DEFAULT_RUNTIME, wl.seccomp,
		    wl.strict ? " (sandrun's profile, written there per run)" : "");
	runargs_build(&argv, plan);
	walls_release(&wl);
	sr_shell_quote_argv(out, strvec_argv(&argv));
	strbuf_addch(out, '\n');
	strvec_clear(&argv);
}

void run_explain(struct strbuf *out, struct runner *r, struct run_job *job)
{
	const struct spec *s = job->spec;
	const struct payload *pay = &s->payloads[job->payload];
	const struct cat_entry *ent = catalogue_find(r->cat, s->toolchain);
	struct netplan_opts no = {.engine = r->engine,
				  .spec = s,
				  .run_id = r->run_id,
				  .owner = r->owner,
				  .name = "sr-<random>",
				  .firewall = r->firewall};
	struct netplan np;
	struct workdir wd;
	struct run_plan plan = {0};
	struct strvec env = STRVEC_INIT;
	struct sr_err err = SR_ERR_INIT;
	char *name = run_container_name(r, job), *image = ent ? cat_entry_ref(ent) : NULL;
	struct dnsrelay_src relay = {0};

	strbuf_addf(out, "# %s [%s] #%u  (%s)\n", s->name, pay->name, job->repeat + 1, s->path);
	workdir_paths(&wd, r->tmp_root, name);
	no.run_dir = wd.dir;
	no.container = name;
	memset(&np, 0, sizeof(np));
	if ((s->network == NET_OOB || s->network == NET_STUBS) && !r->engine->podman &&
	    dnsrelay_needed(r->is_root) && dnsrelay_source(&relay, r->cat, image, &err) < 0) {
		strbuf_addf(out, "# not runnable: %s\n", err.msg);
		goto done;
	}
	no.relay = relay.image ? &relay : NULL;
	if (netplan_init(&np, &no, &err) < 0) {
		strbuf_addf(out, "# not runnable: %s\n", err.msg);
		goto done;
	}
	if (np.on) {
		uint16_t *stub_ports = xcalloc(s->nstubs + 1, sizeof(*stub_ports));
		netplan_set_endpoints(&np, s, "<gateway>", 0, np.relay ? 0 : 53, stub_ports,
				      "<token>", r->oob_domain);
		free(stub_ports);
		explain_network(out, r, &np);
	}
	runargs_run_env(&env, s, pay, r->run_id, "<token>", job->repeat, &np.env);
	explain_env(out, wd.env_file, &env);
	if (warm_wanted(s)) {
		warm_explain(out, r, s, image ? image : "<toolchain missing>", name, &wd);
		goto done;
	}

	plan.engine_bin = r->engine->bin;
	plan.podman = r->engine->podman;
	plan.spec = s;
	plan.image = image ? image : "<toolchain missing>";
	plan.name = name;
	plan.run_id = r->run_id;
	plan.owner = r->owner;
	plan.work_dir = wd.work;
	plan.payload_file = wd.payload;
	plan.resolv_conf = np.on ? np.resolv : NULL;
	plan.network = np.on ? np.harness_net : NULL;
	plan.env_file = wd.env_file;
	explain_run_line(out, r, s, image, wd.dir, &plan);
	strbuf_addf(out, "%s container inspect %s; %s rm -f -v %s\n", r->engine->bin, name,
		    r->engine->bin, name);
	if (np.relay)
		strbuf_addf(out, "%s rm -f -v %s\n", r->engine->bin, np.relay_name);
	if (np.on)
		strbuf_addf(out, "%s network rm %s\n", r->engine->bin, np.name);
done:
	dnsrelay_src_release(&relay);
	netplan_release(&np);
	workdir_release(&wd, true);
	strvec_clear(&env);
	free(name);
	free(image);
}
