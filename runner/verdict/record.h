/* One verdict record per run (harness x payload x repeat), DESIGN §7, and the
 * run-level metadata of a report. Writers live in report_*.c (API: report.h). */
#ifndef SR_RECORD_H
#define SR_RECORD_H

#include "runner/spec/spec.h"
#include "lib/util.h"

struct isolation {
	const char *network; /* "none" | "oob" | "stubs" | "open" (static string) */
	bool firewall;
	bool read_only;
	const char *user;      /* "65534:65534" (static string) */
	bool work_bounded;     /* /work is a tmpfs of limits.disk (root) */
	const char *dns;       /* oob/stubs: "gateway" or "relay" (static); else NULL */
	bool container_reused; /* a warm container served an earlier run (warm.h) */
	char *runtime;	       /* the engine runtime that ran it ("runc", "runsc"...), owned */
	char *seccomp;	       /* "default", "strict" or the profile's path, owned */
};

struct evidence {
	char *oob_json;	      /* a JSON array, owned; NULL means [] */
	char *stubs_json;     /* a JSON array, owned; NULL means [] */
	char *untokened_json; /* hits without the token from the run's own network; NULL: [] */
	char *stdout_tail;
	char *stderr_tail;
	struct strvec artifacts;    /* paths relative to /work, e.g. "out/crash-1a2b" */
	char *artifact_dir;	    /* host directory the artifacts were copied to, or NULL */
	char *stdout_file;	    /* full captured stdout, relative to artifact_dir, or NULL */
	char *stderr_file;	    /* full captured stderr, relative to artifact_dir, or NULL */
	unsigned artifacts_dropped; /* matches left out for limits.artifacts* */
};

struct record {
	char *harness;
	char *payload; /* "" for the implicit payload */
	char *spec_path;
	char *spec_hash; /* XXH64 hex of the spec file's bytes, or NULL */
	enum outcome outcome;
	enum outcome expected; /* OUTCOME_NONE: no expectation */
	bool match;
	const char *phase; /* "spec|catalogue|pull|create|start|run|collect" (static) */
	char *cause;	   /* human-readable why; the engine's own message for errors */
	int exit_code;	   /* -1: null */
	int signal;	   /* 0: null */
	uint64_t duration_ms;
	unsigned fired, runs; /* "fired/runs" for this payload across repeats */
	unsigned repeat_index;
	unsigned confirm;  /* K: confirmed runs its verdict needs (spec repeat.confirm), >= 1 */
	uint64_t start_ms; /* when the run started, since the invocation's first run */
	int worker;	   /* 0-based worker lane that ran it; -1 unknown */
	char *image;	   /* the reference run */
	bool pinned;
	bool cached;
	struct isolation isolation;
	struct evidence evidence;
	char *crash_json;	   /* crash report, a JSON object (crashparse.h), or NULL */
	char *signature;	   /* the crash's signature, or NULL */
	char *fuzz_json;	   /* libFuzzer's stats, a JSON object, or NULL */
	struct strvec repro;	   /* `sandrun repro REPORT SELECTOR` (cmd_run fills it) */
	struct strvec engine_argv; /* exact engine argv of the run */
	char *container;	   /* container name */
	char *token;		   /* never written into reports: the harness could echo it */
};

void record_init(struct record *r);

/* The one selector builder: "harness[payload]#k", the name every report
 * gives a run and `sandrun repro` takes; "[payload]" left out for the
 * implicit payload "" (or NULL), "#k" when k is NULL (a verdict's name). */
void record_selector(struct strbuf *out, const char *harness, const char *payload, const char *k);
void record_release(struct record *r);

/* True when r counts as a failure of `sandrun run` (mismatch, or error without expect). */
bool record_failed(const struct record *r);

struct report_diff;

struct run_meta {
	char *run_id;
	uint64_t start_wall_ms;
	uint64_t end_wall_ms;
	char *host;
	char *engine; /* "docker" | "podman" | path */
	char *engine_version;
	char *catalogue_path;
	char *catalogue_hash; /* xxh64 hex of the catalogue bytes */
	char *git_head;	      /* NULL outside a git repo */
	int git_dirty;	      /* -1 unknown */
	bool interrupted;
	char *unattributed_json;   /* JSON array of OOB hits with no known token, or NULL */
	unsigned shard_k, shard_n; /* 0/0: no sharding */
	char *fingerprint;	   /* suite_fingerprint (shard.h) hex, or NULL */
	char *tool_version;	   /* sandrun version for the reports, or NULL */
	/* `run --baseline`: the comparison with the baseline report (borrowed,
	 * report/diff.h), NULL without one. The JSON report marks verdicts and
	 * crash groups with it, SARIF sets each result's baselineState. */
	const struct report_diff *baseline;
	/* `run --source-map FROM=TO`, borrowed: SARIF maps a crash frame's
	 * file under FROM to TO/... (NULL: none). */
	const struct strvec *source_map;
};

void run_meta_release(struct run_meta *m);

#endif
