#include "runner/verdict/crashparse.h"

#include <inttypes.h>
#include <string.h>

#include "runner/verdict/span.h"

/* ---- report headers ---- */

enum hdr_kind {
	HDR_NONE,
	HDR_WARN,  /* a report that does not end the process */
	HDR_FATAL, /* a report after which the process dies */
};

struct header {
	enum hdr_kind kind;
	const char *tool;
	struct span desc; /* after "Tool: " (or after "runtime error: ") */
	struct span loc;  /* UBSan: "file:line:col" before ": runtime error: " */
	bool runtime_error;
};

enum tool_id { ASAN, LSAN, MSAN, TSAN, HWASAN, UBSAN, LIBFUZZER };
static const char *const tools[] = {
    [ASAN] = "AddressSanitizer",     [LSAN] = "LeakSanitizer",
    [MSAN] = "MemorySanitizer",	     [TSAN] = "ThreadSanitizer",
    [HWASAN] = "HWAddressSanitizer", [UBSAN] = "UndefinedBehaviorSanitizer",
    [LIBFUZZER] = "libFuzzer",
};

/* The tool named at the start of s followed by ": ", or NULL. */
static const char *tool_at(struct span s, size_t *namelen)
{
	for (size_t i = 0; i < SR_ARRAY_SIZE(tools); i++) {
		size_t k = strlen(tools[i]);
		if (s.n >= k + 2 && !memcmp(s.p, tools[i], k) && s.p[k] == ':' &&
		    s.p[k + 1] == ' ') {
			*namelen = k + 2;
			return tools[i];
		}
	}
	return NULL;
}

static enum hdr_kind tagged_header(struct span line, const char *tag, struct header *h)
{
	struct span rest = line;
	long off;

	while ((off = span_find(rest, tag)) >= 0) {
		size_t k = 0;
		const char *tool;

		rest = span_from(rest, (size_t)off + strlen(tag));
		tool = tool_at(rest, &k);
		if (!tool)
			continue;
		h->tool = tool;
		h->desc = span_trim(span_from(rest, k));
		/* MSan reports with WARNING and dies; TSan's WARNING goes on. */
		h->kind = tag[0] == 'E' || tool == tools[MSAN] ? HDR_FATAL : HDR_WARN;
		return h->kind;
	}
	return HDR_NONE;
}

/* Classify one line as the first line of a report. */
static enum hdr_kind line_header(struct span line, struct header *h)
{
	static const char rt[] = ": runtime error: ";
	long off;

	memset(h, 0, sizeof(*h));
	if (tagged_header(line, "ERROR: ", h) || tagged_header(line, "WARNING: ", h))
		return h->kind;
	off = span_find(line, rt);
	if (off >= 0) {
		h->kind = HDR_WARN;
		h->tool = tools[UBSAN];
		h->desc = span_trim(span_from(line, (size_t)off + sizeof(rt) - 1));
		h->loc = span_trim(span_upto(line, (size_t)off));
		h->runtime_error = true;
		return h->kind;
	}
	return HDR_NONE;
}

/* ---- bug types ---- */

/* UBSan prints a sentence, not the check's name (clang < 15 without
 * report_error_type): map the sentence back to the -fsanitize= name. */
static const struct {
	const char *prefix;
	const char *check;
} ubsan_checks[] = {
    {"signed integer overflow", "signed-integer-overflow"},
    {"negation of ", "signed-integer-overflow"},
    {"division of ", "signed-integer-overflow"},
    {"unsigned integer overflow", "unsigned-integer-overflow"},
    {"division by zero", "integer-divide-by-zero"},
    {"shift exponent ", "shift-exponent"},
    {"left shift of ", "shift-base"},
    {"index ", "bounds"},
    {"load of null pointer", "null"},
    {"store to null pointer", "null"},
    {"member access within null pointer", "null"},
    {"member call on null pointer", "null"},
    {"reference binding to null pointer", "null"},
    {"load of misaligned address", "alignment"},
    {"store to misaligned address", "alignment"},
    {"member access within misaligned address", "alignment"},
    {"member call on misaligned address", "alignment"},
    {"reference binding to misaligned address", "alignment"},
    {"applying non-zero offset", "pointer-overflow"},
    {"applying zero offset to null pointer", "pointer-overflow"},
    {"addition of unsigned offset", "pointer-overflow"},
    {"subtraction of unsigned offset", "pointer-overflow"},
    {"pointer index expression", "pointer-overflow"},
    {"execution reached an unreachable program point", "unreachable"},
    {"execution reached the end of a value-returning function", "return"},
    {"null pointer passed as argument", "nonnull-attribute"},
    {"null pointer returned from function", "returns-nonnull-attribute"},
    {"variable length array bound", "vla-bound"},
    {"implicit conversion from type", "implicit-conversion"},
    {"call to function ", "function"},
    {"member call on address", "vptr"},
    {"member access within address", "vptr"},
    {"downcast of address", "vptr"},
    {"control flow integrity check", "cfi"},
    {"passing zero to ", "builtin"},
};

