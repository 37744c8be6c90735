/* Harness specs (DESIGN §4): one YAML file, one harness. The libyaml adapter
 * lives in spec_yaml.c; no libyaml type appears here. */
#ifndef SR_SPEC_H
#define SR_SPEC_H

#include <sys/types.h>

#include "lib/util.h"

enum net_policy { NET_NONE = 0, NET_OOB, NET_STUBS, NET_OPEN };

/* Outcomes in precedence order (lower value wins when combining). */
enum outcome {
	OUTCOME_NONE = -1, /* "no expectation" where an outcome is optional */
	OUTCOME_ERROR = 0,
	OUTCOME_CONFIRMED,
	OUTCOME_CRASH,
	OUTCOME_OOM,
	OUTCOME_TIMEOUT,
	OUTCOME_NOT_CONFIRMED,
};
const char *outcome_name(enum outcome o);
/* Returns OUTCOME_NONE for an unknown word. */
enum outcome outcome_from_name(const char *s);
const char *net_policy_name(enum net_policy p);

enum stub_kind { STUB_HTTP = 0, STUB_SQL, STUB_REDIS, STUB_TCP, STUB_FS };
/* "http", "sql", "redis", "tcp", "fs": the word specs and evidence use.
 * Every module that names a stub kind calls this (one table). */
const char *stub_kind_name(enum stub_kind k);
/* The URL scheme of SANDRUN_STUB_<NAME>_URL: "http", "postgres", "redis",
 * "tcp"; NULL for fs stubs, which are mounts with no URL. */
const char *stub_kind_scheme(enum stub_kind k);

struct stub {
	char *name; /* [a-z0-9_-]+, unique per spec */
	enum stub_kind kind;
	int status; /* http: response status (default 200) */
	char *body; /* http: response body (default ""); tcp: canned reply or NULL */
	char *path; /* fs: absolute, resolved path inside the spec's tree */
};

struct payload {
	char *name;	     /* default: "p<index>" */
	char *value;	     /* NUL-terminated payload bytes */
	enum outcome expect; /* OUTCOME_NONE: inherit the spec's expect */
};

struct limits {
	uint64_t memory;	 /* bytes; default 512m */
	double cpus;		 /* default 1 */
	long pids;		 /* default 256 */
	uint64_t tmpfs;		 /* bytes; default 64m */
	uint64_t disk;		 /* bytes; default 256m */
	uint64_t output;	 /* bytes per stream; default 1m */
	long artifacts;		 /* files copied out per run; default 1000 */
	uint64_t artifact_bytes; /* bytes copied out per run; default 64m */
};

struct oracle {
	bool oob;
	char *stub_name; /* stub oracle: name, and contains and/or regex */
	char *stub_contains;
	char *stub_regex;
	char *stdout_sub;
	char *stderr_sub;
	int *exit_codes;
	size_t n_exit_codes;
	bool crash;
	char *files; /* glob relative to /work */
};

struct spec {
	char *path;    /* the spec file as given */
	char hash[17]; /* XXH64 hex of the spec file's bytes (records' spec_hash) */
	char *dir;     /* absolute, resolved directory of the spec file */
	char *name;    /* default: file stem */
	char *toolchain;
	int toolchain_line, toolchain_col; /* position of the value, for errors */
	char *workdir;			   /* absolute, resolved; NULL when absent */
	struct strvec command;
	struct strvec env_keys; /* env: parallel arrays, keys [A-Za-z_][A-Za-z0-9_]* */
	struct strvec env_vals;
	uint64_t timeout_ms; /* default 60s */
	struct limits limits;
	enum net_policy network;
	struct stub *stubs;
	size_t nstubs;
	struct payload *payloads; /* none given: one implicit payload named "" with value "" */
	size_t npayloads;
	bool has_payloads; /* false when the implicit payload was added */
	struct oracle oracle;
	enum outcome expect;   /* OUTCOME_NONE when absent */
	unsigned repeat;       /* default 1 */
	unsigned confirm;      /* K of repeat: {runs, confirm}: confirmed runs needed; default 1 */
	struct strvec collect; /* globs under /work copied out as artifacts */
	struct strvec reproduce; /* argv for `sandrun repro` on a saved input, "{artifact}" */
	bool warm;		 /* isolation: harness or pool: warm containers (warm.h) */
	bool pool;		 /* isolation: pool: from the invocation's pool (warm.h) */
	char *runtime; /* runtime: the engine's OCI runtime (runsc...), NULL: the catalogue's */
	char *seccomp; /* seccomp: "default" | "strict" | resolved file path; NULL: catalogue's */
	/* corpus: DIR, absolute, inside the spec's directory tree; NULL when
	 * absent. It need not exist yet (the first night creates it). */
	char *corpus;
};

