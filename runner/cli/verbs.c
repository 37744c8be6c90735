/* The one verb table (verbs.h): each verb's name, function, arguments,
 * help and options. */
#include "runner/cli/verbs.h"

#include <string.h>

#include "runner/cli/cli.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct sr_opt global_opts[] = {
    {O_GLOBAL_CATALOGUE, "--catalogue", NULL, "PATH",
     "the toolchain catalogue (default ./images.toml or $SANDRUN_CATALOGUE)"},
    {O_GLOBAL_ENGINE, "--engine", NULL, "docker|podman|PATH",
     "the container engine (default docker, else podman, or $SANDRUN_ENGINE)"},
    {O_GLOBAL_LOG_FORMAT, "--log-format", NULL, "text|json", "format of diagnostics on stderr"},
    {O_GLOBAL_VERBOSE, "--verbose", "-v", NULL, "more diagnostics"},
    {O_GLOBAL_QUIET, "--quiet", "-q", NULL, "no progress or per-run lines; errors still printed"},
    {O_GLOBAL_VERSION, "--version", NULL, NULL, "print the version"},
};

static const struct sr_opt run_opts[] = {
    {O_RUN_JOBS, "--jobs", "-j", "N", "runs in parallel, 1 to 256 (default: the CPUs)"},
    {O_RUN_SHARD, "--shard", NULL, "K/N|auto",
     "run only shard K of N (a harness's runs stay together); auto: from SANDRUN_SHARD, Slurm "
     "or Kubernetes"},
    {O_RUN_FILTER, "--filter", NULL, "GLOB", "only harnesses whose name matches (repeatable)"},
    {O_RUN_REPORT, "--report", NULL, "FMT:PATH",
     "write a report: json, junit, sarif or html; PATH - is stdout (repeatable)"},
    {O_RUN_PULL, "--pull", NULL, "missing|always|never", "when to pull images (default missing)"},
    {O_RUN_PULL_TIMEOUT, "--pull-timeout", NULL, "DURATION", "deadline of one pull (default 10m)"},
    {O_RUN_CACHE, "--cache", NULL, "DIR", "reuse records of byte-identical pinned runs"},
    {O_RUN_KEEP, "--keep", NULL, NULL, "keep containers and each run's final /work"},
    {O_RUN_TIMEOUT_SCALE, "--timeout-scale", NULL, "F", "multiply every spec timeout"},
    {O_RUN_REPEAT, "--repeat", NULL, "N", "runs per payload, 1 to 1000 (overrides the spec's)"},
    {O_RUN_REQUIRE_PINNED, "--require-pinned", NULL, NULL, "an unpinned toolchain is an error"},
    {O_RUN_REQUIRE_FIREWALL, "--require-firewall", NULL, NULL,
     "an oob or stubs run without the host firewall is an error"},
    {O_RUN_OOB_GRACE, "--oob-grace", NULL, "DURATION",
     "wait for late callbacks after a run exits (default 500ms)"},
    {O_RUN_RUNTIME, "--runtime", NULL, "NAME",
     "the engine's OCI runtime for every run, e.g. runsc (overrides specs and catalogue)"},
    {O_RUN_SECCOMP, "--seccomp", NULL, "default|strict|PATH",
     "the seccomp profile for every run (default: the spec's, else strict)"},
    {O_RUN_BASELINE, "--baseline", NULL, "REPORT",
     "mark verdicts and crash groups new, unchanged or fixed against an earlier JSON report"},
    {O_RUN_FAIL_ON, "--fail-on", NULL, "new|any",
     "new: exit 1 only on regressions against --baseline (PR mode); any: every failure "
     "(default)"},
    {O_RUN_SOURCE_MAP, "--source-map", NULL, "FROM=TO",
     "SARIF: a crash frame's file under FROM is TO/... (repeatable; e.g. /src/project=.)"},
};

static const struct sr_opt pull_opts[] = {
    {O_PULL_ALL, "--all", NULL, NULL, "every catalogue entry"},
    {O_PULL_ALWAYS, "--always", NULL, NULL, "pull even when the image is present"},
};

