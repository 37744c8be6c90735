/* sandrun new NAME --kind exit|stdout|fuzz|oob|stub [--toolchain ID]: write
 * a harness directory NAME/ (harness.yaml and its workdir) that passes
 * `check` and, run as is, gives the verdicts its comments promise: payload
 * `exploit` confirmed (crash for fuzz), `benign` not_confirmed. Nothing
 * existing is overwritten: NAME must not exist. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalogue/catalogue.h"
#include "lib/fsutil.h"
#include "lib/proc.h"
#include "runner/cli/cli.h"
#include "runner/cli/verbs.h"

struct kind {
	const char *name, *prefer; /* prefer: a toolchain_id substring */
	const char *spec, *script; /* script: work/run.sh, or NULL */
};

#define HEAD                                                                                       \
	"@SCHEMA@# @NAME@: written by `sandrun new --kind @KIND@`. work/ stands in for the code "  \
	"under test:\n# replace it with yours, keep the two payloads as your controls.\n"
#define RUN_SH_HEAD                                                                                \
	"#!/bin/sh\n# The code under test (replace it). The payload is in $SANDRUN_PAYLOAD, the "  \
	"same\n# bytes in the file $SANDRUN_PAYLOAD_FILE.\n"

static const struct kind kinds[] = {
    {"exit", "busybox",
     HEAD "# Oracle: exit status 3 (the code refuses nothing and reports the traversal).\n"
	  "# Run as is: exploit -> confirmed, benign -> not_confirmed.\n"
	  "name: @NAME@\ntoolchain: @TC@\nworkdir: ./work\ncommand: [\"sh\", \"/work/run.sh\"]\n"
	  "timeout: 10s\npayloads:\n"
	  "  - {name: exploit, value: \"../../etc/passwd\", expect: confirmed}\n"
	  "  - {name: benign, value: \"notes.txt\", expect: not_confirmed}\n"
	  "oracle:\n  exit_code: [3]\n",
     RUN_SH_HEAD "case \"$SANDRUN_PAYLOAD\" in\n*../*) echo \"path escapes: $SANDRUN_PAYLOAD\"; "
		 "exit 3 ;;\nesac\necho \"read $SANDRUN_PAYLOAD\"\n"},
    {"stdout", "busybox",
     HEAD "# Oracle: a marker on stdout that only an injected command prints (the\n"
	  "# payload holds $((6*7)), not 42). Run as is: exploit -> confirmed, benign ->\n"
	  "# not_confirmed.\n"
	  "name: @NAME@\ntoolchain: @TC@\nworkdir: ./work\ncommand: [\"sh\", \"/work/run.sh\"]\n"
	  "timeout: 10s\npayloads:\n"
	  "  - {name: exploit, value: \"hello; echo SINK_$((6*7))\", expect: confirmed}\n"
	  "  - {name: benign, value: \"hello\", expect: not_confirmed}\n"
	  "oracle:\n  stdout: \"SINK_42\"\n",
     RUN_SH_HEAD "# Command injection: the payload is evaluated by the shell.\n"
		 "eval \"echo $SANDRUN_PAYLOAD\"\n"},
    {"oob", "busybox",
     HEAD "# Oracle: the out-of-band listener sees this run's token (the URL in\n"
	  "# $SANDRUN_OOB_URL carries it). Run as is: exploit -> confirmed, benign ->\n"
	  "# not_confirmed.\n"
	  "name: @NAME@\ntoolchain: @TC@\nworkdir: ./work\ncommand: [\"sh\", \"/work/run.sh\"]\n"
	  "timeout: 15s\nnetwork: oob\npayloads:\n"
	  "  - {name: exploit, value: \"example.test; timeout 5 wget -qO- $SANDRUN_OOB_URL\", "
	  "expect: confirmed}\n"
	  "  - {name: benign, value: \"example.test\", expect: not_confirmed}\n"
	  "oracle:\n  oob: true\n",
     RUN_SH_HEAD "# Command injection: the payload is evaluated by the shell.\n"
		 "eval \"echo looking up $SANDRUN_PAYLOAD\"\n"},
    {"stub", "busybox",
     HEAD "# Oracle: what the http stub `internal` recorded on the host side. The code\n"
	  "# fetches any URL it is given (SSRF); @INTERNAL@ stands for the internal\n"
	  "# service. Run as is: exploit -> confirmed, benign -> not_confirmed.\n"
	  "name: @NAME@\ntoolchain: @TC@\nworkdir: ./work\ncommand: [\"sh\", \"/work/run.sh\"]\n"
	  "timeout: 15s\nnetwork: stubs\nstubs:\n"
	  "  - {name: internal, kind: http, status: 200, body: \"secret\"}\npayloads:\n"
	  "  - {name: exploit, value: \"@INTERNAL@admin/keys\", expect: confirmed}\n"
	  "  - {name: benign, value: \"http://127.0.0.1:9/avatar.png\", expect: not_confirmed}\n"
	  "oracle:\n  stub: {name: internal, contains: \"GET /admin/keys\"}\n",
     RUN_SH_HEAD "url=$(printf '%s' \"$SANDRUN_PAYLOAD\" | sed "
		 "\"s|@INTERNAL@|$SANDRUN_STUB_INTERNAL_URL|\")\n"
		 "timeout 5 wget -qO- \"$url\" || true\n"},
    {"fuzz", "fuzz",
     HEAD "# A libFuzzer target (fuzz_target.c; build it into work/fuzz_target with\n"
	  "#   clang -g -O1 -fsanitize=fuzzer,address,undefined -o work/fuzz_target "
	  "fuzz_target.c\n"
	  "# which `sandrun new` did when clang was there). Each payload is one input\n"
	  "# (/sandrun/payload). Run as is: exploit -> crash (ASan), benign -> not_confirmed.\n"
	  "# To fuzz, use e.g. [\"/work/fuzz_target\", \"-max_total_time=30\", \"/work/corpus\"].\n"
	  "name: @NAME@\ntoolchain: @TC@\nworkdir: ./work\n"
	  "command: [\"/work/fuzz_target\", \"/sandrun/payload\"]\ntimeout: 60s\n"
	  "limits: {memory: 1g}\npayloads:\n"
	  "  - {name: exploit, value: \"FUZZ\", expect: crash}\n"
	  "  - {name: benign, value: \"hello\", expect: not_confirmed}\n"
	  "oracle:\n  crash: true\nreproduce: [\"/work/fuzz_target\", \"{artifact}\"]\n",
     NULL},
};