static char *ubsan_type(struct span desc)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < SR_ARRAY_SIZE(ubsan_checks); i++)
		if (span_starts(desc, ubsan_checks[i].prefix))
			return xstrdup(ubsan_checks[i].check);
	if (span_find(desc, "is outside the range of representable values") >= 0)
		return xstrdup("float-cast-overflow");
	if (span_find(desc, "which is not a valid value for type 'bool'") >= 0)
		return xstrdup("bool");
	if (span_find(desc, "which is not a valid value for type") >= 0)
		return xstrdup("enum");
	/* Unknown sentence: its words up to the first ':' with numbers as N,
	 * so runs that differ only in values still group together. */
	for (size_t i = 0; i < desc.n && desc.p[i] != ':' && sb.len < 80; i++) {
		if (is_digit(desc.p[i]) ||
		    (desc.p[i] == '-' && i + 1 < desc.n && is_digit(desc.p[i + 1]))) {
			strbuf_addch(&sb, 'N');
			if (desc.p[i] == '-')
				i++;
			while (i + 1 < desc.n && (is_hex(desc.p[i + 1]) || desc.p[i + 1] == 'x' ||
						  desc.p[i + 1] == '.'))
				i++;
		} else {
			strbuf_addch(&sb, (unsigned char)desc.p[i] < 0x20 ? '?' : desc.p[i]);
		}
	}
	if (!sb.len)
		strbuf_addstr(&sb, "undefined-behavior");
	return strbuf_detach(&sb, NULL);
}

/* "heap-buffer-overflow on address 0x..." -> "heap-buffer-overflow",
 * "SEGV on unknown address 0x..." -> "SEGV on unknown address",
 * "attempting double-free on 0x..." -> "attempting double-free",
 * "timeout after 1 seconds" -> "timeout", "out-of-memory (malloc(9))" ->
 * "out-of-memory": the description up to its first address, number in
 * parentheses or "after", without a dangling "on (address)". */
static char *report_type(const char *tool, struct span desc)
{
	size_t n = 0;
	struct span t;

	if (tool == tools[LSAN] && span_starts(desc, "detected memory leaks"))
		return xstrdup("memory leak");
	while (n < desc.n) {
		if (desc.p[n] == '(' || desc.p[n] == '[' ||
		    (desc.p[n] == '0' && n + 1 < desc.n && desc.p[n + 1] == 'x'))
			break;
		if (desc.p[n] == ' ' && span_starts(span_from(desc, n), " after "))
			break;
		n++;
	}
	t = span_trim(span_upto(desc, n));
	for (;;) {
		struct span before = t;
		while (t.n &&
		       (t.p[t.n - 1] == ':' || t.p[t.n - 1] == ',' || is_space(t.p[t.n - 1])))
			t.n--;
		if (span_ends(t, " on address"))
			t.n -= strlen(" on address");
		else if (span_ends(t, " on"))
			t.n -= strlen(" on");
		if (t.n == before.n)
			break;
	}
	if (!t.n)
		return xstrdup("unknown-crash");
	return dup_printable(t);
}

/* ---- frames ---- */

/* One "#N 0xADDR in FUNC LOCATION" line, as spans into the input. */
struct frame_span {
	struct span function, file, module, offset;
	int line;
};

/* Digits ending tok at end, preceded by ':' and something before that:
 * the offset of the ':', or 0 when there are none. */
static size_t colon_number(struct span tok, size_t end)
{
	size_t i = end;

	while (i > 0 && is_digit(tok.p[i - 1]))
		i--;
	return i < end && i >= 2 && tok.p[i - 1] == ':' ? i - 1 : 0;
}