static const struct sr_opt pin_opts[] = {
    {O_PIN_ALL, "--all", NULL, NULL, "every catalogue entry"},
    {O_PIN_COMMIT, "--commit", NULL, NULL, "record the change as one commit on a branch"},
    {O_PIN_BRANCH, "--branch", NULL, "NAME", "the branch (default sandrun/pin-YYYY-MM-DD)"},
    {O_PIN_DRY_RUN, "--dry-run", NULL, NULL, "print what would change (old -> new), write nothing"},
    {O_PIN_VIA_ENGINE, "--via-engine", NULL, NULL,
     "resolve by pulling through the engine instead of asking the registry"},
    {O_PIN_INSECURE, "--insecure-registry", NULL, "HOST",
     "allow plain HTTP to HOST[:PORT] (loopback always is; repeatable)"},
};

static const struct sr_opt verify_opts[] = {
    {O_VERIFY_PULL, "--pull", NULL, NULL,
     "also check that no tag drifted from its pin, pulling through the engine"},
    {O_VERIFY_REMOTE, "--remote", NULL, NULL,
     "check pins and tag drift against the registry itself: no pull, no engine"},
    {O_VERIFY_VIA_ENGINE, "--via-engine", NULL, NULL, "with --remote: the same as --pull"},
    {O_VERIFY_INSECURE, "--insecure-registry", NULL, "HOST",
     "allow plain HTTP to HOST[:PORT] (loopback always is; repeatable)"},
};

static const struct sr_opt list_opts[] = {
    {O_LIST_FORMAT, "--format", NULL, "text|json", "output format (default text)"},
    {O_LIST_JSON, "--json", NULL, NULL, "same as --format json"},
};

static const struct sr_opt repro_opts[] = {
    {O_REPRO_KEEP, "--keep", NULL, NULL, "keep the container and the final /work"},
    {O_REPRO_ARTIFACTS, "--artifacts", NULL, "DIR",
     "the artifacts root the saved input is read from (default $SANDRUN_ARTIFACTS or "
     "./sandrun-artifacts)"},
    {O_REPRO_SUITE, "--suite", NULL, "DIR",
     "the suite root the record's spec must lie in (default the current directory)"},
    {O_REPRO_ALLOW_CHANGED_SPEC, "--allow-changed-spec", NULL, NULL,
     "run a spec whose bytes differ from the record's spec_hash (says what changed)"},
};

static const struct sr_opt diff_opts[] = {
    {O_DIFF_OUTPUT, "--output", "-o", "FMT:PATH",
     "also write the diff: json, markdown or html (repeatable; PATH - is stdout)"},
};

static const struct sr_opt merge_opts[] = {
    {O_MERGE_OUTPUT, "--output", "-o", "[FMT:]OUT",
     "a merged report: json (default), junit, sarif or html (repeatable; OUT ending in / is "
     "a directory for sandrun.EXT)"},
    {O_MERGE_SUITE, "--suite", NULL, "DIR",
     "the suite the shards ran: check their fingerprint, one error record per lost run"},
    {O_MERGE_BASELINE, "--baseline", NULL, "REPORT",
     "junit, sarif, html: compared with an earlier JSON report (SARIF baselineState)"},
    {O_MERGE_SOURCE_MAP, "--source-map", NULL, "FROM=TO",
     "SARIF: a crash frame's file under FROM is TO/... (repeatable)"},
};

static const struct sr_opt new_opts[] = {
    {O_NEW_KIND, "--kind", NULL, "exit|stdout|fuzz|oob|stub", "the oracle the new harness uses"},
    {O_NEW_TOOLCHAIN, "--toolchain", NULL, "ID",
     "its toolchain (default: the catalogue's first suitable entry)"},
};