static const char fuzz_src[] =
    "/* The code under test (replace it): reads past its buffer on input \"FUZZ\". */\n"
    "#include <stddef.h>\n#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
    "int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)\n{\n"
    "\tchar *buf = malloc(size ? size : 1);\n\tint r = 0;\n\n"
    "\tmemcpy(buf, data, size);\n"
    "\tif (size >= 4 && !memcmp(buf, \"FUZZ\", 4))\n"
    "\t\tr = buf[size + 8]; /* heap-buffer-overflow */\n"
    "\tfree(buf);\n\treturn r == 42;\n}\n";

/* s with each @KEY@ of keys[i] replaced by vals[i]. Caller frees. */
static char *fill(const char *s, const char *const *keys, const char *const *vals)
{
	struct strbuf out = STRBUF_INIT;

	while (*s) {
		size_t i = 0;
		for (; keys[i]; i++)
			if (!strncmp(s, keys[i], strlen(keys[i])))
				break;
		if (keys[i]) {
			strbuf_addstr(&out, vals[i]);
			s += strlen(keys[i]);
		} else {
			strbuf_addch(&out, *s++);
		}
	}
	return strbuf_detach(&out, NULL);
}

/* --toolchain, else the first entry whose id contains k->prefer, else the
 * first that is not the DNS relay's image. */
static const char *pick_toolchain(const struct catalogue *cat, const struct kind *k,
				  const char *want)
{
	if (want)
		return catalogue_find(cat, want) ? want : NULL;
	for (size_t i = 0; i < cat->n; i++)
		if (strstr(cat->entries[i].toolchain_id, k->prefer))
			return cat->entries[i].toolchain_id;
	for (size_t i = 0; i < cat->n; i++)
		if (strcmp(cat->entries[i].toolchain_id, "sandrun-helper"))
			return cat->entries[i].toolchain_id;
	return NULL;
}

/* The "# yaml-language-server: $schema=" line naming the installed schema
 * (../share/sandrun/schema/ next to the binary) or the source tree's (the
 * binary at its root, or in build/<dir>/); "" when none is there. Caller
 * frees. */