/* Split "path:LINE[:COL]" off the end of s when its last word is one. */
static bool split_location(struct span *s, struct span *file, int *line)
{
	const char *sp = s->n ? memrchr(s->p, ' ', s->n) : NULL;
	struct span tok = sp ? span_of(sp + 1, s->p + s->n) : *s;
	size_t c2 = colon_number(tok, tok.n), c1, c;
	uint64_t v;

	if (!c2)
		return false;
	c1 = colon_number(tok, c2);
	c = c1 ? c1 : c2;
	parse_u64(span_from(tok, c + 1), &v);
	*line = v > INT32_MAX ? INT32_MAX : (int)v;
	*file = span_upto(tok, c);
	*s = span_trim(span_upto(*s, sp ? (size_t)(sp - s->p) : 0));
	return true;
}

/* Split a trailing "(path/module+0xOFF)" off s into f->module and
 * f->offset, dropping a "(BuildId: ...)" after it (it names the build, not
 * the place) and an "(<unknown module>)". */
static void split_module(struct span *s, struct frame_span *f)
{
	long b = span_find(*s, " (BuildId: ");
	size_t i;
	int depth = 0;

	if (b >= 0 && span_ends(*s, ")"))
		*s = span_trim(span_upto(*s, (size_t)b));
	if (!span_ends(*s, ")"))
		return;
	/* The last balanced parenthesis group. */
	for (i = s->n - 1;; i--) {
		if (s->p[i] == ')')
			depth++;
		else if (s->p[i] == '(' && --depth == 0)
			break;
		if (i == 0)
			return;
	}
	{
		struct span g = span_of(s->p + i + 1, s->p + s->n - 1);
		long plus = span_find(g, "+0x");
		if (span_eq(g, "<unknown module>")) {
			*s = span_trim(span_upto(*s, i));
		} else if (plus > 0 && !memchr(g.p, ' ', g.n)) {
			f->module = span_basename(span_upto(g, (size_t)plus));
			f->offset = span_from(g, (size_t)plus + 1);
			*s = span_trim(span_upto(*s, i));
		}
	}
}

/* Drop addr2line's "no location" debris off the end of s: a last word of
 * "??:?", "??:0", "?:?", ":?" or ":0" ("main ??:?", "RunOne(...) :?"). */
static void drop_unknown_location(struct span *s)
{
	static const char *const debris[] = {"??:?", "??:0", "?:?", ":?", ":0", "??"};
	const char *sp = s->n ? memrchr(s->p, ' ', s->n) : NULL;
	struct span tok = sp ? span_of(sp + 1, s->p + s->n) : *s;

	if (!sp)
		return; /* a lone "??" is the function, handled by the caller */
	for (size_t i = 0; i < SR_ARRAY_SIZE(debris); i++)
		if (span_eq(tok, debris[i])) {
			*s = span_trim(span_upto(*s, (size_t)(sp - s->p)));
			return;
		}
}

/* Parse a stack frame line; false when line is not one. */
static bool parse_frame(struct span line, struct frame_span *f, unsigned long *num)
{
	struct span s = span_trim(line);
	uint64_t v;
	size_t k;

	memset(f, 0, sizeof(*f));
	if (!s.n || s.p[0] != '#')
		return false;
	k = parse_u64(span_from(s, 1), &v);
	if (!k || 1 + k >= s.n || s.p[1 + k] != ' ')
		return false;
	*num = v > 100000 ? 100000 : (unsigned long)v;
	s = span_trim(span_from(s, 1 + k));
	/* ThreadSanitizer prints no address. */
	if (span_starts(s, "0x")) {
		k = 2;
		while (k < s.n && is_hex(s.p[k]))
			k++;
		s = span_trim(span_from(s, k));
	}
	if (span_starts(s, "in "))
		s = span_trim(span_from(s, 3));
	split_module(&s, f);
	/* ThreadSanitizer prints both a location and a module. */
	if (!split_location(&s, &f->file, &f->line))
		drop_unknown_location(&s);
	else if (span_eq(f->file, "??") || span_eq(f->file, "?")) /* "??:0" */
		f->file = span_upto(f->file, 0), f->line = 0;
	if (span_eq(s, "??"))
		s = span_upto(s, 0);
	/* "func+0x1f" (no symbolizer, dladdr names only): the offset moves. */
	{
		long plus = span_find(s, "+0x");
		if (plus > 0 && memchr(s.p + plus, ' ', s.n - (size_t)plus) == NULL)
			s = span_upto(s, (size_t)plus);
	}
	f->function = s;
	return true;
}

