/* libFuzzer's own statistics from a run's output (crashparse.h). */
#include "runner/verdict/crashparse.h"

#include <inttypes.h>
#include <string.h>

#include "runner/verdict/span.h"

/* The number after key in line ("cov: 12" -> 12); false when absent. */
static bool field_u64(struct span line, const char *key, uint64_t *v)
{
	long off = span_find(line, key);
	struct span s;

	if (off < 0)
		return false;
	s = span_from(line, (size_t)off + strlen(key));
	while (s.n && is_space(s.p[0]))
		s = span_from(s, 1);
	return parse_u64(s, v) > 0;
}

/* "#N<tab>WORD ..." at the start of a line, WORD alphabetic (INITED, NEW,
 * REDUCE, pulse, DONE, RELOAD); stack frames ("    #0 0x...") do not match. */
static bool status_line(struct span line, uint64_t *execs)
{
	size_t k;

	if (!line.n || line.p[0] != '#')
		return false;
	k = parse_u64(span_from(line, 1), execs);
	if (!k || 1 + k >= line.n || line.p[1 + k] != '\t')
		return false;
	line = span_trim(span_from(line, 1 + k));
	return line.n &&
	       ((line.p[0] >= 'A' && line.p[0] <= 'Z') || (line.p[0] >= 'a' && line.p[0] <= 'z'));
}

static void stats_line(struct fuzz_stats *out, struct fuzz_stats *st, struct span line)
{
	uint64_t v;

	if (span_starts(line, "stat::")) {
		if (field_u64(line, "stat::number_of_executed_units:", &v)) {
			out->execs = v;
			out->has_execs = true;
		} else if (field_u64(line, "stat::average_exec_per_sec:", &v)) {
			out->exec_per_s = v;
			out->has_exec_per_s = true;
		} else if (field_u64(line, "stat::peak_rss_mb:", &v)) {
			out->peak_rss_mb = v;
			out->has_peak_rss_mb = true;
		}
		return;
	}
	if (field_u64(line, "INFO: seed corpus: files:", &v) && span_starts(line, "INFO: seed")) {
		out->seed_files = v;
		out->has_seed_files = true;
		return;
	}
	if (!status_line(line, &v))
		return;
	if (span_find(line, "INITED") >= 0 && !out->has_initial_corpus) {
		out->has_initial_corpus = true;
		if (!field_u64(line, "corp:", &out->initial_corpus))
			out->initial_corpus = 0;
	}
	st->execs = v;
	st->has_execs = true;
	st->has_cov = field_u64(line, "cov:", &st->cov);
	st->has_ft = field_u64(line, "ft:", &st->ft);
	st->has_corpus = field_u64(line, "corp:", &st->corpus);
	st->has_exec_per_s = field_u64(line, "exec/s:", &st->exec_per_s);
	if (field_u64(line, "rss:", &v) && (!st->has_peak_rss_mb || v > st->peak_rss_mb)) {
		st->peak_rss_mb = v;
		st->has_peak_rss_mb = true;
	}
}

int fuzzstats_parse(struct fuzz_stats *out, const char *buf, size_t len)
{
	struct fuzz_stats st;
	const char *p = buf, *end;
	struct span line;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	if (!buf || !len)
		return 0;
	end = buf + len;
	while (next_line(&p, end, &line))
		stats_line(out, &st, line);
	/* stat:: lines are the run's own totals; status lines fill the rest. */
	if (!out->has_execs && st.has_execs) {
		out->execs = st.execs;
		out->has_execs = true;
	}
	if (!out->has_exec_per_s && st.has_exec_per_s) {
		out->exec_per_s = st.exec_per_s;
		out->has_exec_per_s = true;
	}
	if (!out->has_peak_rss_mb && st.has_peak_rss_mb) {
		out->peak_rss_mb = st.peak_rss_mb;
		out->has_peak_rss_mb = true;
	}
	out->cov = st.cov;
	out->has_cov = st.has_cov;
	out->ft = st.ft;
	out->has_ft = st.has_ft;
	out->corpus = st.corpus;
	out->has_corpus = st.has_corpus;
	return out->has_execs || out->has_exec_per_s || out->has_peak_rss_mb || out->has_cov ||
	       out->has_ft || out->has_corpus || out->has_initial_corpus || out->has_seed_files;
}

static void json_u64(struct strbuf *out, const char *key, bool has, uint64_t v)
{
	if (has)
		strbuf_addf(out, "\"%s\":%" PRIu64, key, v);
	else
		strbuf_addf(out, "\"%s\":null", key);
}

void fuzzstats_json(struct strbuf *out, const struct fuzz_stats *fs)
{
	strbuf_addch(out, '{');
	json_u64(out, "execs", fs->has_execs, fs->execs);
	strbuf_addch(out, ',');
	json_u64(out, "exec_per_s", fs->has_exec_per_s, fs->exec_per_s);
	strbuf_addch(out, ',');
	json_u64(out, "cov", fs->has_cov, fs->cov);
	strbuf_addch(out, ',');
	json_u64(out, "ft", fs->has_ft, fs->ft);
	strbuf_addch(out, ',');
	json_u64(out, "corpus", fs->has_corpus, fs->corpus);
	strbuf_addch(out, ',');
	json_u64(out, "peak_rss_mb", fs->has_peak_rss_mb, fs->peak_rss_mb);
	strbuf_addch(out, ',');
	json_u64(out, "initial_corpus", fs->has_initial_corpus, fs->initial_corpus);
	strbuf_addch(out, ',');
	json_u64(out, "seed_files", fs->has_seed_files, fs->seed_files);
	strbuf_addch(out, '}');
}
