/* sandrun schema spec|catalogue: print the JSON Schema of the harness spec or
 * of images.toml. The files under schema/ are compiled into the binary
 * (build/gen/schema_data.c, made by the Makefile), so the schema printed is
 * always the one this binary was built with. */
#include <stdio.h>
#include <string.h>

#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"

extern const unsigned char sr_schema_harness[], sr_schema_images[];
extern const unsigned long sr_schema_harness_len, sr_schema_images_len;

int cmd_schema(const struct cli *cli, int argc, char **argv)
{
	struct sr_err err = SR_ERR_INIT;
	struct opt_iter it;
	const char *v, *which = NULL;
	int id;

	(void)cli;
	opt_iter_init(&it, verb_find("schema"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id != OPT_ARG)
			return verb_stop(it.verb, id, &err);
		if (which)
			return cli_usage("schema takes one argument, got another:", v);
		which = v;
	}
	if (!which)
		return cli_usage("schema needs spec or catalogue", NULL);
	if (!strcmp(which, "spec") || !strcmp(which, "harness"))
		fwrite(sr_schema_harness, 1, sr_schema_harness_len, stdout);
	else if (!strcmp(which, "catalogue") || !strcmp(which, "images"))
		fwrite(sr_schema_images, 1, sr_schema_images_len, stdout);
	else
		return cli_usage("schema takes spec or catalogue, got", which);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}