static const char *const runtime_prefixes[] = {
    "__asan",	      "__lsan",		"__msan",
    "__tsan",	      "__hwasan",	"__ubsan",
    "__sanitizer",    "__interceptor_", "___interceptor_",
    "__interception", "fuzzer::",	"__libc_",
    "__GI_",	      "__pthread_kill", "__run_exit_handlers",
    "__assert_fail",  "__cxa_",		"__gnu_cxx::__verbose_terminate_handler",
    "std::terminate", "__sigaction",
};

/* Names the sanitizers intercept or that only deliver a signal or exit. */
static const char *const runtime_names[] = {
    "_start",
    "abort",
    "raise",
    "gsignal",
    "exit",
    "_exit",
    "pthread_kill",
    "malloc",
    "free",
    "calloc",
    "realloc",
    "reallocarray",
    "memalign",
    "posix_memalign",
    "aligned_alloc",
    "valloc",
    "pvalloc",
    "strdup",
    "strndup",
    "bcmp",
    "bcopy",
    "operator new",
    "operator new[]",
    "operator delete",
    "operator delete[]",
};

static const char *const runtime_modules[] = {
    "libc.so",	"libc-",    "ld-linux",	 "ld-2.",   "ld-musl",	   "libpthread",
    "libdl",	"libgcc_s", "libstdc++", "libc++",  "libclang_rt", "libasan",
    "libubsan", "liblsan",  "libtsan",	 "libmsan", "libhwasan",
};

/* Source directories of glibc as its debug info names them (relative). */
static const char *const libc_dirs[] = {
    "csu/",   "stdlib/", "nptl/",  "signal/", "assert/", "string/", "sysdeps/",
    "libio/", "malloc/", "posix/", "elf/",    "debug/",	 "misc/",
};

static bool frame_is_runtime(const struct frame_span *f)
{
	struct span fn = f->function;
	long paren = span_find(fn, "(");

	for (size_t i = 0; i < SR_ARRAY_SIZE(runtime_prefixes); i++)
		if (span_starts(fn, runtime_prefixes[i]))
			return true;
	if (paren > 0)
		fn = span_upto(fn, (size_t)paren);
	for (size_t i = 0; i < SR_ARRAY_SIZE(runtime_names); i++)
		if (span_eq(fn, runtime_names[i]))
			return true;
	/* Interceptors of mem* and str* have no source line in distro builds;
	 * a user's strip_x() compiled with -g does. */
	if (!f->file.n && (span_starts(fn, "mem") || span_starts(fn, "str") ||
			   span_starts(fn, "wcs") || span_starts(fn, "printf_common")))
		return true;
	for (size_t i = 0; i < SR_ARRAY_SIZE(runtime_modules); i++)
		if (span_starts(f->module, runtime_modules[i]))
			return true;
	if (span_find(f->file, "compiler-rt/") >= 0 ||
	    span_find(f->file, "/sanitizer_common/") >= 0 ||
	    span_find(f->file, "/libfuzzer/") >= 0 || span_find(f->file, "/fuzzer/Fuzzer") >= 0)
		return true;
	if (f->file.n && f->file.p[0] != '/')
		for (size_t i = 0; i < SR_ARRAY_SIZE(libc_dirs); i++)
			if (span_starts(f->file, libc_dirs[i]))
				return true;
	return false;
}

/* The function name without its C++ parameter list and qualifiers:
 * "ns::C<int>::at(unsigned long) const" -> "ns::C<int>::at"; "(anonymous
 * namespace)" and "operator()" keep their parentheses. */
static struct span short_function(struct span fn)
{
	int angle = 0;

	for (size_t i = 0; i < fn.n; i++) {
		char c = fn.p[i];
		if (c == '<' && !(i >= 8 && !memcmp(fn.p + i - 8, "operator", 8)))
			angle++;
		else if (c == '>' && angle > 0)
			angle--;
		else if (c == '(' && angle == 0 && i > 0) {
			struct span rest = span_from(fn, i);
			if (span_starts(rest, "(anonymous namespace)")) {
				i += strlen("(anonymous namespace)") - 1;
				continue;
			}
			if (i >= 8 && !memcmp(fn.p + i - 8, "operator", 8) &&
			    span_starts(rest, "()")) {
				i++;
				continue;
			}
			return span_upto(fn, i);
		}
	}
	return fn;
}

