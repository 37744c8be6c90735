/* The walls of a run besides the fixed hardening of runargs.c: which OCI
 * runtime the engine uses (`runtime`) and which seccomp profile
 * (`seccomp`), from `run --runtime/--seccomp`, else the spec, else the
 * catalogue entry, else runc and sandrun's strict profile (README
 * "Stronger walls"). */
#ifndef SR_WALLS_H
#define SR_WALLS_H

#include "catalogue/catalogue.h"
#include "runner/spec/spec.h"

/* The engine's own runtime when nothing names one. */
#define WALLS_DEFAULT_RUNTIME "runc"
/* The profile when nothing names one: sandrun's strict profile. */
#define WALLS_DEFAULT_SECCOMP "strict"
/* The strict profile's file name (share/ in the source, installed under
 * PREFIX/share/sandrun/; the binary carries its own copy). */
#define WALLS_STRICT_NAME "seccomp-strict.json"

struct walls {
	const char *runtime; /* the runtime name; NULL: the engine's default (runc) */
	const char *seccomp; /* "default", "strict" or a profile path, for records */
	char *profile;	     /* the profile file a run hands to the engine ("unconfined": none,
			      * runsc's `default`); NULL: the engine's default */
	bool strict;	     /* profile is sandrun's strict profile (written per run) */
};

/* Resolve the walls of spec s whose catalogue entry is ent (may be NULL);
 * cat_path names the catalogue file a relative seccomp path of ent is
 * taken against. A strict profile's file is <run_dir>/seccomp-strict.json
 * (walls_write_profile puts it there). Release with walls_release. */
void walls_resolve(struct walls *w, const struct spec *s, const struct cat_entry *ent,
		   const char *cat_path, const char *run_dir);
void walls_release(struct walls *w);

/* Write the strict profile into w->profile (when strict); the engine client
 * reads it from there (CLI route). */
int walls_write_profile(const struct walls *w, struct sr_err *err);

/* The profile's JSON text, for the engine API route (which takes the text,
 * not a path): *out NULL when the engine's default applies. Caller frees. */
int walls_profile_text(char **out, const struct walls *w, struct sr_err *err);

/* runtime is gVisor's runsc (or a name starting so, e.g. runsc-kvm). */
bool walls_gvisor(const char *runtime);

/* The host pids limit of a run: under gVisor the sentry's and gofer's
 * threads and the ptrace platform's stub processes count in the
 * container's pids cgroup (64 at idle here), so they get this much on top
 * of limits.pids; the harness's own processes are bounded as before. */
#define WALLS_GVISOR_PIDS 128
long walls_pids(long pids, const char *runtime);

/* The embedded strict profile (share/seccomp-strict.json). */
const char *walls_strict_json(void);

/* An engine error that names the runtime: the cause a record gets, which
 * says how to register it; NULL when msg is not about the runtime. Caller
 * frees. */
char *walls_runtime_error(const char *runtime, const char *msg);

/* `run --runtime NAME` / `--seccomp WORD|PATH` override every spec (the
 * value is checked here: SR_EINVAL with a message). */
int walls_override(struct spec *specs, size_t n, const char *runtime, const char *seccomp,
		   struct sr_err *err);

#endif
