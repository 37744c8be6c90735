#include "runner/verdict/outcome.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *const sanitizer_marks[] = {
    "ERROR: AddressSanitizer",	 "ERROR: LeakSanitizer",     "ERROR: MemorySanitizer",
    "WARNING: MemorySanitizer",	 "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer",
    "ERROR: HWAddressSanitizer", "ERROR: libFuzzer",	     "SUMMARY: UndefinedBehaviorSanitizer",
    ": runtime error: ",
};

/* The first sanitizer line in n bytes of text (which may hold NULs). */
static const char *sanitizer_line_n(const char *text, size_t n, size_t *len)
{
	const char *best = NULL, *end;

	if (!text)
		return NULL;
	for (size_t i = 0; i < SR_ARRAY_SIZE(sanitizer_marks); i++) {
		const char *p = memmem(text, n, sanitizer_marks[i], strlen(sanitizer_marks[i]));
		if (p && (!best || p < best))
			best = p;
	}
	if (!best)
		return NULL;
	/* A NUL ends a line too: the cause is text. */
	while (best > text && best[-1] != '\n' && best[-1] != '\0')
		best--;
	for (end = best; end < text + n && *end != '\n' && *end != '\0'; end++)
		;
	*len = (size_t)(end - best);
	if (*len > 300)
		*len = 300;
	return best;
}

const char *verdict_sanitizer_line(const char *text, size_t *len)
{
	return text ? sanitizer_line_n(text, strlen(text), len) : NULL;
}

static size_t stream_len(const char *tail, size_t len)
{
	return tail && !len ? strlen(tail) : len;
}

/* Does the captured stream (tail, len as in struct run_obs) hold sub? */
static bool output_has(const char *tail, size_t len, const char *sub)
{
	if (!tail || !sub)
		return false;
	return memmem(tail, stream_len(tail, len), sub, strlen(sub)) != NULL;
}

#define CAUSE_LINE_MAX 200

/* "no oracle fired (exit code N)", and when the harness failed (N != 0)
 * the last non-empty stderr line, so the cause says why: at most
 * CAUSE_LINE_MAX bytes cut at a UTF-8 boundary, control bytes as '?'. */
static char *not_confirmed_cause(const struct run_obs *o)
{
	size_t n = stream_len(o->stderr_tail, o->stderr_len), start, end, cut;
	const unsigned char *t = (const unsigned char *)o->stderr_tail;
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "no oracle fired (exit code %d", o->exit_code);
	end = n;
	while (t && end > 0 && (t[end - 1] <= ' ' || t[end - 1] == 0x7f))
		end--;
	if (o->exit_code != 0 && t && end > 0) {
		start = end;
		while (start > 0 && t[start - 1] != '\n' && t[start - 1] != '\0')
			start--;
		while (start < end && (t[start] == ' ' || t[start] == '\t'))
			start++;
		cut = end - start > CAUSE_LINE_MAX ? start + CAUSE_LINE_MAX : end;
		while (cut < end && cut > start && (t[cut] & 0xc0) == 0x80)
			cut--; /* not inside a UTF-8 sequence */
		strbuf_addstr(&sb, ": ");
		for (size_t i = start; i < cut; i++)
			strbuf_addch(&sb, t[i] < ' ' || t[i] == 0x7f ? '?' : (char)t[i]);
		if (cut < end)
			strbuf_addstr(&sb, "\xe2\x80\xa6"); /* U+2026 */
	}
	strbuf_addch(&sb, ')');
	return strbuf_detach(&sb, NULL);
}

const char *verdict_signame(int sig, char *buf, size_t bufsz)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
	    {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
	    {SIGILL, "SIGILL"},	  {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"}, {SIGTRAP, "SIGTRAP"},
	    {SIGSYS, "SIGSYS"},	  {SIGINT, "SIGINT"},	{SIGPIPE, "SIGPIPE"}, {SIGHUP, "SIGHUP"},
	    {SIGQUIT, "SIGQUIT"}, {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
	};
	for (size_t i = 0; i < SR_ARRAY_SIZE(names); i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(buf, bufsz, "signal %d", sig);
	return buf;
}

void verdict_decide(const struct spec *s, const struct run_obs *o, enum outcome *out, char **cause,
		    bool *fired)
{
	const struct oracle * or = &s->oracle;
	const char *san;
	size_t san_len = 0;
	char sigbuf[32];
	bool crashed;

	*fired = false;
	*cause = NULL;
	if (or->oob && o->oob_fired) {
		*out = OUTCOME_CONFIRMED;
		*cause = xstrdup(o->oob_cause ? o->oob_cause : "oob callback");
		goto confirmed;
	}
	if (or->stub_name && o->stub_matched) {
		*out = OUTCOME_CONFIRMED;
		*cause = xstrdup(o->stub_cause ? o->stub_cause : "stub traffic matched");
		goto confirmed;
	}
	if (output_has(o->stdout_tail, o->stdout_len, or->stdout_sub)) {
		*out = OUTCOME_CONFIRMED;
		*cause = xasprintf("stdout contains '%s'", or->stdout_sub);
		goto confirmed;
	}
	if (output_has(o->stderr_tail, o->stderr_len, or->stderr_sub)) {
		*out = OUTCOME_CONFIRMED;
		*cause = xasprintf("stderr contains '%s'", or->stderr_sub);
		goto confirmed;
	}
	if (or->n_exit_codes && o->exit_code >= 0 && !o->timed_out && !o->oom) {
		for (size_t i = 0; i < or->n_exit_codes; i++) {
			if (or->exit_codes[i] == o->exit_code) {
				*out = OUTCOME_CONFIRMED;
				*cause = xasprintf("exit code %d", o->exit_code);
				goto confirmed;
			}
		}
	}
	san = sanitizer_line_n(o->stderr_tail, stream_len(o->stderr_tail, o->stderr_len), &san_len);
	if (!san)
		san = sanitizer_line_n(o->stdout_tail, stream_len(o->stdout_tail, o->stdout_len),
				       &san_len);
	crashed = san || (o->signal && !o->timed_out && !o->oom);
	/* Files a crashing harness leaves behind (a fuzzer's crash-* inputs) are
	 * that crash's artifacts, not a separate confirmation. */
	if (or->files && o->files_matched && !crashed) {
		*out = OUTCOME_CONFIRMED;
		*cause = xasprintf("file '%s' matches '%s'", o->first_file ? o->first_file : "?",
				   or->files);
		goto confirmed;
	}
	/* A signal the runner or the memory limit sent is not a crash. */
	if (crashed) {
		*out = OUTCOME_CRASH;
		if (san)
			*cause = xasprintf("%.*s", (int)san_len, san);
		else
			*cause = xasprintf("killed by %s",
					   verdict_signame(o->signal, sigbuf, sizeof(sigbuf)));
		*fired = or->crash;
		return;
	}
	if (o->oom) {
		*out = OUTCOME_OOM;
		*cause = xasprintf("killed by the memory limit (%llu bytes)",
				   (unsigned long long)s->limits.memory);
		return;
	}
	if (o->timed_out) {
		*out = OUTCOME_TIMEOUT;
		*cause =
		    xasprintf("still running after %llu ms", (unsigned long long)s->timeout_ms);
		return;
	}
	*out = OUTCOME_NOT_CONFIRMED;
	*cause = not_confirmed_cause(o);
	return;
confirmed:
	*fired = true;
}