static char *schema_line(void)
{
	const char *rel[] = {"../share/sandrun/schema", "schema", "../../schema"};
	char exe[PATH_MAX], path[PATH_MAX + 64], real[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return xstrdup("");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')))
		*slash = '\0';
	for (size_t i = 0; i < SR_ARRAY_SIZE(rel); i++) {
		snprintf(path, sizeof(path), "%s/%s/harness.schema.json", exe, rel[i]);
		if (realpath(path, real))
			return xasprintf("# yaml-language-server: $schema=%s\n", real);
	}
	return xstrdup("");
}

static int write_file(const char *dir, const char *rel, const char *text, mode_t mode,
		      struct sr_err *err)
{
	char *p = xasprintf("%s/%s", dir, rel);
	int rc = fs_write_new(p, text, strlen(text), mode, err);

	free(p);
	return rc;
}

/* clang builds work/fuzz_target when it is there; else the comment says how. */
static void build_fuzz(const char *dir)
{
	char *src = xasprintf("%s/fuzz_target.c", dir),
	     *bin = xasprintf("%s/work/fuzz_target", dir);
	char *const argv[] = {"clang", "-g", "-O1", "-fsanitize=fuzzer,address,undefined",
			      "-o",    bin,  src,   NULL};
	struct proc_opts po = {.argv = argv, .timeout_ms = 120000};
	struct proc_result res;
	struct sr_err err = SR_ERR_INIT;

	if (proc_run(&po, &res, &err) < 0 || res.exit_code != 0)
		sr_log(
		    "note: could not build %s (clang -fsanitize=fuzzer): build it before running",
		    bin);
	else
		sr_log("built %s", bin);
	proc_result_release(&res);
	free(src);
	free(bin);
}

static int write_harness(const char *dir, const char *name, const struct kind *k, const char *tc,
			 struct sr_err *err)
{
	const char *keys[] = {"@SCHEMA@", "@NAME@", "@KIND@", "@TC@", NULL};
	char *schema = schema_line(), *spec, *work = xasprintf("%s/work", dir);
	const char *vals[] = {schema, name, k->name, tc, NULL};
	int rc;

	spec = fill(k->spec, keys, vals);
	rc = mkdir(work, 0755) < 0
		 ? sr_err_set(err, SR_EFAIL, "cannot create %s: %s", work, strerror(errno))
		 : 0;
	if (!rc)
		rc = write_file(dir, "harness.yaml", spec, 0644, err);
	if (!rc && k->script)
		rc = write_file(dir, "work/run.sh", k->script, 0755, err);
	if (!rc && !k->script)
		rc = write_file(dir, "fuzz_target.c", fuzz_src, 0644, err);
	free(schema);
	free(spec);
	free(work);
	return rc;
}

static const struct kind *kind_find(const char *name)
{
	for (size_t i = 0; i < SR_ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

static bool valid_harness_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 128 ||
	    !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", s[0]))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int make_new(const struct cli *cli, const char *dir, const struct kind *k, const char *want)
{
	struct catalogue cat;
	struct sr_err err = SR_ERR_INIT;
	const char *slash = strrchr(dir, '/'), *name = slash ? slash + 1 : dir, *found;
	char *tc;
	int rc;

	if (!valid_harness_name(name))
		return cli_usage("new: NAME must match [A-Za-z0-9][A-Za-z0-9._-]*, got", name);
	if (cli_load_catalogue(&cat, cli, &err) < 0)
		return cli_fail(&err);
	if (!(found = pick_toolchain(&cat, k, want))) {
		rc = cli_usage(want ? "new: no such toolchain in the catalogue:"
				    : "new: the catalogue has no toolchain; give --toolchain",
			       want);
		catalogue_release(&cat);
		return rc;
	}
	tc = xstrdup(found);
	catalogue_release(&cat);
	if (mkdir(dir, 0755) < 0) {
		free(tc);
		sr_log("new: cannot create %s: %s%s", dir, strerror(errno),
		       errno == EEXIST ? " (nothing is overwritten)" : "");
		return EXIT_USAGE;
	}
	rc = write_harness(dir, name, k, tc, &err);
	if (rc < 0) {
		free(tc);
		return cli_fail(&err);
	}
	if (!k->script)
		build_fuzz(dir);
	if (sr_verbosity >= 0)
		printf("wrote %s/harness.yaml (kind %s, toolchain %s); try: sandrun run %s\n", dir,
		       k->name, tc, dir);
	free(tc);
	return EXIT_OK;
}

int cmd_new(const struct cli *cli, int argc, char **argv)
{
	struct sr_err err = SR_ERR_INIT;
	struct opt_iter it;
	const char *v, *dir = NULL, *kind = NULL, *tc = NULL;
	const struct kind *k;
	int id;

	opt_iter_init(&it, verb_find("new"), argc, argv);
	while ((id = opt_next(&it, &v, &err)) != OPT_END) {
		if (id == OPT_ARG && !dir)
			dir = v;
		else if (id == OPT_ARG)
			return cli_usage("new takes one NAME, got another:", v);
		else if (id == O_NEW_KIND)
			kind = v;
		else if (id == O_NEW_TOOLCHAIN)
			tc = v;
		else
			return verb_stop(it.verb, id, &err);
	}
	if (!dir || !kind)
		return cli_usage("usage: sandrun new NAME --kind exit|stdout|fuzz|oob|stub", NULL);
	if (!(k = kind_find(kind)))
		return cli_usage("new: --kind takes exit, stdout, fuzz, oob or stub, got", kind);
	return make_new(cli, dir, k, tc);
}
