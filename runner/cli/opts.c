#include "runner/cli/opts.h"

#include <string.h>

void opt_iter_init(struct opt_iter *it, const struct sr_verb_def *verb, int argc, char **argv)
{
	it->verb = verb;
	it->argc = argc;
	it->argv = argv;
	it->i = 1;
	it->dashdash = false;
}

static int bad(struct opt_iter *it, struct sr_err *err, const char *what, const char *arg)
{
	sr_err_set(err, SR_EINVAL, "%s '%s' (see 'sandrun %s --help')", what, arg, it->verb->name);
	return OPT_BAD;
}

/* A row matching a (long name with optional "=value", or the alias with an
 * optional glued value); *inline_val points into a when the value is glued. */
const struct sr_opt *opt_find(const struct sr_verb_def *v, const char *a, const char **inline_val)
{
	*inline_val = NULL;
	for (size_t k = 0; k < v->nopts; k++) {
		const struct sr_opt *o = &v->opts[k];
		size_t n = strlen(o->name);

		if (!strncmp(a, o->name, n) && (a[n] == '\0' || (a[n] == '=' && o->arg))) {
			if (a[n] == '=')
				*inline_val = a + n + 1;
			return o;
		}
		if (o->alias) {
			n = strlen(o->alias);
			if (!strncmp(a, o->alias, n) && (a[n] == '\0' || o->arg)) {
				if (a[n])
					*inline_val = a + n;
				return o;
			}
		}
	}
	return NULL;
}

int opt_next(struct opt_iter *it, const char **val, struct sr_err *err)
{
	const struct sr_opt *o;
	const char *a, *inl;

	*val = NULL;
	if (it->i >= it->argc)
		return OPT_END;
	a = it->argv[it->i++];
	if (it->dashdash || a[0] != '-' || !a[1]) {
		*val = a;
		return OPT_ARG;
	}
	if (!strcmp(a, "--")) {
		it->dashdash = true;
		return opt_next(it, val, err);
	}
	if (!strcmp(a, "-h") || !strcmp(a, "--help"))
		return OPT_HELP;
	o = opt_find(it->verb, a, &inl);
	if (!o)
		return bad(it, err, "unknown option", a);
	if (!o->arg)
		return o->id;
	if (inl) {
		*val = inl;
		return o->id;
	}
	if (it->i >= it->argc)
		return bad(it, err, "missing value for", a);
	*val = it->argv[it->i++];
	return o->id;
}

void opt_print_help(FILE *f, const struct sr_verb_def *v)
{
	fprintf(f, "usage: sandrun %s %s\n\n%s\n", v->name, v->args, v->summary);
	if (v->nopts)
		fputs("\noptions:\n", f);
	for (size_t k = 0; k < v->nopts; k++)
		opt_print_line(f, &v->opts[k], 30);
	fprintf(f, "%-30s %s\n", "  -h, --help", "this help");
}

void opt_print_line(FILE *f, const struct sr_opt *o, int width)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "  ");
	if (o->alias)
		strbuf_addf(&sb, "%s, ", o->alias);
	strbuf_addstr(&sb, o->name);
	if (o->arg)
		strbuf_addf(&sb, " %s", o->arg);
	fprintf(f, "%-*s %s\n", width, sb.buf, o->help);
	strbuf_release(&sb);
}
