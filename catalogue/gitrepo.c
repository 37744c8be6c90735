#include "gitrepo.h"

#include <git2.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_lib(void)
{
	git_libgit2_init();
}

static int git_fail(struct sr_err *err, const char *what)
{
	const git_error *e = git_error_last();
	return sr_err_set(err, SR_EFAIL, "%s: %s", what,
			  e && e->message ? e->message : "git error");
}

static char *dir_of(const char *path)
{
	char real[PATH_MAX], *slash;

	if (!realpath(path, real))
		return xstrdup(path);
	slash = strrchr(real, '/');
	if (slash && slash != real)
		*slash = '\0';
	return xstrdup(real);
}

int gitrepo_head_info(const char *path, char **head_hex, int *dirty, struct sr_err *err)
{
	git_repository *repo = NULL;
	git_status_list *st = NULL;
	git_status_options so;
	git_oid oid;
	char hex[GIT_OID_HEXSZ + 1];
	int rc = 0;

	pthread_once(&init_once, init_lib);
	*head_hex = NULL;
	*dirty = -1;
	if (git_repository_open_ext(&repo, path, 0, NULL) < 0)
		return sr_err_set(err, SR_EFAIL, "'%s' is not in a git repository", path);
	if (git_reference_name_to_id(&oid, repo, "HEAD") == 0) {
		git_oid_tostr(hex, sizeof(hex), &oid);
		*head_hex = xstrdup(hex);
	}
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_repository_is_bare(repo)) {
		*dirty = 0;
	} else if (git_status_list_new(&st, repo, &so) == 0) {
		*dirty = git_status_list_entrycount(st) > 0;
		git_status_list_free(st);
	} else {
		rc = git_fail(err, "cannot read git status");
	}
	git_repository_free(repo);
	return rc;
}

static int signature(git_signature **out, git_repository *repo, struct sr_err *err)
{
	const char *env = getenv("SANDRUN_GIT_AUTHOR");
	const char *lt, *gt;
	char *name, *email;
	int rc;

	if (git_signature_default(out, repo) == 0)
		return 0;
	if (!env || !(lt = strchr(env, '<')) || !(gt = strchr(lt, '>')) || lt == env)
		return sr_err_set(err, SR_EFAIL,
				  "no author: set user.name and user.email in git config, or "
				  "SANDRUN_GIT_AUTHOR=\"Name <email>\"");
	name = xstrndup(env, (size_t)(lt - env));
	while (*name && name[strlen(name) - 1] == ' ')
		name[strlen(name) - 1] = '\0';
	email = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	rc = git_signature_now(out, name, email) < 0 ? git_fail(err, "invalid SANDRUN_GIT_AUTHOR")
						     : 0;
	free(name);
	free(email);
	return rc;
}

int gitrepo_commit_file(const char *file_path, const char *branch, const char *message,
			struct sr_err *err, char **commit_hex)
{
	git_repository *repo = NULL;
	git_reference *ref = NULL, *head = NULL;
	git_commit *parent = NULL;
	git_tree *ptree = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_oid blob, tree_id, commit_id, parent_id;
	git_tree_update up;
	char real[PATH_MAX], hex[GIT_OID_HEXSZ + 1], *dir = dir_of(file_path), *refname = NULL;
	char *def_branch = NULL, *text = NULL;
	const char *wd, *rel;
	size_t len;
	int rc = SR_EFAIL;

	pthread_once(&init_once, init_lib);
	*commit_hex = NULL;
	if (git_repository_open_ext(&repo, dir, 0, NULL) < 0) {
		sr_err_set(err, SR_EFAIL, "'%s' is not in a git repository", file_path);
		goto done;
	}
	wd = git_repository_workdir(repo);
	if (!wd || !realpath(file_path, real) || strncmp(real, wd, strlen(wd))) {
		sr_err_set(err, SR_EFAIL, "'%s' is not in the work tree of its repository",
			   file_path);
		goto done;
	}
	rel = real + strlen(wd);
	if (!branch) {
		char day[16];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		branch = def_branch = xasprintf("sandrun/pin-%s", day);
	}
	refname = xasprintf("refs/heads/%s", branch);
	if (!git_reference_is_valid_name(refname)) {
		rc = sr_err_set(err, SR_EINVAL, "invalid branch name '%s'", branch);
		goto done;
	}
	if (git_repository_head(&head, repo) == 0 && !strcmp(git_reference_name(head), refname)) {
		rc =
		    sr_err_set(err, SR_EINVAL,
			       "branch '%s' is checked out: pin commits on another branch", branch);
		goto done;
	}
	if (git_reference_name_to_id(&parent_id, repo, refname) < 0 &&
	    git_reference_name_to_id(&parent_id, repo, "HEAD") < 0) {
		git_fail(err, "cannot find a parent commit");
		goto done;
	}
	if (git_commit_lookup(&parent, repo, &parent_id) < 0 ||
	    git_commit_tree(&ptree, parent) < 0) {
		git_fail(err, "cannot read the parent commit");
		goto done;
	}
	if (sr_read_file(file_path, &text, &len, err) < 0)
		goto done;
	if (git_blob_create_from_buffer(&blob, repo, text, len) < 0) {
		git_fail(err, "cannot store the catalogue");
		goto done;
	}
	memset(&up, 0, sizeof(up));
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.id = blob;
	up.filemode = GIT_FILEMODE_BLOB;
	up.path = rel;
	if (git_tree_create_updated(&tree_id, repo, ptree, 1, &up) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0) {
		git_fail(err, "cannot build the commit's tree");
		goto done;
	}
	if (signature(&sig, repo, err) < 0)
		goto done;
	if (git_commit_create(&commit_id, repo, NULL, sig, sig, "UTF-8", message, tree, 1,
			      (const git_commit **)&parent) < 0) {
		git_fail(err, "cannot create the commit");
		goto done;
	}
	if (git_reference_create(&ref, repo, refname, &commit_id, 1, "sandrun pin") < 0) {
		git_fail(err, "cannot update the branch");
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), &commit_id);
	*commit_hex = xstrdup(hex);
	rc = 0;
done:
	git_reference_free(ref);
	git_reference_free(head);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(parent);
	git_signature_free(sig);
	git_repository_free(repo);
	free(dir);
	free(refname);
	free(def_branch);
	free(text);
	return rc;
}
