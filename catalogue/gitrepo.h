/* The libgit2 adapter: provenance for reports and the pin commit. No git2
 * type appears outside gitrepo.c. */
#ifndef SR_GITREPO_H
#define SR_GITREPO_H

#include "lib/util.h"

/* Discover the repository holding path (a file or a directory). Outside any
 * repository: 0, *head_hex NULL, *dirty -1 (a suite need not be in git).
 * Inside: *head_hex is HEAD's commit id (hex, owned by the caller; NULL on
 * an unborn branch) and *dirty is 1 when any file is modified, staged, or
 * untracked and not ignored, 0 when clean. A repository that cannot be read
 * returns a negative code, with whatever was learned still set (*dirty -1
 * when the status is unknown). */
int gitrepo_head_info(const char *path, char **head_hex, int *dirty, struct sr_err *err);

/* Commit file_path's current bytes on branch (NULL: "sandrun/pin-YYYY-MM-DD",
 * UTC date) as ONE new commit whose parent is the branch tip when the branch
 * exists, else HEAD, and whose tree is the parent's with only that file's
 * blob replaced (its file mode kept). The index, the work tree, HEAD and the
 * current branch are not touched; nothing is pushed. The branch moves only
 * if nobody moved it meanwhile. The author and committer come from git
 * config, else $SANDRUN_GIT_AUTHOR ("Name <email>"). *commit_hex (owned by
 * the caller) is the new commit; when the parent already holds exactly these
 * bytes no commit is made and *commit_hex is the parent.
 * SR_EINVAL: the file is not in a work tree, the branch name is invalid or
 * the branch is checked out, or no author is known; SR_EFAIL: git failed. */
int gitrepo_commit_file(const char *file_path, const char *branch, const char *message,
			struct sr_err *err, char **commit_hex);

#endif
