#include "runner/plan/workdir.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "runner/plan/corpus.h"
#include "runner/plan/runargs.h"

void workdir_paths(struct workdir *out, const char *tmp_root, const char *name)
{
	memset(out, 0, sizeof(*out));
	out->dir = xasprintf("%s/%s", tmp_root, name);
	out->work = xasprintf("%s/work", out->dir);
	out->payload = xasprintf("%s/payload", out->dir);
	out->env_file = xasprintf("%s/env", out->dir);
}

static int make_work(struct workdir *wd, const struct spec *s, bool is_root, struct sr_err *err)
{
	uid_t uid = is_root ? WORKDIR_RUN_UID : (uid_t)-1;

	if (mkdir(wd->work, 0755) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", wd->work,
				  strerror(errno));
	if (is_root) {
		/* Inodes are bounded too: millions of empty files would pin
		 * host kernel memory without touching the size limit. One
		 * inode per 4 KiB of the limit, at least 4096. */
		unsigned long long inodes = s->limits.disk / 4096;
		char *opts;

		if (inodes < 4096)
			inodes = 4096;
		opts = xasprintf("size=%llu,nr_inodes=%llu,mode=0755,uid=%d,gid=%d",
				 (unsigned long long)s->limits.disk, inodes, WORKDIR_RUN_UID,
				 WORKDIR_RUN_UID);
		int rc = mount("sandrun-work", wd->work, "tmpfs", MS_NOSUID | MS_NODEV, opts);
		free(opts);
		if (rc < 0)
			return sr_err_set(err, SR_EFAIL, "cannot mount the /work tmpfs: %s",
					  strerror(errno));
		wd->mounted = true;
	} else {
		chmod(wd->work, 0777);
	}
	if (s->workdir && fs_copy_tree(s->workdir, wd->work, uid, uid, err) < 0)
		return sr_err_wrap(err, "cannot copy workdir '%s' (limits.disk is %llu bytes)",
				   s->workdir, (unsigned long long)s->limits.disk);
	if (s->corpus && corpus_seed(s, wd->work, uid, NULL, err) < 0)
		return sr_err_wrap(err, "cannot copy corpus '%s' (limits.disk is %llu bytes)",
				   s->corpus, (unsigned long long)s->limits.disk);
	return 0;
}

int workdir_prepare(struct workdir *wd, const struct spec *s, const char *payload, bool is_root,
		    struct sr_err *err)
{
	int rc;

	if (mkdir(wd->dir, 0700) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", wd->dir,
				  strerror(errno));
	wd->created = true;
	if ((rc = make_work(wd, s, is_root, err)) < 0)
		return rc;
	return fs_write_new(wd->payload, payload, strlen(payload), 0444, err);
}

int workdir_write_env(const struct workdir *wd, const struct strvec *env, struct sr_err *err)
{
	struct strbuf text = STRBUF_INIT;
	int rc = runargs_env_file(&text, env, err);

	if (rc == 0)
		rc = fs_write_new(wd->env_file, strbuf_str(&text), text.len, 0600, err);
	strbuf_release(&text);
	return rc;
}

void workdir_drop_env(const struct workdir *wd)
{
	if (wd->env_file && unlink(wd->env_file) < 0 && errno != ENOENT)
		sr_debug("cannot remove '%s': %s", wd->env_file, strerror(errno));
}

void workdir_release(struct workdir *wd, bool keep)
{
	/* Kept: the tmpfs stays mounted, so its files stay where --keep said. */
	if (wd->mounted && !keep && umount2(wd->work, MNT_DETACH) < 0)
		sr_debug("cannot unmount '%s': %s", wd->work, strerror(errno));
	if (wd->created && !keep)
		fs_remove_tree(wd->dir);
	free(wd->dir);
	free(wd->work);
	free(wd->payload);
	free(wd->env_file);
	memset(wd, 0, sizeof(*wd));
}