const struct sr_verb_def sr_verbs[] = {
    {"run", "[OPTIONS] [SPEC|DIR ...]", "Run harnesses (default: ./harnesses).", run_opts,
     N(run_opts), cmd_run},
    {"check", "[SPEC|DIR ...]",
     "Validate specs and the catalogue, no engine; exit 0, or 2 listing every error.", NULL, 0,
     cmd_check},
    {"explain", "SPEC|DIR ...", "Print the exact engine command lines; nothing is run.", NULL, 0,
     cmd_explain},
    {"pull", "[--all | TOOLCHAIN ...]", "Make sure catalogue images are present.", pull_opts,
     N(pull_opts), cmd_pull},
    {"pin", "[--all | TOOLCHAIN ...] [--dry-run] [--via-engine] [--commit [--branch NAME]]",
     "Resolve tags to digests and rewrite the catalogue.", pin_opts, N(pin_opts), cmd_pin},
    {"verify", "[--remote | --pull]", "Check that every entry is pinned and every pin resolves.",
     verify_opts, N(verify_opts), cmd_verify},
    {"list", "[--format text|json]", "Print the catalogue, one entry a line.", list_opts,
     N(list_opts), cmd_list},
    {"gc", "", "Remove objects left by sandrun processes that are gone.", NULL, 0, cmd_gc},
    {"report merge", "-o [FMT:]OUT ... [--suite DIR] [--baseline REPORT] IN ...",
     "Merge shard JSON reports into one report or more.", merge_opts, N(merge_opts), cmd_report},
    {"report diff", "[-o FMT:PATH ...] OLD NEW",
     "What changed between two JSON reports; exit 1 on a regression.", diff_opts, N(diff_opts),
     cmd_report},
    {"repro", "[--keep] [--artifacts DIR] [--suite DIR] [--allow-changed-spec] REPORT SELECTOR",
     "Run one record of a JSON report again (SELECTOR: harness[payload]#k or its seq).", repro_opts,
     N(repro_opts), cmd_repro},
    {"schema", "spec|catalogue", "Print the JSON Schema of the harness spec or of images.toml.",
     NULL, 0, cmd_schema},
    {"new", "NAME --kind exit|stdout|fuzz|oob|stub [--toolchain ID]",
     "Write a harness directory NAME/ that passes check; never overwrites.", new_opts, N(new_opts),
     cmd_new},
    {"help", "[VERB]", "Print the usage of sandrun or of a verb.", NULL, 0, cmd_help},
    {"version", "", "Print the version.", NULL, 0, cmd_version},
};

const size_t sr_nverbs = N(sr_verbs);

const struct sr_verb_def sr_global_opts = {"",
					   "[GLOBAL OPTIONS] VERB [OPTIONS] [ARGS]",
					   "Global options, before or after the verb.",
					   global_opts,
					   N(global_opts),
					   NULL};

const struct sr_verb_def *verb_find(const char *name)
{
	for (size_t i = 0; i < sr_nverbs; i++) {
		const char *v = sr_verbs[i].name;
		size_t n = strcspn(v, " ");
		if (!strcmp(v, name) || (strlen(name) == n && !strncmp(v, name, n)))
			return &sr_verbs[i];
	}
	return NULL;
}

void verbs_print_usage(FILE *f)
{
	fputs("usage: sandrun [GLOBAL OPTIONS] VERB [OPTIONS] [ARGS]\n\nverbs:\n", f);
	for (size_t i = 0; i < sr_nverbs; i++) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "  %s %s", sr_verbs[i].name, sr_verbs[i].args);
		if (sb.len > 34)
			fprintf(f, "%s\n%-34s %s\n", sb.buf, "", sr_verbs[i].summary);
		else
			fprintf(f, "%-34s %s\n", sb.buf, sr_verbs[i].summary);
		strbuf_release(&sb);
	}
	fputs("\nglobal options:\n", f);
	for (size_t k = 0; k < sr_global_opts.nopts; k++)
		opt_print_line(f, &sr_global_opts.opts[k], 34);
	fputs("\n'sandrun VERB --help' or 'sandrun help VERB' lists a verb's options.\n"
	      "exit codes: 0 ok, 1 a run failed or did not match, 2 usage or invalid input,\n"
	      "            3 engine unavailable, 129/130/143 interrupted\n",
	      f);
}

int verb_stop(const struct sr_verb_def *verb, int id, const struct sr_err *err)
{
	if (id == OPT_HELP) {
		opt_print_help(stdout, verb);
		return EXIT_OK;
	}
	sr_log("%s", err->msg);
	return EXIT_USAGE;
}
