/* sandrun list: the catalogue, one entry a line (or JSON). */
#include <stdio.h>
#include <string.h>

#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"

int cmd_list(const struct cli *cli, int argc, char **argv)
{
	struct catalogue cat;
	struct sr_err err = SR_ERR_INIT;
	bool json = false;
	struct strbuf out = STRBUF_INIT;

	struct opt_iter it;
	const char *v;
	int id;

	opt_iter_init(&it, verb_find("list"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == O_LIST_FORMAT) {
			if (strcmp(v, "json") && strcmp(v, "text"))
				return cli_usage("--format must be text or json, got", v);
			json = !strcmp(v, "json");
		} else if (id == O_LIST_JSON) {
			json = true;
		} else if (id == OPT_ARG) {
			return cli_usage("list takes no arguments, got", v);
		} else {
			return verb_stop(it.verb, id, &err);
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
