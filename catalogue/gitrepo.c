/* The libgit2 adapter. The pin commit is built from objects only (blob, tree
 * update, commit, reference): the index and the work tree belong to whoever
 * runs the bot, and a checkout would clobber their edits. */
#include "catalogue/gitrepo.h"

#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* libgit2's global state is reference-counted: each entry point holds it
 * for its own duration, so the process ends with nothing left initialised
 * and search paths (HOME, for git config) are read afresh on each call. */
static int lib_init(struct sr_err *err)
{
	if (git_libgit2_init() < 0)
		return sr_err_set(err, SR_EFAIL, "cannot initialise libgit2");
	return 0;
}

static int git_fail(struct sr_err *err, int code, const char *what, const char *subject)
{
	const git_error *e = git_error_last();
	return sr_err_set(err, code, "%s '%s': %s", what, subject,
			  e && e->message ? e->message : "unknown git error");
}

/* The directory to discover a repository from: path itself or its parent. */
static char *discovery_dir(const char *path)
{
	struct stat st;
	char *dir, *slash;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return xstrdup(path);
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (!slash) {
		free(dir);
		return xstrdup(".");
	}
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

int gitrepo_head_info(const char *path, char **head_hex, int *dirty, struct sr_err *err)
{
	git_repository *repo = NULL;
	git_status_list *st = NULL;
	git_status_options so;
	git_oid oid;
	char hex[GIT_OID_HEXSZ + 1], *dir;
	int rc = 0, grc;

	*head_hex = NULL;
	*dirty = -1;
	if (lib_init(err) < 0)
		return SR_EFAIL;
	dir = discovery_dir(path);
	grc = git_repository_open_ext(&repo, dir, 0, NULL);
	if (grc == GIT_ENOTFOUND) {
		rc = 0; /* not in a repository: no provenance, not an error */
		goto done;
	}
	if (grc < 0) {
		rc = git_fail(err, SR_EFAIL, "cannot open the git repository of", path);
		goto done;
	}
	grc = git_reference_name_to_id(&oid, repo, "HEAD");
	if (grc == 0) {
		git_oid_tostr(hex, sizeof(hex), &oid);
		*head_hex = xstrdup(hex);
	} else if (grc != GIT_ENOTFOUND && grc != GIT_EUNBORNBRANCH) {
		rc = git_fail(err, SR_EFAIL, "cannot resolve HEAD in", dir);
		goto done;
	}
	if (git_repository_is_bare(repo)) {
		*dirty = 0; /* no work tree to differ from HEAD */
		goto done;
	}
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	/* Submodules are other projects; reading their work trees is slow. */
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&st, repo, &so) < 0) {
		rc = git_fail(err, SR_EFAIL, "cannot read the git status of", dir);
		goto done;
	}
	*dirty = git_status_list_entrycount(st) > 0;
done:
	git_status_list_free(st);
	git_repository_free(repo);
	git_libgit2_shutdown();
	free(dir);
	return rc;
}

