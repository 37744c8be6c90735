/* The live progress line (progress.h). */
#include "runner/cli/progress.h"

#include <string.h>
#include <unistd.h>

void progress_init(struct progress *p, FILE *f, size_t total, unsigned jobs, bool no_color,
		   uint64_t now_ms)
{
	memset(p, 0, sizeof(*p));
	if (f && sr_verbosity >= 0 && isatty(fileno(f)))
		p->f = f;
	p->escapes = !no_color;
	p->total = total;
	p->jobs = jobs ? jobs : 1;
	p->start_ms = now_ms;
}

static void add_clock(struct strbuf *out, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 3600)
		strbuf_addf(out, "%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
			    (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
	else
		strbuf_addf(out, "%llu:%02llu", (unsigned long long)(s / 60),
			    (unsigned long long)(s % 60));
}

void progress_render(struct strbuf *out, const struct progress *p, uint64_t now_ms)
{
	size_t left = p->total - p->done;
	size_t running = left < p->jobs ? left : p->jobs;
	uint64_t el = now_ms > p->start_ms ? now_ms - p->start_ms : 0;

	strbuf_addf(out, "[%zu/%zu] %zu running  %zu confirmed  %zu crash  %zu mismatch  ", p->done,
		    p->total, running, p->confirmed, p->crash, p->mismatch);
	add_clock(out, el);
	strbuf_addstr(out, " elapsed  ETA ");
	if (p->done && left)
		add_clock(out, el / p->done * left);
	else if (!left)
		strbuf_addstr(out, "0:00");
	else
		strbuf_addstr(out, "?");
}

void progress_clear(struct progress *p)
{
	if (!p->f || !p->shown)
		return;
	if (p->escapes)
		fputs("\r\033[K", p->f);
	else
		fprintf(p->f, "\r%*s\r", (int)p->shown, "");
	p->shown = 0;
	fflush(p->f);
}

static void draw(struct progress *p, uint64_t now_ms)
{
	struct strbuf sb = STRBUF_INIT;
	size_t old = p->shown;

	progress_render(&sb, p, now_ms);
	if (p->escapes)
		fprintf(p->f, "\r\033[K%s", sb.buf);
	else /* spaces cover what a longer previous line left */
		fprintf(p->f, "\r%s%*s", sb.buf, old > sb.len ? (int)(old - sb.len) : 0, "");
	fflush(p->f);
	p->shown = sb.len;
	p->last_draw_ms = now_ms;
	strbuf_release(&sb);
}

void progress_done(struct progress *p, const struct record *r, uint64_t now_ms)
{
	p->done++;
	p->confirmed += r->outcome == OUTCOME_CONFIRMED;
	p->crash += r->outcome == OUTCOME_CRASH;
	p->mismatch += record_failed(r);
	if (!p->f)
		return;
	if (now_ms - p->last_draw_ms >= PROGRESS_MIN_MS || p->done == p->total)
		draw(p, now_ms);
}

void progress_end(struct progress *p)
{
	progress_clear(p);
}
