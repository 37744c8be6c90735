#include "runner/cmd/repro_trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/smallfile.h"

/* SPEC_MAX_BYTES of spec_int.h: specs are small. */
#define REPRO_SPEC_MAX (1024 * 1024)

static bool inside(const char *root, const char *real)
{
	size_t n = strlen(root);

	if (n == 1 && root[0] == '/')
		return true;
	return !strncmp(real, root, n) && (real[n] == '/' || real[n] == '\0');
}

static int resolve_spec(char real[PATH_MAX], const char *suite, const char *path,
			struct sr_err *err)
{
	char root[PATH_MAX];
	char *p;
	bool ok;

	if (!realpath(suite && *suite ? suite : ".", root))
		return sr_err_set(err, SR_EINVAL, "cannot resolve the suite root '%s': %s",
				  suite ? suite : ".", strerror(errno));
	p = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", root, path);
	ok = realpath(p, real) != NULL;
	free(p);
	if (!ok)
		return sr_err_set(err, SR_EINVAL,
				  "the record's spec '%s' is not in the suite root %s: %s", path,
				  root, strerror(errno));
	if (!inside(root, real))
		return sr_err_set(
		    err, SR_EINVAL,
		    "the record's spec '%s' is outside the suite root %s (use --suite "
		    "DIR for another suite)",
		    path, root);
	return 0;
}

int repro_load_spec(struct spec *out, const char *suite, const char *path, const char *want_hash,
		    bool allow_changed, struct sr_err *err)
{
	char real[PATH_MAX], have[17], *buf = NULL, *dir, *slash;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = resolve_spec(real, suite, path, err)) < 0)
		return rc;
	if (sr_read_small_file(&buf, &len, real, REPRO_SPEC_MAX, err) < 0) {
		if (err)
			err->code = SR_EINVAL;
		return SR_EINVAL;
	}
	sr_hash_hex(buf, len, have);
	if (!want_hash || strcmp(want_hash, have)) {
		if (!allow_changed) {
			free(buf);
			return sr_err_set(err, SR_EINVAL,
					  "the spec %s is not the one the record ran: spec_hash %s "
					  "in the report, %s on disk (--allow-changed-spec runs it "
					  "anyway)",
					  path, want_hash ? want_hash : "(none)", have);
		}
		sr_log("--allow-changed-spec: the spec %s changed since the record: spec_hash %s "
		       "in the report, %s now; its command, payloads, limits and network policy "
		       "are today's",
		       path, want_hash ? want_hash : "(none)", have);
	}
	dir = xstrdup(real);
	slash = strrchr(dir, '/');
	slash[slash == dir] = '\0';
	rc = spec_parse(out, path, dir, buf, len, err);
	free(dir);
	free(buf);
	return rc;
}

int repro_image(char **ref, const struct catalogue *cat, const struct spec *s,
		const char *report_image, struct sr_err *err)
{
	const struct cat_entry *ent = catalogue_find(cat, s->toolchain);

	*ref = NULL;
	if (!ent)
		return sr_err_set(
		    err, SR_EINVAL,
		    "the spec's toolchain '%s' is not in the catalogue: repro runs only "
		    "the catalogue's image",
		    s->toolchain ? s->toolchain : "");
	*ref = cat_entry_ref(ent);
	if (report_image && strcmp(report_image, *ref)) {
		sr_err_set(err, SR_EINVAL,
			   "the record's image %s is not the catalogue's %s for toolchain '%s': "
			   "refused",
			   report_image, *ref, s->toolchain);
		free(*ref);
		*ref = NULL;
		return SR_EINVAL;
	}
	return 0;
}

/* The record's directory beneath the artifacts root: the last two
 * components of its artifact_dir, each a plain name. */
static char *record_subdir(const char *artifact_dir)
{
	const char *end = artifact_dir + strlen(artifact_dir), *a, *b;
	char *rel;

	while (end > artifact_dir && end[-1] == '/')
		end--;
	for (b = end; b > artifact_dir && b[-1] != '/'; b--)
		;
	a = b > artifact_dir ? b - 1 : b;
	while (a > artifact_dir && a[-1] == '/')
		a--;
	for (; a > artifact_dir && a[-1] != '/'; a--)
		;
	rel = xstrndup(a, (size_t)(end - a));
	if (!fs_rel_plain(rel) || !strchr(rel, '/')) {
		free(rel);
		return NULL;
	}
	return rel;
}

int repro_copy_input(const char *art_root, const char *artifact_dir, const char *art,
		     const char *dest, struct sr_err *err)
{
	char *sub = record_subdir(artifact_dir), *rel;
	int root, in, rc;
	struct stat st;

	if (!sub || !fs_rel_plain(art)) {
		free(sub);
		return sr_err_set(
		    err, SR_EINVAL,
		    "the record's saved input '%s' (artifact_dir '%s') is not a plain "
		    "relative name: refused",
		    art, artifact_dir);
	}
	rel = xasprintf("%s/%s", sub, art);
	free(sub);
	root = open(art_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		rc = sr_err_set(err, SR_EINVAL, "cannot open the artifacts root '%s': %s", art_root,
				strerror(errno));
		free(rel);
		return rc;
	}
	in = fs_open_beneath(root, rel, O_RDONLY | O_NONBLOCK);
	close(root);
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = sr_err_set(err, SR_EINVAL,
				"the saved input '%s' is not a regular file beneath the artifacts "
				"root %s (no link followed): %s",
				rel, art_root, in < 0 ? strerror(errno) : "not a regular file");
		if (in >= 0)
			close(in);
		free(rel);
		return rc;
	}
	rc = fs_copy_in(in, rel, dest, art, (uint64_t)st.st_size, err);
	close(in);
	free(rel);
	return rc;
}