/* "Name <email>" with nothing after the '>'; both parts non-empty. */
static int parse_author(const char *s, char **name, char **email)
{
	const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL, *end;

	*name = *email = NULL;
	if (!lt || !gt || gt == lt + 1 || memchr(lt + 1, '<', (size_t)(gt - lt - 1)))
		return -1;
	for (const char *p = gt + 1; *p; p++)
		if (*p != ' ' && *p != '\t')
			return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	for (end = lt; end > s && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	if (end == s)
		return -1;
	*name = xstrndup(s, (size_t)(end - s));
	*email = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	return 0;
}

static int signature(git_signature **out, git_repository *repo, struct sr_err *err)
{
	const char *env = getenv("SANDRUN_GIT_AUTHOR");
	char *name, *email;
	int rc;

	if (git_signature_default(out, repo) == 0)
		return 0;
	if (!env || !*env)
		return sr_err_set(err, SR_EINVAL,
				  "no commit author: set user.name and user.email in git config, "
				  "or SANDRUN_GIT_AUTHOR=\"Name <email>\"");
	if (parse_author(env, &name, &email) < 0)
		return sr_err_set(err, SR_EINVAL,
				  "invalid SANDRUN_GIT_AUTHOR '%s': want \"Name <email>\"", env);
	rc = git_signature_now(out, name, email) < 0
		 ? git_fail(err, SR_EINVAL, "invalid SANDRUN_GIT_AUTHOR", env)
		 : 0;
	free(name);
	free(email);
	return rc;
}

/* file_path relative to the work tree, both resolved through symlinks so
 * that a repository reached through a linked directory still matches. */
static int relative_path(git_repository *repo, const char *file_path, char **rel,
			 struct sr_err *err)
{
	char real[PATH_MAX], wd[PATH_MAX];
	const char *w = git_repository_workdir(repo);
	size_t wl;

	*rel = NULL;
	if (!w)
		return sr_err_set(err, SR_EINVAL,
				  "'%s' is in a bare repository: no work tree to commit from",
				  file_path);
	if (!realpath(file_path, real))
		return sr_err_set(err, SR_EINVAL, "cannot resolve '%s': %s", file_path,
				  strerror(errno));
	if (!realpath(w, wd))
		return sr_err_set(err, SR_EFAIL, "cannot resolve the work tree '%s': %s", w,
				  strerror(errno));
	wl = strlen(wd);
	if (strncmp(real, wd, wl) || real[wl] != '/' || !real[wl + 1])
		return sr_err_set(err, SR_EINVAL, "'%s' is not in the work tree '%s'", file_path,
				  wd);
	*rel = xstrdup(real + wl + 1);
	return 0;
}

/* The mode the file has in tree, so an executable stays executable; a
 * regular file when it is new. Refuses a path that is a directory there. */
static int blob_mode(git_tree *tree, const char *rel, git_filemode_t *mode, struct sr_err *err)
{
	git_tree_entry *te = NULL;
	int grc = git_tree_entry_bypath(&te, tree, rel);

	*mode = GIT_FILEMODE_BLOB;
	if (grc == GIT_ENOTFOUND)
		return 0;
	if (grc < 0)
		return git_fail(err, SR_EFAIL, "cannot look up", rel);
	if (git_tree_entry_filemode(te) == GIT_FILEMODE_BLOB_EXECUTABLE)
		*mode = GIT_FILEMODE_BLOB_EXECUTABLE;
	else if (git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
		 git_tree_entry_filemode(te) == GIT_FILEMODE_LINK)
		grc = sr_err_set(err, SR_EINVAL, "'%s' is not a regular file in the parent commit",
				 rel);
	git_tree_entry_free(te);
	return grc < 0 ? grc : 0;
}

/* The parent: the branch's tip when it exists (*existed = 1), else HEAD. */
static int find_parent(git_repository *repo, const char *branch, git_commit **parent, int *existed,
		       struct sr_err *err)
{
	git_reference *ref = NULL;
	git_object *obj = NULL;
	int grc = git_branch_lookup(&ref, repo, branch, GIT_BRANCH_LOCAL), rc = 0;

	*existed = grc == 0;
	if (grc == 0) {
		/* Moving a checked-out branch would leave its work tree behind. */
		if (git_branch_is_checked_out(ref) == 1) {
			rc = sr_err_set(err, SR_EINVAL,
					"branch '%s' is checked out: pin commits go on another "
					"branch",
					branch);
			goto done;
		}
		grc = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT);
	} else if (grc == GIT_ENOTFOUND) {
		grc = git_revparse_single(&obj, repo, "HEAD^{commit}");
	}
	if (grc < 0) {
		rc = git_fail(err, SR_EFAIL, "cannot find the parent commit for branch", branch);
		goto done;
	}
	*parent = (git_commit *)obj;
	obj = NULL;
done:
	git_object_free(obj);
	git_reference_free(ref);
	return rc;
}

/* "sandrun/pin-YYYY-MM-DD" (UTC). Caller frees. */
static char *default_branch(void)
{
	char day[16];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	return xasprintf("sandrun/pin-%s", day);
}

/* ptree with rel (its mode kept) holding the bytes of file_path now. */
static int updated_tree(git_oid *tree_id, git_tree **tree, git_repository *repo, git_tree *ptree,
			const char *rel, const char *file_path, struct sr_err *err)
{
	git_tree_update up;
	git_filemode_t mode;
	git_oid blob;
	char *text = NULL;
	size_t len;
	int rc;

	if ((rc = blob_mode(ptree, rel, &mode, err)) < 0)
		return rc;
	if (sr_read_file(file_path, &text, &len, err) < 0)
		return SR_EFAIL;
	rc = git_blob_create_from_buffer(&blob, repo, text, len);
	free(text);
	if (rc < 0)
		return git_fail(err, SR_EFAIL, "cannot store the contents of", file_path);
	memset(&up, 0, sizeof(up));
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.id = blob;
	up.filemode = mode;
	up.path = rel;
	if (git_tree_create_updated(tree_id, repo, ptree, 1, &up) < 0 ||
	    git_tree_lookup(tree, repo, tree_id) < 0)
		return git_fail(err, SR_EFAIL, "cannot build the tree for", file_path);
	return 0;
}

