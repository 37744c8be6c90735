#include "runner/exec/cache.h"

#include <dirent.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/version.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/jsonparse.h"
#include "runner/report/report.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool hash_file(struct sr_hasher *h, const char *path)
{
	char *buf;
	size_t len;

	if (sr_read_file(path, &buf, &len, NULL) < 0)
		return false;
	sr_hasher_add(h, &len, sizeof(len));
	sr_hasher_add(h, buf, len);
	free(buf);
	return true;
}

/* Names, types, modes, link targets and contents, in sorted order. */
static bool hash_tree(struct sr_hasher *h, const char *dir, const char *rel, int depth)
{
	struct strvec names = STRVEC_INIT;
	struct dirent *de;
	DIR *d;
	bool ok = true;

	if (depth > 64 || !(d = opendir(dir)))
		return false;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strvec_push(&names, de->d_name);
	closedir(d);
	if (names.nr)
		qsort(names.v, names.nr, sizeof(char *), cmp_str);
	for (size_t i = 0; i < names.nr && ok; i++) {
		char *p = xasprintf("%s/%s", dir, names.v[i]);
		char *r = xasprintf("%s/%s", rel, names.v[i]);
		struct stat st;
		if (lstat(p, &st) < 0) {
			ok = false;
		} else {
			uint32_t mode = (uint32_t)st.st_mode;
			sr_hasher_add_str(h, r);
			sr_hasher_add(h, &mode, sizeof(mode));
			if (S_ISDIR(st.st_mode)) {
				ok = hash_tree(h, p, r, depth + 1);
			} else if (S_ISLNK(st.st_mode)) {
				char target[PATH_MAX];
				ssize_t n = readlink(p, target, sizeof(target) - 1);
				if (n < 0)
					ok = false;
				else
					sr_hasher_add(h, target, (size_t)n);
			} else if (S_ISREG(st.st_mode)) {
				ok = hash_file(h, p);
			}
		}
		free(p);
		free(r);
	}
	strvec_clear(&names);
	return ok;
}

char *cache_key(const struct spec *s, size_t payload, unsigned repeat, const char *image,
		bool pinned, double timeout_scale)
{
	struct sr_hasher *h;
	char hex[17], scale[32];
	bool ok;

	if (!pinned || !image)
		return NULL;
	h = sr_hasher_new();
	sr_hasher_add_str(h, "sandrun-cache-v1");
	sr_hasher_add_str(h, SANDRUN_VERSION);
	ok = hash_file(h, s->path);
	if (ok && s->workdir)
		ok = hash_tree(h, s->workdir, "", 0);
	for (size_t i = 0; ok && i < s->nstubs; i++)
		if (s->stubs[i].kind == STUB_FS)
			ok = hash_tree(h, s->stubs[i].path, s->stubs[i].name, 0);
	sr_hasher_add_str(h, image);
	sr_hasher_add_str(h, s->payloads[payload].name);
	sr_hasher_add_str(h, s->payloads[payload].value);
	sr_hasher_add(h, &repeat, sizeof(repeat));
	snprintf(scale, sizeof(scale), "%g", timeout_scale);
	sr_hasher_add_str(h, scale);
	sr_hasher_finish(h, hex);
	return ok ? xstrdup(hex) : NULL;
}

static char *dup_json(const struct json_value *v)
{
	struct strbuf sb = STRBUF_INIT;

	if (!v || v->type != JSON_ARRAY)
		return NULL;
	json_serialize(&sb, v);
	return strbuf_detach(&sb, NULL);
}

int cache_load(const char *dir, const char *key, struct record *rec)
{
	char *path = xasprintf("%s/%s.json", dir, key);
	struct json_value *doc = NULL;
	const struct json_value *v, *ev;
	enum outcome o;
	int hit = 0;

	if (access(path, R_OK) < 0 || json_parse_file(&doc, path, NULL) < 0)
		goto done;
	v = json_get(doc, "outcome");
	if (!json_str(v) || (o = outcome_from_name(json_str(v))) == OUTCOME_NONE ||
	    o == OUTCOME_ERROR)
		goto done;
	rec->outcome = o;
	rec->phase = "run";
	free(rec->cause);
	rec->cause =
	    json_str(json_get(doc, "cause")) ? xstrdup(json_str(json_get(doc, "cause"))) : NULL;
	v = json_get(doc, "exit_code");
	rec->exit_code = v && v->type == JSON_NUMBER ? (int)v->u.num.v : -1;
	v = json_get(doc, "signal");
	rec->signal = v && v->type == JSON_NUMBER ? (int)v->u.num.v : 0;
	v = json_get(doc, "fired_self");
	rec->fired = v && v->type == JSON_BOOL && v->u.b ? 1 : 0;
	ev = json_get(doc, "evidence");
	rec->evidence.oob_json = dup_json(json_get(ev, "oob"));
	rec->evidence.stubs_json = dup_json(json_get(ev, "stubs"));
	if (json_str(json_get(ev, "stdout_tail")))
		rec->evidence.stdout_tail = xstrdup(json_str(json_get(ev, "stdout_tail")));
	if (json_str(json_get(ev, "stderr_tail")))
		rec->evidence.stderr_tail = xstrdup(json_str(json_get(ev, "stderr_tail")));
	if (json_str(json_get(ev, "artifact_dir")))
		rec->evidence.artifact_dir = xstrdup(json_str(json_get(ev, "artifact_dir")));
	report_read_crash_fields(rec, doc);
	v = json_get(ev, "artifacts");
	for (size_t i = 0; v && v->type == JSON_ARRAY && i < v->u.arr.n; i++)
		if (json_str(v->u.arr.v[i]))
			strvec_push(&rec->evidence.artifacts, json_str(v->u.arr.v[i]));
	rec->cached = true;
	hit = 1;
done:
	json_free(doc);
	free(path);
	return hit;
}

void cache_store(const char *dir, const char *key, const struct record *rec)
{
	struct strbuf sb = STRBUF_INIT;
	struct sr_err err = SR_ERR_INIT;
	char *path;

	if (rec->outcome == OUTCOME_ERROR)
		return;
	if (fs_mkdirs(dir, 0755, &err) < 0) {
		sr_debug("cache: %s", err.msg);
		return;
	}
	report_record_json(&sb, rec);
	/* The record's own "fired" is the payload's k/n: keep this run's bit too. */
	if (sb.len && sb.buf[sb.len - 1] == '}') {
		sb.len--;
		strbuf_addf(&sb, ",\"fired_self\":%s}", rec->fired ? "true" : "false");
	}
	path = xasprintf("%s/%s.json", dir, key);
	if (sr_write_file_atomic(path, sb.buf, sb.len, &err) < 0)
		sr_debug("cache: %s", err.msg);
	free(path);
	strbuf_release(&sb);
}
