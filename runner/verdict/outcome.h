/* Deciding a run's outcome from what was observed, DESIGN §7 precedence:
 * error > confirmed > crash > oom > timeout > not_confirmed. Pure. */
#ifndef SR_VERDICT_H
#define SR_VERDICT_H

#include "runner/spec/spec.h"

struct run_obs {
	int exit_code;	/* -1: unknown */
	int signal;	/* 0: none; the signal that ended the harness */
	bool oom;	/* the engine says the memory limit killed it */
	bool timed_out; /* the runner's deadline passed */
	/* The captured output. Oracles match bytes: a NUL in the output does not
	 * hide what follows, so the capture length must come along. A length of
	 * 0 with a non-NULL tail means "NUL-terminated, use strlen". */
	const char *stdout_tail;
	size_t stdout_len;
	const char *stderr_tail;
	size_t stderr_len;
	bool oob_fired;
	const char *oob_cause;
	bool stub_matched;
	const char *stub_cause;
	size_t files_matched;
	const char *first_file;
};

/* Decide the outcome of a run that reached the run phase. *cause is owned
 * by the caller; *fired says whether the spec's oracle fired (confirmed, or
 * crash when the crash oracle is set). */
void verdict_decide(const struct spec *s, const struct run_obs *o, enum outcome *out, char **cause,
		    bool *fired);

/* The first sanitizer or libFuzzer report line in text, or NULL. */
const char *verdict_sanitizer_line(const char *text, size_t *len);

/* "SIGSEGV" etc., or "signal N" for unknown numbers (static or buf). */
const char *verdict_signame(int sig, char *buf, size_t bufsz);

#endif
