/* The libgit2 adapter: provenance for reports and the pin commit. No git2
 * type appears outside gitrepo.c. */
#ifndef SR_GITREPO_H
#define SR_GITREPO_H

#include "../runner/util.h"

/* The repository holding path: HEAD's commit id (hex, NULL outside a
 * repository or on an unborn branch) and whether the work tree has changes
 * (modified, staged or untracked files not ignored): 1, 0, or -1 unknown. */
int gitrepo_head_info(const char *path, char **head_hex, int *dirty, struct sr_err *err);

/* Commit file_path's current bytes on branch (NULL: "sandrun/pin-YYYY-MM-DD"),
 * creating it from HEAD or adding to its tip: one commit whose tree is the
 * parent's with only that file replaced. The index, the work tree and the
 * current branch are not touched; nothing is pushed. The author and
 * committer come from git config, else $SANDRUN_GIT_AUTHOR ("Name <email>").
 * *commit_hex (owned by the caller) is the new commit. */
int gitrepo_commit_file(const char *file_path, const char *branch, const char *message,
			struct sr_err *err, char **commit_hex);

#endif