/* Append f's signature part (see crashparse.h); false when it has none. */
static bool add_sig_frame(struct strbuf *sb, const struct frame_span *f)
{
	size_t start = sb->len;

	strbuf_addch(sb, '|');
	if (f->function.n) {
		struct span fn = short_function(f->function);
		strbuf_add(sb, fn.p, fn.n);
	} else if (f->module.n) {
		struct span b = f->module;
		strbuf_add(sb, b.p, b.n);
		strbuf_addch(sb, '+');
		strbuf_add(sb, f->offset.p, f->offset.n);
	} else if (f->file.n) {
		struct span b = span_basename(f->file);
		strbuf_add(sb, b.p, b.n);
		strbuf_addf(sb, ":%d", f->line);
	} else {
		sb->len = start;
		sb->buf[start] = '\0';
		return false;
	}
	for (size_t i = start; i < sb->len; i++)
		if ((unsigned char)sb->buf[i] < 0x20)
			sb->buf[i] = '?';
	return true;
}

static void own_frame(struct crash_frame *out, const struct frame_span *f, bool runtime)
{
	out->function = span_dup(f->function);
	out->file = f->file.n ? span_dup(f->file) : NULL;
	out->line = f->line;
	out->module = f->module.n ? xasprintf("%.*s+%.*s", (int)f->module.n, f->module.p,
					      (int)f->offset.n, f->offset.p)
				  : NULL;
	out->runtime = runtime;
}

/* The first frames of the stack being read, as spans. */
#define STACK_SCAN 64
struct stack {
	struct frame_span f[STACK_SCAN];
	bool rt[STACK_SCAN];
	size_t n;
};

static bool is_libc_frame(const struct frame_span *f)
{
	if (span_starts(f->module, "libc.so") || span_starts(f->module, "libc-") ||
	    span_starts(f->module, "libpthread") || span_starts(f->module, "ld-musl"))
		return true;
	if (f->file.n && f->file.p[0] != '/')
		for (size_t i = 0; i < SR_ARRAY_SIZE(libc_dirs); i++)
			if (span_starts(f->file, libc_dirs[i]))
				return true;
	return false;
}

/* libFuzzer's own reports (deadly signal, timeout, target exited) print the
 * stack from inside its handler: __sanitizer_print_stack_trace,
 * PrintStackTrace, the callback, then the libc frames that delivered the
 * signal or ran exit(). Unsymbolised, those handler frames have no names to
 * recognise, so every frame down to that first run of libc frames counts as
 * runtime. The run must start within the first 4 frames: under a user frame
 * there are always LLVMFuzzerTestOneInput and 3 or more driver frames before
 * __libc_start_main. */
static void stack_mark_runtime(struct stack *st, bool libfuzzer)
{
	size_t i = 1;

	for (size_t j = 0; j < st->n; j++)
		st->rt[j] = frame_is_runtime(&st->f[j]);
	if (!libfuzzer)
		return;
	while (i < st->n && i <= 4 && !is_libc_frame(&st->f[i]))
		i++;
	if (i >= st->n || i > 4)
		return;
	while (i < st->n && is_libc_frame(&st->f[i]))
		i++;
	for (size_t j = 0; j < i; j++)
		st->rt[j] = true;
}

/* Own the frames from the first non-runtime one (from #0 when all are
 * runtime) and append the signature's frames to sig. */
static void stack_finish(struct crash_info *out, struct strbuf *sig, struct stack *st,
			 bool libfuzzer)
{
	size_t first = 0, n, nsig = 0;

	stack_mark_runtime(st, libfuzzer);
	while (first < st->n && st->rt[first])
		first++;
	if (first == st->n)
		first = 0;
	n = st->n - first < CRASH_MAX_FRAMES ? st->n - first : CRASH_MAX_FRAMES;
	for (size_t i = 0; i < n; i++)
		own_frame(&out->frames[i], &st->f[first + i], st->rt[first + i]);
	out->nframes = n;
	for (size_t i = 0; i < st->n && nsig < 3; i++) {
		if (!st->rt[i] && add_sig_frame(sig, &st->f[i]))
			nsig++;
		/* Below the fuzz target's entry point is the fuzzer's driver. */
		if (span_eq(st->f[i].function, "LLVMFuzzerTestOneInput"))
			break;
	}
}

