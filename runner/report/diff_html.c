/* A report diff as one self-contained HTML page (diff.h): the HTML report's
 * stylesheet, Content-Security-Policy and escaping (report_html.h), one row
 * per verdict with the diff's columns, filters by change, regression and
 * text read from and written to the URL fragment. */
#include "runner/report/diff.h"

#include <string.h>

#include "runner/report/report_html.h"
#include "runner/report/report_int.h"

static const char diff_css[] =
    "tr.regression{background:#fff1f0}.chg{font-size:12px;padding:0 .45em;border-radius:.8em;"
    "border:1px solid var(--line)}.chg-new_confirmed{color:var(--bad)}.chg-fixed{color:var(--ok)"
    "}.sig-new{color:var(--bad)}.sig-gone{color:var(--ok)}\n";

/* Filters: data-change, data-regression, data-name on tr.verdict; the table
 * carries data-visible. Writes only attributes and textContent. */
static const char diff_js[] =
    "(function(){'use strict';var tbl=document.getElementById('verdicts');if(!tbl)return;\n"
    "var fc=document.getElementById('f-change'),fr=document.getElementById('f-regression'),"
    "fq=document.getElementById('f-q'),shown=document.getElementById('shown');\n"
    "function rows(){return Array.prototype.slice.call(tbl.tBodies[0].rows);}\n"
    "function readHash(){var s={change:'',regression:'',q:''};var h=location.hash.replace(/^#/,"
    "'');if(h)h.split('&').forEach(function(kv){var i=kv.indexOf('='),k=i<0?kv:kv.slice(0,i),"
    "v=i<0?'':kv.slice(i+1);try{v=decodeURIComponent(v.replace(/\\+/g,' '));}catch(e){}"
    "if(Object.prototype.hasOwnProperty.call(s,k))s[k]=v;});return s;}\n"
    "function apply(s){var ch=s.change?s.change.split(','):[],rg=s.regression==='1',"
    "q=s.q.toLowerCase(),n=0;rows().forEach(function(r){var d=r.dataset,ok=true;"
    "if(ch.length&&ch.indexOf(d.change)<0)ok=false;if(rg&&d.regression!=='1')ok=false;"
    "if(q&&d.name.toLowerCase().indexOf(q)<0)ok=false;r.hidden=!ok;if(ok)n++;});"
    "tbl.setAttribute('data-visible',String(n));shown.textContent=n+' of '+rows().length+"
    "' verdicts shown';}\n"
    "function load(){var s=readHash();fc.value=s.change;if(fc.value!==s.change)fc.value='';"
    "fr.checked=s.regression==='1';fq.value=s.q;apply(s);}\n"
    "function change(){var p=[];if(fc.value)p.push('change='+encodeURIComponent(fc.value));"
    "if(fr.checked)p.push('regression=1');if(fq.value)p.push('q='+encodeURIComponent(fq.value))"
    ";try{history.replaceState(null,'',p.length?'#'+p.join('&'):location.pathname+"
    "location.search);}catch(e){}apply({change:fc.value,regression:fr.checked?'1':'',"
    "q:fq.value});}\n"
    "fc.addEventListener('change',change);fr.addEventListener('change',change);"
    "fq.addEventListener('input',change);window.addEventListener('hashchange',load);load();\n"
    "})();\n";

static void esc(struct strbuf *sb, const char *s)
{
	report_html_escape(sb, s ? s : "");
}

static void side(struct strbuf *sb, enum outcome o, unsigned k, unsigned n, bool flaky)
{
	if (o == OUTCOME_NONE) {
		strbuf_addstr(sb, "<td data-v=\"\"><span class=\"muted\">absent</span></td>");
		return;
	}
	strbuf_addf(sb, "<td data-v=\"%s\"><span class=\"o o-%s\">%s</span> %u/%u%s</td>",
		    rep_oshow(o), rep_oshow(o), rep_oshow(o), k, n,
		    flaky ? "<span class=\"flaky\">flaky</span>" : "");
}

static void fuzz_cell(struct strbuf *sb, const struct diff_row *r)
{
	const struct diff_fuzz_side *o = &r->fuzz_old, *n = &r->fuzz_new;

	strbuf_addstr(sb, "<td>");
	if (o->has || n->has)
		strbuf_addf(sb,
			    "execs %llu&rarr;%llu<br>cov %llu&rarr;%llu<br>corpus %llu&rarr;%llu",
			    (unsigned long long)o->execs, (unsigned long long)n->execs,
			    (unsigned long long)o->cov, (unsigned long long)n->cov,
			    (unsigned long long)o->corpus, (unsigned long long)n->corpus);
	strbuf_addstr(sb, "</td>");
}

