/* sandrun gc: remove containers, networks, firewall chains and run
 * directories (with their mounts) whose owning sandrun process is gone. */
#include <stdio.h>
#include <string.h>

#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"
#include "runner/exec/gc.h"

int cmd_gc(const struct cli *cli, int argc, char **argv)
{
	struct engine eng;
	struct sr_err err = SR_ERR_INIT;
	int n;

	struct opt_iter it;
	const char *v;
	int id;

	opt_iter_init(&it, verb_find("gc"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == OPT_ARG)
			return cli_usage("gc takes no arguments, got", v);
		return verb_stop(it.verb, id, &err);
	}
	if (cli_engine(&eng, cli, &err) < 0)
		return cli_fail(&err);
	n = gc_sweep(&eng, gc_tmp_base(), sr_verbosity >= 0);
	if (sr_verbosity >= 0)
		printf("removed %d leftover object%s\n", n, n == 1 ? "" : "s");
	engine_release(&eng);
	return EXIT_OK;
}
