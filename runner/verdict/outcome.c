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

#define CAUSE_LINE_MAX	    200
#define CAUSE_LINES_SCANNED 8

/* Words that make a stderr line read like the reason of a failure. */
static const char *const telling_marks[] = {
    "fatal:",	 "error:",     "error ",    "invalid",	   "denied",	"refused",
    "not found", "no such",    "cannot",    "can't",	   "unable",	"failed",
    "failure",	 "forbidden",  "unknown",   "unreachable", "timed out", "permission",
    "panic",	 "exception:", "traceback", "could not",   "illegal",	"unrecognized",
};

/* Does t[s..e) read like an error (case-insensitive)? */
static bool line_is_telling(const unsigned char *t, size_t s, size_t e)
{
	char buf[512];
	size_t n = e - s < sizeof(buf) - 1 ? e - s : sizeof(buf) - 1;

	for (size_t i = 0; i < n; i++)
		buf[i] = t[s + i] >= 'A' && t[s + i] <= 'Z' ? (char)(t[s + i] + 32)
							    : (t[s + i] ? (char)t[s + i] : ' ');
	buf[n] = '\0';
	for (size_t i = 0; i < SR_ARRAY_SIZE(telling_marks); i++)
		if (strstr(buf, telling_marks[i]))
			return true;
	return false;
}

struct line_span {
	size_t s, e;
};

/* The last (up to CAUSE_LINES_SCANNED) non-blank lines of t[0..n), last
 * first, leading blanks and trailing blanks/controls trimmed. */
static size_t last_lines(const unsigned char *t, size_t n, struct line_span *out)
{
	size_t k = 0, end = n;

	while (t && end > 0 && k < CAUSE_LINES_SCANNED) {
		size_t start;
		while (end > 0 && (t[end - 1] <= ' ' || t[end - 1] == 0x7f))
			end--;
		if (!end)
			break;
		start = end;
		while (start > 0 && t[start - 1] != '\n' && t[start - 1] != '\0')
			start--;
		out[k].s = start;
		out[k].e = end;
		while (out[k].s < end && (t[out[k].s] == ' ' || t[out[k].s] == '\t'))
			out[k].s++;
		k++;
		end = start;
	}
	return k;
}

/* Append t[s..e) to sb, cut at a UTF-8 boundary so that sb grows by at most
 * max bytes (plus an ellipsis when cut), control bytes as '?'. */
static void add_cut(struct strbuf *sb, const unsigned char *t, size_t s, size_t e, size_t max)
{
	size_t cut = e - s > max ? s + max : e;

	while (cut < e && cut > s && (t[cut] & 0xc0) == 0x80)
		cut--; /* not inside a UTF-8 sequence */
	for (size_t i = s; i < cut; i++)
		strbuf_addch(sb, t[i] < ' ' || t[i] == 0x7f ? '?' : (char)t[i]);
	if (cut < e)
		strbuf_addstr(sb, "\xe2\x80\xa6"); /* U+2026 */
}

/* "no oracle fired (exit code N)", and when the harness failed (N != 0)
 * the stderr line that says why: among the last CAUSE_LINES_SCANNED
 * non-blank lines, the ones that read like an error (telling_marks) win
 * over the last line; the last two of those are joined with " | " (in
 * their order) when there are two. At most CAUSE_LINE_MAX bytes of stderr
 * text, cut at a UTF-8 boundary, control bytes as '?'. */
static char *not_confirmed_cause(const struct run_obs *o)
{
	size_t n = stream_len(o->stderr_tail, o->stderr_len), k, pick[2], npick = 0;
	const unsigned char *t = (const unsigned char *)o->stderr_tail;
	struct line_span lines[CAUSE_LINES_SCANNED];
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "no oracle fired (exit code %d", o->exit_code);
	k = o->exit_code != 0 && t ? last_lines(t, n, lines) : 0;
	for (size_t i = 0; i < k && npick < 2; i++)
		if (line_is_telling(t, lines[i].s, lines[i].e))
			pick[npick++] = i;
	if (k && !npick)
		pick[npick++] = 0;
	if (k) {
		strbuf_addstr(&sb, ": ");
		if (npick == 2) { /* pick[1] is the earlier line */
			size_t l1 = lines[pick[1]].e - lines[pick[1]].s;
			size_t half = l1 < CAUSE_LINE_MAX / 2 ? l1 : CAUSE_LINE_MAX / 2;
			add_cut(&sb, t, lines[pick[1]].s, lines[pick[1]].e, half);
			strbuf_addstr(&sb, " | ");
			add_cut(&sb, t, lines[pick[0]].s, lines[pick[0]].e,
				CAUSE_LINE_MAX - half - 3);
		} else {
			add_cut(&sb, t, lines[pick[0]].s, lines[pick[0]].e, CAUSE_LINE_MAX);
		}
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

/* The cause of the first oracle that fired on the run's own evidence (OOB,
 * stub traffic, output, exit code), or NULL. Files are judged later: a
 * crash's leftovers are not a confirmation. */
static char *oracle_cause(const struct oracle * or, const struct run_obs *o)
{
	if (or->oob && o->oob_fired)
		return xstrdup(o->oob_cause ? o->oob_cause : "oob callback");
	if (or->stub_name && o->stub_matched)
		return xstrdup(o->stub_cause ? o->stub_cause : "stub traffic matched");
	if (output_has(o->stdout_tail, o->stdout_len, or->stdout_sub))
		return xasprintf("stdout contains '%s'", or->stdout_sub);
	if (output_has(o->stderr_tail, o->stderr_len, or->stderr_sub))
		return xasprintf("stderr contains '%s'", or->stderr_sub);
	if (or->n_exit_codes && o->exit_code >= 0 && !o->timed_out && !o->oom)
		for (size_t i = 0; i < or->n_exit_codes; i++)
			if (or->exit_codes[i] == o->exit_code)
				return xasprintf("exit code %d", o->exit_code);
	return NULL;
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
	if ((*cause = oracle_cause(or, o))) {
		*out = OUTCOME_CONFIRMED;
		goto confirmed;
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