/* ---- one report ---- */

/* "READ of size 4 at 0x..." or "==1==The signal is caused by a WRITE memory
 * access." -> the access, else NULL. */
static char *line_access(struct span line)
{
	static const char cause[] = "The signal is caused by a ";
	struct span s = span_trim(line);
	long off;

	if (span_starts(s, "READ of size ") || span_starts(s, "WRITE of size ")) {
		off = span_find(s, " at ");
		return span_dup(off > 0 ? span_upto(s, (size_t)off) : s);
	}
	off = span_find(s, cause);
	if (off >= 0) {
		s = span_from(s, (size_t)off + sizeof(cause) - 1);
		if (span_starts(s, "READ "))
			return xstrdup("READ");
		if (span_starts(s, "WRITE "))
			return xstrdup("WRITE");
	}
	return NULL;
}

static struct span line_summary(struct span line)
{
	long off = span_find(line, "SUMMARY: ");
	if (off < 0)
		return (struct span){NULL, 0};
	return span_trim(span_from(line, (size_t)off + strlen("SUMMARY: ")));
}

/* Read the report whose first line h describes and which continues at
 * p..end: access, the first stack, the SUMMARY line, up to the next report. */
static void parse_report(struct crash_info *out, const struct header *h, const char *p,
			 const char *end)
{
	struct stack st_, *st = &st_;
	struct strbuf sig = STRBUF_INIT;
	struct span line;
	struct header next;
	unsigned long num = 0, prev = 0;
	enum { BEFORE, IN, AFTER } state = BEFORE;

	memset(st, 0, sizeof(*st));
	out->tool = h->tool;
	out->type = h->runtime_error ? ubsan_type(h->desc) : report_type(h->tool, h->desc);
	strbuf_addstr(&sig, out->type);
	while (next_line(&p, end, &line)) {
		struct frame_span f;
		struct span sum;

		if (line_header(line, &next) != HDR_NONE)
			break;
		sum = line_summary(line);
		if (sum.p) {
			out->summary = span_dup(sum);
			break;
		}
		if (state == AFTER)
			continue;
		if (parse_frame(line, &f, &num) && (state == BEFORE || num > prev)) {
			if (st->n < STACK_SCAN)
				st->f[st->n++] = f;
			state = IN;
			prev = num;
			continue;
		}
		if (state == IN)
			state = AFTER;
		else if (!out->access)
			out->access = line_access(line);
	}
	/* UBSan without a stack still says where. */
	if (!st->n && h->loc.n) {
		struct frame_span f;
		struct span loc = h->loc;
		memset(&f, 0, sizeof(f));
		if (!split_location(&loc, &f.file, &f.line))
			f.file = loc;
		if (f.file.n)
			st->f[st->n++] = f;
	}
	stack_finish(out, &sig, st, h->tool == tools[LIBFUZZER]);
	out->signature = strbuf_detach(&sig, NULL);
}

/* The first word of a sanitizer's SUMMARY, named as its ERROR line names
 * it ("SEGV" -> "SEGV on unknown address", "double-free" -> "attempting
 * double-free"), so a cut report groups with whole ones. */
static char *summary_type(const char *tool, struct span rest)
{
	static const char *const signals[] = {"SEGV", "BUS", "FPE", "ILL", "ABRT", "TRAP"};
	const char *sp = rest.n ? memchr(rest.p, ' ', rest.n) : NULL;
	struct span w = sp ? span_of(rest.p, sp) : rest;

	for (size_t i = 0; i < SR_ARRAY_SIZE(signals); i++)
		if (span_eq(w, signals[i]))
			return xasprintf("%s on unknown address", signals[i]);
	if (span_eq(w, "double-free"))
		return xstrdup("attempting double-free");
	return report_type(tool, w);
}

/* A report whose first line was cut off: what its SUMMARY line says,
 * "Tool: type location in function". */
