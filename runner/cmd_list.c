/* sandrun list: the catalogue, one entry a line (or JSON). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_list(const struct cli *cli, int argc, char **argv)
{
	struct catalogue cat;
	struct sr_err err = SR_ERR_INIT;
	bool json = false;
	struct strbuf out = STRBUF_INIT;

	for (int i = 1; i < argc; i++) {
		const char *v;
		if (cli_opt(argc, argv, &i, "--format", NULL, &v)) {
			if (!v || (strcmp(v, "json") && strcmp(v, "text"))) {
				sr_log("--format must be text or json");
				return EXIT_USAGE;
			}
			json = !strcmp(v, "json");
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			sr_log("unknown argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (cli_load_catalogue(&cat, cli, &err) < 0)
		return cli_fail(&err);
	if (json)
		strbuf_addch(&out, '[');
	for (size_t i = 0; i < cat.n; i++) {
		const struct cat_entry *e = &cat.entries[i];
		if (!json) {
			strbuf_addf(&out, "%-20s %-40s %s%s%s\n", e->toolchain_id, e->base,
				    cat_entry_pinned(e) ? e->digest : "unpinned",
				    e->platform ? " " : "", e->platform ? e->platform : "");
			continue;
		}
		strbuf_addstr(&out, i ? ",\n {" : "\n {");
		strbuf_addstr(&out, "\"toolchain_id\":");
		json_add_str(&out, e->toolchain_id);
		strbuf_addstr(&out, ",\"base\":");
		json_add_str(&out, e->base);
		strbuf_addstr(&out, ",\"toolchain\":");
		json_add_str(&out, e->toolchain);
		strbuf_addstr(&out, ",\"digest\":");
		json_add_str(&out, cat_entry_pinned(e) ? e->digest : NULL);
		strbuf_addf(&out, ",\"pinned\":%s", cat_entry_pinned(e) ? "true" : "false");
		strbuf_addstr(&out, ",\"platform\":");
		json_add_str(&out, e->platform);
		strbuf_addstr(&out, ",\"platform_digest\":");
		json_add_str(&out,
			     e->platform_digest && *e->platform_digest ? e->platform_digest : NULL);
		strbuf_addstr(&out, ",\"packages\":{");
		for (size_t k = 0; k < e->pkg_names.nr; k++) {
			if (k)
				strbuf_addch(&out, ',');
			json_add_str(&out, e->pkg_names.v[k]);
			strbuf_addch(&out, ':');
			json_add_str(&out, e->pkg_versions.v[k]);
		}
		strbuf_addstr(&out, "}}");
	}
	if (json)
		strbuf_addstr(&out, "\n]\n");
	fputs(strbuf_str(&out), stdout);
	strbuf_release(&out);
	catalogue_release(&cat);
	return EXIT_OK;
}