/* Parse and validate the spec at path. Errors are "file:line:col: what" with
 * code SR_EINVAL; a path that is not a regular file of at most 1 MiB (a
 * device, FIFO, directory...) is SR_EINVAL "cannot open|read 'path': what",
 * refused before anything is read. Toolchain existence is checked by the
 * caller (catalogue). */
int spec_load(struct spec *out, const char *path, struct sr_err *err);
/* Same, from memory; dir is the directory relative paths resolve against. */
int spec_parse(struct spec *out, const char *path, const char *dir, const char *buf, size_t len,
	       struct sr_err *err);
void spec_release(struct spec *s);

/* Collect spec files: each arg is a file (taken as given) or a directory
 * searched recursively for *.yaml / *.yml (sorted, stable, one path per
 * file). A directory search skips hidden directories, symlinked directories,
 * patterns of a .sandrunignore at its root (spec_ignore.h), and the workdirs
 * and fs-stub paths of the specs it finds (specs are loaded on the way down
 * for that; one that does not load owns nothing, and a workdir that is the
 * spec's own directory hides nothing). A symlinked spec file is a spec of
 * its own when it leads to a regular file inside the searched directory;
 * one leading out of it is an invalid spec. Paths go into out. */
int spec_discover(struct strvec *out, const char *const *args, size_t nargs, struct sr_err *err);

/* One spec file found: read once, parsed, its bytes shown to a reader. */
struct spec_found {
	char *path;	   /* as found: the file argument, or the directory argument/relative */
	char *real_dir;	   /* resolved directory of the file (a symlinked spec: the link's);
			      NULL when it cannot be resolved */
	struct spec *spec; /* the loaded spec, or NULL and msg */
	char *msg;	   /* why it is invalid: "file:line:col: what" or "cannot open..." */
	long seq;	   /* the reader's call that got its bytes (0, 1, ...), or -1 */
	dev_t dev;	   /* identity of the path's last component, symlink or not */
	ino_t ino;
	bool have_id;
};

/* Called once for every spec file that could be opened, in the order the
 * calls are numbered (seq), with its bytes, or buf NULL and len 0 when it
 * is not a small regular file. Files are handed over in the order of the
 * final list for one directory argument; a file a sibling's tree turns out
 * to own, a second path to one file, or several arguments can break that
 * order (seq tells: the list is in call order when seq counts 0, 1, ...). */
struct spec_reader {
	void (*fn)(void *ctx, const struct spec_found *f, const char *buf, size_t len);
	void *ctx;
};

/* spec_discover, keeping every file's loaded spec (or why it is invalid):
 * *out (n entries, sorted by path, caller frees with spec_found_free). Each
 * file is opened and read once; below a directory argument (resolved once)
 * files are reached by openat through directory fds. rd may be NULL. */
int spec_discover_load(struct spec_found **out, size_t *n, const char *const *args, size_t nargs,
		       const struct spec_reader *rd, struct sr_err *err);
/* Frees the specs still held (a caller that takes one sets spec NULL). */
void spec_found_free(struct spec_found *v, size_t n);

#endif