static void row(struct strbuf *sb, const struct diff_row *r)
{
	struct strbuf name = STRBUF_INIT;
	const char *c = diff_change_name(r->change);

	strbuf_addstr(&name, r->harness);
	if (*r->payload)
		strbuf_addf(&name, "[%s]", r->payload);
	strbuf_addf(sb,
		    "<tr class=\"verdict%s\" data-change=\"%s\" data-regression=\"%d\" "
		    "data-name=\"",
		    r->regression ? " regression" : "", c, r->regression);
	esc(sb, name.buf);
	strbuf_addf(sb, "\"><td>%s</td><td><span class=\"chg chg-%s\">%s</span></td><td><code>",
		    r->regression ? "<span class=\"st-bad\">regression</span>" : "", c, c);
	esc(sb, name.buf);
	strbuf_addstr(sb, "</code></td>");
	side(sb, r->old_outcome, r->old_fired, r->old_runs, r->old_flaky);
	side(sb, r->new_outcome, r->new_fired, r->new_runs, r->new_flaky);
	strbuf_addf(sb, "<td>%s</td><td>",
		    r->expected != OUTCOME_NONE ? rep_oshow(r->expected) : "");
	esc(sb, r->cause);
	strbuf_addstr(sb, "</td><td><code>");
	esc(sb, r->signature);
	strbuf_addstr(sb, "</code></td>");
	fuzz_cell(sb, r);
	strbuf_addstr(sb, "</tr>\n");
	strbuf_release(&name);
}

static void head(struct strbuf *sb, const struct report_diff *d, const char *nonce)
{
	strbuf_addf(sb,
		    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		    "style-src 'unsafe-inline'; script-src 'nonce-%s'; base-uri 'none'; "
		    "form-action 'none'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
		    "<title>sandrun diff</title>\n<style>\n%s%s</style>\n</head>\n<body>\n"
		    "<h1>sandrun diff</h1>\n<dl class=\"meta\"><dt>old</dt><dd><code>",
		    nonce, report_html_css(), diff_css);
	esc(sb, d->old_label);
	strbuf_addstr(sb, "</code> ");
	esc(sb, d->old_id);
	strbuf_addstr(sb, "</dd><dt>new</dt><dd><code>");
	esc(sb, d->new_label);
	strbuf_addstr(sb, "</code> ");
	esc(sb, d->new_id);
	strbuf_addf(sb, "</dd><dt>regressions</dt><dd id=\"regressions\" class=\"%s\">%zu</dd>",
		    d->regressions ? "st-bad" : "st-ok", d->regressions);
	for (int c = 0; c < DIFF_NCHANGES; c++)
		strbuf_addf(sb, "<dt>%s</dt><dd id=\"n-%s\">%zu</dd>", diff_change_name(c),
			    diff_change_name(c), d->counts[c]);
	strbuf_addf(sb, "<dt>crash signatures</dt><dd>%zu new, %zu gone</dd></dl>\n", d->new_sigs,
		    d->gone_sigs);
}

static void filters(struct strbuf *sb)
{
	strbuf_addstr(sb, "<div id=\"filters\"><label>change <select id=\"f-change\">"
			  "<option value=\"\">any</option>");
	for (int c = 0; c < DIFF_NCHANGES; c++)
		strbuf_addf(sb, "<option value=\"%s\">%s</option>", diff_change_name(c),
			    diff_change_name(c));
	strbuf_addstr(sb, "</select></label><label><input type=\"checkbox\" id=\"f-regression\">"
			  " regressions only</label><label>harness <input type=\"search\" "
			  "id=\"f-q\"></label><span id=\"shown\" class=\"muted\"></span></div>\n");
}

int report_diff_html(struct strbuf *sb, const struct report_diff *d, struct sr_err *err)
{
	char nonce[33];

	if (sr_token(nonce, err) < 0)
		return SR_EFAIL;
	nonce[strspn(nonce, "0123456789abcdefABCDEF")] = '\0';
	head(sb, d, nonce);
	filters(sb);
	strbuf_addstr(sb, "<table id=\"verdicts\"><thead><tr><th></th><th>change</th>"
			  "<th>verdict</th><th>before</th><th>now</th><th>expected</th>"
			  "<th>cause</th><th>signature</th><th>fuzzing</th></tr></thead><tbody>\n");
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < d->nrows; i++)
			if (d->rows[i].regression == !pass)
				row(sb, &d->rows[i]);
	strbuf_addstr(sb, "</tbody></table>\n<h2>Crash signatures</h2>\n<table id=\"sigs\">"
			  "<thead><tr><th>state</th><th>signature</th><th>runs</th><th>first</th>"
			  "</tr></thead><tbody>\n");
	for (size_t i = 0; i < d->nsigs; i++) {
		const struct diff_sig *s = &d->sigs[i];
		const char *st = s->state > 0 ? "new" : s->state < 0 ? "gone" : "unchanged";
		strbuf_addf(sb, "<tr data-state=\"%s\"><td class=\"sig-%s\">%s</td><td><code>", st,
			    st, st);
		esc(sb, s->signature);
		strbuf_addf(sb, "</code></td><td>%zu</td><td><code>", s->runs);
		esc(sb, s->first);
		strbuf_addstr(sb, "</code></td></tr>\n");
	}
	strbuf_addf(sb, "</tbody></table>\n<script nonce=\"%s\">\n%s</script>\n</body>\n</html>\n",
		    nonce, diff_js);
	return 0;
}
