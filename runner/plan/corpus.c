/* Persistent corpora: seeding a run and merging back by content hash
 * (corpus.h). */
#include "runner/plan/corpus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/smallfile.h"

void corpus_default_limits(struct corpus_limits *l)
{
	l->max_file_bytes = CORPUS_MAX_FILE_BYTES;
	l->max_files = CORPUS_MAX_FILES;
	l->max_bytes = CORPUS_MAX_BYTES;
}

/* Files and bytes of the regular files directly in dir. */
static void dir_usage(const char *dir, uint64_t *files, uint64_t *bytes)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*files = *bytes = 0;
	while (d && (de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISREG(st.st_mode)) {
			(*files)++;
			*bytes += (uint64_t)st.st_size;
		}
	}
	if (d)
		closedir(d);
}

/* Store data as dir/<hash>: a temporary dot-file linked to the final name.
 * 1 when added, 0 when dir had it, negative on error. */
static int store(const char *dir, const char *data, size_t len, struct sr_err *err)
{
	char hex[17], rnd[33];
	char *final, *tmp;
	int rc;

	sr_hash_hex(data, len, hex);
	final = xasprintf("%s/%s", dir, hex);
	if (access(final, F_OK) == 0) {
		free(final);
		return 0;
	}
	if (sr_token(rnd, err) < 0) {
		free(final);
		return SR_EFAIL;
	}
	tmp = xasprintf("%s/.tmp-%s-%s", dir, hex, rnd);
	rc = fs_write_new(tmp, data, len, 0644, err);
	if (rc == 0) {
		if (link(tmp, final) == 0)
			rc = 1;
		else if (errno != EEXIST)
			rc = sr_err_set(err, SR_EFAIL, "cannot link '%s': %s", final,
					strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(final);
	return rc;
}

/* One file of src: read (bounded), then stored unless the bounds say no. */
static int merge_one(const char *dir, const char *path, const struct corpus_limits *l,
		     uint64_t *files, uint64_t *bytes, struct corpus_stats *st, struct sr_err *err)
{
	struct sr_err rerr = SR_ERR_INIT;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (sr_read_small_file(&data, &len, path, (size_t)l->max_file_bytes, &rerr) < 0) {
		st->dropped++; /* too big, or not a regular file any more */
		return 0;
	}
	if (*files + 1 > l->max_files || *bytes + len > l->max_bytes) {
		char hex[17], *final;
		sr_hash_hex(data, len, hex);
		final = xasprintf("%s/%s", dir, hex);
		if (access(final, F_OK) == 0)
			st->known++;
		else
			st->dropped++;
		free(final);
		free(data);
		return 0;
	}
	rc = store(dir, data, len, err);
	if (rc > 0) {
		st->added++;
		(*files)++;
		*bytes += len;
	} else if (rc == 0) {
		st->known++;
	}
	free(data);
	return rc < 0 ? rc : 0;
}

int corpus_merge_dir(const char *dir, const char *src, const struct corpus_limits *l,
		     struct corpus_stats *st, struct sr_err *err)
{
	uint64_t files, bytes;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (fs_mkdirs(dir, 0755, err) < 0)
		return SR_EFAIL;
	if (!(d = opendir(src)))
		return errno == ENOENT ? 0
				       : sr_err_set(err, SR_EFAIL, "cannot open '%s': %s", src,
						    strerror(errno));
	dir_usage(dir, &files, &bytes);
	while (rc == 0 && (de = readdir(d))) {
		struct stat sb;
		char *p;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISREG(sb.st_mode))
			continue;
		p = xasprintf("%s/%s", src, de->d_name);
		rc = merge_one(dir, p, l, &files, &bytes, st, err);
		free(p);
	}
	closedir(d);
	return rc;
}

int corpus_seed(const struct spec *s, const char *work, uid_t uid, struct corpus_stats *st,
		struct sr_err *err)
{
	struct fs_budget b = {.files = CORPUS_MAX_FILES, .bytes = CORPUS_MAX_BYTES};
	struct strvec rels = STRVEC_INIT;
	struct stat sb;
	char *dest;
	int n;

	if (!s->corpus)
		return 0;
	dest = xasprintf("%s/corpus", work);
	if (fs_mkdirs(dest, 0755, err) < 0 ||
	    ((int)uid >= 0 && lchown(dest, uid, uid) < 0 && errno != EPERM)) {
		free(dest);
		return err->code ? err->code : SR_EFAIL;
	}
	if (stat(s->corpus, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		free(dest); /* the first night: nothing to start from yet */
		return 0;
	}
	/* "*" matches no dot-file: a merge in progress leaves nothing to read. */
	n = fs_collect_budget(s->corpus, "*", dest, &rels, &b, err);
	if (st && n >= 0)
		st->seeded = rels.nr;
	strvec_clear(&rels);
	free(dest);
	return n < 0 ? n : 0;
}

int corpus_merge_back(const struct spec *s, const char *work, const char *stage,
		      struct corpus_stats *st, struct sr_err *err)
{
	struct fs_budget b = {.files = CORPUS_MAX_FILES, .bytes = CORPUS_MAX_BYTES};
	struct corpus_limits l;
	struct strvec rels = STRVEC_INIT;
	char *from;
	int rc;

	if (!s->corpus)
		return 0;
	corpus_default_limits(&l);
	if (fs_mkdirs(stage, 0700, err) < 0)
		return SR_EFAIL;
	/* Out of /work with the collect machinery: regular files only, no
	 * link followed, within a budget. */
	rc = fs_collect_budget(work, "corpus/*", stage, &rels, &b, err);
	strvec_clear(&rels);
	if (rc < 0)
		return rc;
	from = xasprintf("%s/corpus", stage);
	rc = corpus_merge_dir(s->corpus, from, &l, st, err);
	free(from);
	return rc;
}