static void parse_summary_only(struct crash_info *out, struct span sum)
{
	struct strbuf sig = STRBUF_INIT;
	struct frame_span f;
	struct span rest;
	size_t k = 0;
	long in;

	out->tool = tool_at(sum, &k);
	rest = span_from(sum, k);
	out->summary = span_dup(sum);
	if (span_find(rest, " leaked in ") >= 0) {
		out->tool = tools[LSAN];
		out->type = xstrdup("memory leak");
	} else if (out->tool == tools[LIBFUZZER]) {
		out->type = report_type(out->tool, rest);
	} else {
		out->type = summary_type(out->tool, rest);
	}
	strbuf_addstr(&sig, out->type);
	memset(&f, 0, sizeof(f));
	in = span_ends(rest, " in") ? (long)rest.n - 3 : span_find(rest, " in ");
	if (out->tool != tools[LIBFUZZER] && out->tool != tools[LSAN] && in > 0) {
		struct span loc = span_upto(rest, (size_t)in);
		f.function = span_trim(span_from(rest, (size_t)in + 4));
		split_location(&loc, &f.file, &f.line);
		if (f.function.n || f.file.n) {
			bool rt = frame_is_runtime(&f);
			own_frame(&out->frames[0], &f, rt);
			out->nframes = 1;
			if (!rt)
				add_sig_frame(&sig, &f);
		}
	}
	out->signature = strbuf_detach(&sig, NULL);
}

static int parse_stream(struct crash_info *out, const char *buf, size_t len)
{
	const char *p = buf, *end;
	const char *fatal_at = NULL, *warn_at = NULL;
	struct header fatal, warn, h;
	struct span line, sum = {NULL, 0};
	size_t namelen;

	if (!buf || !len)
		return 0;
	end = buf + len;
	while (next_line(&p, end, &line)) {
		enum hdr_kind kind = line_header(line, &h);
		if (kind == HDR_FATAL) {
			fatal = h;
			fatal_at = p;
			break;
		}
		if (kind == HDR_WARN && !warn_at) {
			warn = h;
			warn_at = p;
		}
		if (!sum.p && !warn_at)
			sum = line_summary(line);
	}
	if (fatal_at)
		parse_report(out, &fatal, fatal_at, end);
	else if (warn_at)
		parse_report(out, &warn, warn_at, end);
	else if (sum.p && tool_at(sum, &namelen))
		parse_summary_only(out, sum);
	else
		return 0;
	return 1;
}

int crash_parse(struct crash_info *out, const char *stdout_buf, size_t stdout_len,
		const char *stderr_buf, size_t stderr_len)
{
	memset(out, 0, sizeof(*out));
	if (parse_stream(out, stderr_buf, stderr_len))
		return 1;
	return parse_stream(out, stdout_buf, stdout_len);
}

void crash_info_release(struct crash_info *ci)
{
	if (!ci)
		return;
	free(ci->type);
	free(ci->access);
	free(ci->summary);
	free(ci->signature);
	for (size_t i = 0; i < ci->nframes; i++) {
		free(ci->frames[i].function);
		free(ci->frames[i].file);
		free(ci->frames[i].module);
	}
	memset(ci, 0, sizeof(*ci));
}

void crash_info_json(struct strbuf *out, const struct crash_info *ci)
{
	strbuf_addstr(out, "{\"tool\":");
	json_add_str(out, ci->tool);
	strbuf_addstr(out, ",\"type\":");
	json_add_str(out, ci->type);
	strbuf_addstr(out, ",\"access\":");
	json_add_str(out, ci->access);
	strbuf_addstr(out, ",\"frames\":[");
	for (size_t i = 0; i < ci->nframes; i++) {
		const struct crash_frame *f = &ci->frames[i];
		strbuf_addstr(out, i ? ",{\"function\":" : "{\"function\":");
		json_add_str(out, f->function);
		strbuf_addstr(out, ",\"file\":");
		json_add_str(out, f->file);
		if (f->line)
			strbuf_addf(out, ",\"line\":%d", f->line);
		else
			strbuf_addstr(out, ",\"line\":null");
		strbuf_addstr(out, ",\"module\":");
		json_add_str(out, f->module);
		strbuf_addch(out, '}');
	}
	strbuf_addstr(out, "],\"summary\":");
	json_add_str(out, ci->summary);
	strbuf_addstr(out, ",\"signature\":");
	json_add_str(out, ci->signature);
	strbuf_addch(out, '}');
}
