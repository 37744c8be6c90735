/* A finished run's crash report, fuzz stats, collected files and output. */
#include "runner/verdict/findings.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "runner/verdict/crashparse.h"

#define WORK_PREFIX "/work/"

/* dir/rel when it is a regular file that resolves inside dir (a link in
 * the workdir cannot point the lookup at the rest of the host), else NULL. */
static char *file_under(const char *dir, const char *rel)
{
	char root[PATH_MAX], real[PATH_MAX];
	struct stat st;
	size_t n;
	char *p;

	if (!dir || !fs_rel_plain(rel) || !realpath(dir, root))
		return NULL;
	p = xasprintf("%s/%s", root, rel);
	n = strlen(root);
	if (realpath(p, real) && !strncmp(real, root, n) && (n == 1 || real[n] == '/') &&
	    stat(real, &st) == 0 && S_ISREG(st.st_mode))
		return p;
	free(p);
	return NULL;
}

char *results_source_path(const struct spec *s, const char *file)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	char *p = NULL;

	/* Only files under the spec's workdir or directory are looked at: a
	 * forged frame naming any other host path learns nothing. */
	if (!strncmp(file, WORK_PREFIX, sizeof(WORK_PREFIX) - 1))
		p = file_under(s->workdir, file + sizeof(WORK_PREFIX) - 1);
	/* Built elsewhere (the image, CI): the source beside the spec. */
	if (!p && *base)
		p = file_under(s->workdir ? s->workdir : s->dir, base);
	if (!p && *base)
		p = file_under(s->dir, base);
	return p;
}

/* The crash's place in the harness's sources: "location":{"file","line"}
 * appended to the crash object, file a host path. */
static void add_location(struct strbuf *sb, const struct spec *s, const struct crash_info *ci)
{
	for (size_t i = 0; i < ci->nframes; i++) {
		const struct crash_frame *f = &ci->frames[i];
		char *path;

		if (f->runtime || !f->file || f->line <= 0)
			continue;
		if (!(path = results_source_path(s, f->file)))
			return;
		if (sb->len && sb->buf[sb->len - 1] == '}') {
			sb->buf[--sb->len] = '\0';
			strbuf_addstr(sb, ",\"location\":{\"file\":");
			json_add_str(sb, path);
			strbuf_addf(sb, ",\"line\":%d}}", f->line);
		}
		free(path);
		return;
	}
}

void results_parse(struct record *rec, const struct spec *s, const struct strbuf *out,
		   const struct strbuf *err)
{
	struct crash_info ci = {0};
	struct fuzz_stats fs;
	struct strbuf sb = STRBUF_INIT;

	if (rec->outcome == OUTCOME_CRASH &&
	    crash_parse(&ci, out->buf, out->len, err->buf, err->len) == 1) {
		crash_info_json(&sb, &ci);
		add_location(&sb, s, &ci);
		free(rec->crash_json);
		rec->crash_json = strbuf_detach(&sb, NULL);
		free(rec->signature);
		rec->signature = ci.signature ? xstrdup(ci.signature) : NULL;
		if (ci.summary && *ci.summary) {
			free(rec->cause);
			rec->cause = xstrdup(ci.summary);
		}
	}
	crash_info_release(&ci);
	/* libFuzzer prints to stderr; a harness may redirect it. */
	if (fuzzstats_parse(&fs, err->buf, err->len) == 1 ||
	    fuzzstats_parse(&fs, out->buf, out->len) == 1) {
		strbuf_reset(&sb);
		fuzzstats_json(&sb, &fs);
		free(rec->fuzz_json);
		rec->fuzz_json = strbuf_detach(&sb, NULL);
	}
	strbuf_release(&sb);
}

char *results_fuzz_prefix(const struct strvec *command)
{
	static const char opt[] = "-artifact_prefix=";
	const char *prefix = NULL;

	/* libFuzzer takes the last occurrence of a flag. */
	for (size_t i = 1; i < command->nr; i++)
		if (!strncmp(command->v[i], opt, sizeof(opt) - 1))
			prefix = command->v[i] + sizeof(opt) - 1;
	if (!prefix)
		return xstrdup("");
	if (!strncmp(prefix, WORK_PREFIX, sizeof(WORK_PREFIX) - 1))
		prefix += sizeof(WORK_PREFIX) - 1;
	else if (prefix[0] == '/')
		return NULL;
	/* The prefix is glob input: a harness's metacharacters stay literal
	 * only by accident, and ".." must not leave /work. */
	if (strstr(prefix, "..") || strpbrk(prefix, "*?[\\"))
		return NULL;
	return xstrdup(prefix);
}

