/* File-tree helpers for run directories: fresh copies of workdirs (symlinks
 * copied as links, never followed), removal, ownership, and artifact
 * collection that cannot be steered out of the run's /work. */
#ifndef SR_FSUTIL_H
#define SR_FSUTIL_H

#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "lib/util.h"

/* Copy the tree at src into the existing directory dst through directory
 * fds (no link followed on either side; a file copied up to the size fstat
 * gave on its fd). Regular files, directories and symlinks (as links) are
 * copied; other types skipped.
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

/* Glob pattern (relative) inside root, matched one component at a time
 * against the names the directories hold, each reached through a directory
 * fd opened O_NOFOLLOW (a symlink anywhere on the way is never followed).
 * Every match that is a regular file is copied by fd (at most the size
 * fstat gave when it was opened) to dest_dir under its physical relative
 * path, which is pushed to rels; dest_dir NULL: only listed. A pattern with
 * a component that could match "." or ".." (fs_glob_dotsafe) matches
 * nothing. Returns the number of matches (including skipped ones), or a
 * negative error. */
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

/* realpath(3) of path into real, and stat(2) of the result into st, in
 * one openat2 (O_PATH, no symlink) for an absolute path with no symlink on
 * the way (then the real path is its lexical normal form); otherwise, or
 * where the kernel lacks openat2, realpath and stat. 0 or -1/errno as
 * realpath would fail (ENOENT for a missing component or dangling link). */
int fs_resolve(const char *path, char real[PATH_MAX], struct stat *st);

/* Whether a directory entry path is safely inside root (realpath prefix). */
bool fs_inside(const char *root_real, const char *path);

/* Whether no component of the glob pattern can match "." or "..": literal
 * ones, and globs such as ".[.]", ".?", ".*" (decided with fnmatch). */
bool fs_glob_dotsafe(const char *pattern);

/* A plain relative name: not empty, no leading or trailing '/', no empty,
 * "." or ".." component. */
bool fs_rel_plain(const char *rel);

/* Open the plain relative name rel beneath the directory dfd without
 * following any symlink (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS where
 * the kernel has it, else openat O_NOFOLLOW one component at a time).
 * flags as for openat; -1/errno (EINVAL for a name that is not plain). */
int fs_open_beneath(int dfd, const char *rel, int flags);

/* Copy at most limit bytes of the open file in to a new file name (0644,
 * replacing a file of that name) in the directory dfd, not following a
 * link. what names in for messages. */
int fs_copy_out_fd(int in, const char *what, int dfd, const char *name, uint64_t limit,
		   struct sr_err *err);

/* Copy at most limit bytes of the open file in to dest_dir/rel (rel a
 * plain relative name; its directories created, none followed if a link). */
int fs_copy_in(int in, const char *what, const char *dest_dir, const char *rel, uint64_t limit,
	       struct sr_err *err);

#endif