/* A commit of tree on parent, and branch (refname) moved to it only if it
 * still points at parent (created when it did not exist). */
static int commit_on(git_oid *commit_id, git_repository *repo, git_commit *parent, git_tree *tree,
		     const char *refname, int existed, const char *branch, const char *message,
		     struct sr_err *err)
{
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	git_buf msg = GIT_BUF_INIT;
	int rc;

	if ((rc = signature(&sig, repo, err)) < 0)
		goto out;
	rc = SR_EFAIL;
	if (git_message_prettify(&msg, message && *message ? message : "Pin toolchain images", 0,
				 '#') < 0) {
		git_fail(err, SR_EFAIL, "cannot format the commit message for", branch);
		goto out;
	}
	if (git_commit_create(commit_id, repo, NULL, sig, sig, "UTF-8", msg.ptr, tree, 1,
			      (const git_commit **)&parent) < 0) {
		git_fail(err, SR_EFAIL, "cannot create the commit on", branch);
		goto out;
	}
	/* Compare-and-swap: a concurrent writer makes this fail, not vanish. */
	if ((existed
		 ? git_reference_create_matching(&ref, repo, refname, commit_id, 1,
						 git_commit_id(parent), "sandrun pin")
		 : git_reference_create(&ref, repo, refname, commit_id, 0, "sandrun pin")) < 0) {
		git_fail(err, SR_EFAIL, "cannot update branch", branch);
		goto out;
	}
	rc = 0;
out:
	git_buf_dispose(&msg);
	git_reference_free(ref);
	git_signature_free(sig);
	return rc;
}

int gitrepo_commit_file(const char *file_path, const char *branch, const char *message,
			struct sr_err *err, char **commit_hex)
{
	git_repository *repo = NULL;
	git_commit *parent = NULL;
	git_tree *ptree = NULL, *tree = NULL;
	git_oid tree_id, commit_id;
	char hex[GIT_OID_HEXSZ + 1], *dir = NULL, *rel = NULL, *refname = NULL, *def = NULL;
	int rc, existed, valid = 0;

	*commit_hex = NULL;
	if (lib_init(err) < 0)
		return SR_EFAIL;
	dir = discovery_dir(file_path);
	if (git_repository_open_ext(&repo, dir, 0, NULL) < 0) {
		rc = git_fail(err, SR_EINVAL, "cannot open a git repository for", file_path);
		goto done;
	}
	if ((rc = relative_path(repo, file_path, &rel, err)) < 0)
		goto done;
	if (!branch)
		branch = def = default_branch();
	if (git_branch_name_is_valid(&valid, branch) < 0 || !valid) {
		rc = sr_err_set(err, SR_EINVAL, "invalid branch name '%s'", branch);
		goto done;
	}
	refname = xasprintf("refs/heads/%s", branch);
	if ((rc = find_parent(repo, branch, &parent, &existed, err)) < 0)
		goto done;
	rc = SR_EFAIL;
	if (git_commit_tree(&ptree, parent) < 0) {
		git_fail(err, SR_EFAIL, "cannot read the tree of the parent of", branch);
		goto done;
	}
	if ((rc = updated_tree(&tree_id, &tree, repo, ptree, rel, file_path, err)) < 0)
		goto done;
	if (git_oid_equal(&tree_id, git_tree_id(ptree))) {
		/* Nothing to record: an empty commit would only add noise. */
		git_oid_tostr(hex, sizeof(hex), git_commit_id(parent));
		*commit_hex = xstrdup(hex);
		rc = 0;
		goto done;
	}
	if ((rc = commit_on(&commit_id, repo, parent, tree, refname, existed, branch, message,
			    err)) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &commit_id);
	*commit_hex = xstrdup(hex);
	rc = 0;
done:
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(parent);
	git_repository_free(repo);
	git_libgit2_shutdown();
	free(dir);
	free(rel);
	free(refname);
	free(def);
	return rc;
}