static int collect_one(struct record *rec, const char *work, const char *pattern, const char *dest,
		       struct fs_budget *b, struct sr_err *err)
{
	if (fs_collect_budget(work, pattern, dest, &rec->evidence.artifacts, b, err) < 0)
		return SR_EFAIL;
	return 0;
}

int results_collect(struct record *rec, const struct spec *s, const char *work, const char *dest,
		    struct fs_budget *b, struct sr_err *err)
{
	static const char *const kinds[] = {"crash-*", "timeout-*", "oom-*", "leak-*"};
	size_t before = rec->evidence.artifacts.nr;
	int rc = 0;

	for (size_t i = 0; i < s->collect.nr && !rc; i++)
		rc = collect_one(rec, work, s->collect.v[i], dest, b, err);
	if (!rc && (rec->outcome == OUTCOME_CRASH || rec->outcome == OUTCOME_TIMEOUT ||
		    rec->outcome == OUTCOME_OOM)) {
		char *prefix = results_fuzz_prefix(&s->command);
		for (size_t i = 0; prefix && i < SR_ARRAY_SIZE(kinds) && !rc; i++) {
			char *pat = xasprintf("%s%s", prefix, kinds[i]);
			rc = collect_one(rec, work, pat, dest, b, err);
			free(pat);
		}
		free(prefix);
	}
	if (rec->evidence.artifacts.nr > before && !rec->evidence.artifact_dir)
		rec->evidence.artifact_dir = xstrdup(dest);
	rec->evidence.artifacts_dropped = (unsigned)b->dropped;
	if (b->dropped)
		sr_log("%s: %zu file(s) (%llu bytes) left out: limits.artifacts is %ld files, "
		       "limits.artifact_bytes %llu bytes",
		       rec->container ? rec->container : rec->harness, b->dropped,
		       (unsigned long long)b->dropped_bytes, s->limits.artifacts,
		       (unsigned long long)s->limits.artifact_bytes);
	return rc;
}

bool results_keep_output(const struct record *rec)
{
	switch (rec->outcome) {
	case OUTCOME_CRASH:
	case OUTCOME_CONFIRMED:
	case OUTCOME_TIMEOUT:
	case OUTCOME_OOM:
	case OUTCOME_ERROR:
		return true;
	default:
		return rec->expected != OUTCOME_NONE && rec->outcome != rec->expected;
	}
}

/* dest/name, or dest/sandrun-name when a collected file took that name. */
static char *save_one(const char *dest, const char *name, const struct strbuf *sb)
{
	struct sr_err err = SR_ERR_INIT;
	char *path = xasprintf("%s/%s", dest, name), *rel = xstrdup(name);
	struct stat st;

	if (lstat(path, &st) == 0) {
		free(path);
		free(rel);
		rel = xasprintf("sandrun-%s", name);
		path = xasprintf("%s/%s", dest, rel);
	}
	if (fs_write_new(path, sb->len ? sb->buf : "", sb->len, 0644, &err) < 0) {
		sr_log("cannot keep the run's output: %s", err.msg);
		free(rel);
		rel = NULL;
	}
	free(path);
	return rel;
}

void results_save_output(struct record *rec, const char *dest, const struct strbuf *out,
			 const struct strbuf *err)
{
	struct sr_err e = SR_ERR_INIT;

	if (!results_keep_output(rec))
		return;
	if (fs_mkdirs(dest, 0755, &e) < 0) {
		sr_log("cannot keep the run's output: %s", e.msg);
		return;
	}
	free(rec->evidence.stdout_file);
	free(rec->evidence.stderr_file);
	rec->evidence.stdout_file = save_one(dest, "stdout.txt", out);
	rec->evidence.stderr_file = save_one(dest, "stderr.txt", err);
	if (!rec->evidence.artifact_dir)
		rec->evidence.artifact_dir = xstrdup(dest);
}
