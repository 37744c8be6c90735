/* File-tree helpers for run directories: fresh copies of workdirs (symlinks
 * copied as links, never followed), removal, ownership, and artifact
 * collection that cannot be steered out of the run's /work. */
#ifndef SR_FSUTIL_H
#define SR_FSUTIL_H

#include <sys/types.h>

#include "lib/util.h"

/* Copy the tree at src into the existing directory dst. Regular files,
 * directories and symlinks (as links) are copied; other types skipped.
 * uid/gid >= 0: chown every copied entry (without following links). */
int fs_copy_tree(const char *src, const char *dst, uid_t uid, gid_t gid, struct sr_err *err);

/* Remove path recursively through directory fds (unlinkat), never following
 * a symlink nor crossing into another mount; missing is fine. 0 or -1/errno. */
int fs_remove_tree(const char *path);

/* mkdir -p with mode for each created component. */
int fs_mkdirs(const char *path, mode_t mode, struct sr_err *err);

/* Where a static helper program of sandrun (sr-idle, sr-dnsfwd) is: in
 * $SANDRUN_HELPER_DIR, else relative to the running binary (build/helper,
 * helper, its own directory, ../libexec/sandrun). out gets the path of an
 * executable file; a path a --mount value would need to quote (',' or '"')
 * is not taken. 0, or -1 when none is found. */
int fs_helper_path(char *out, size_t n, const char *prog);

/* Write data to a new file with the given mode (fails if it exists). */
int fs_write_new(const char *path, const void *data, size_t len, mode_t mode, struct sr_err *err);

/* Glob pattern (relative) inside root; every match that is a regular file
 * reached without leaving root through a symlink is copied to dest_dir
 * (same relative path) and its relative path pushed to rels. Matches that
 * escape, or are symlinks, are skipped. Returns the number of matches
 * (including skipped ones), or a negative error. */
int fs_collect(const char *root, const char *pattern, const char *dest_dir, struct strvec *rels,
	       struct sr_err *err);

/* What one run may still copy out. A match that would exceed either bound
 * is not copied and counts in dropped. */
struct fs_budget {
	size_t files;	/* files left */
	uint64_t bytes; /* bytes left */
	size_t dropped; /* matches left out for the budget */
	uint64_t dropped_bytes;
};

/* fs_collect within budget b (NULL: unbounded). A relative path already in
 * rels is neither copied again nor counted (two globs matching one file). */
int fs_collect_budget(const char *root, const char *pattern, const char *dest_dir,
		      struct strvec *rels, struct fs_budget *b, struct sr_err *err);

/* Whether a directory entry path is safely inside root (realpath prefix). */
bool fs_inside(const char *root_real, const char *path);

#endif
