/* SARIF locations of crash results (sarif_loc.h). */
#include "runner/report/sarif_loc.h"

#include <string.h>

#include "runner/report/report_int.h"

void sarif_uri_path(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
			strbuf_addch(sb, (char)c);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

/* path with its leading "./" components dropped. */
static const char *skip_dot(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		for (p += 2; *p == '/'; p++)
			;
	return p;
}

static void relative(struct strbuf *sb, const char *rel, const char *base_id)
{
	struct strbuf uri = STRBUF_INIT;

	sarif_uri_path(&uri, skip_dot(rel));
	strbuf_addstr(sb, "{\"uri\": ");
	json_add_str(sb, uri.buf);
	strbuf_addstr(sb, ", \"uriBaseId\": ");
	json_add_str(sb, base_id);
	strbuf_addch(sb, '}');
	strbuf_release(&uri);
}

/* The part of path below dir ("" when equal), or NULL when it is not. */
static const char *below(const char *path, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (!n || strncmp(path, dir, n) || (path[n] && path[n] != '/'))
		return NULL;
	return path[n] ? path + n + 1 : path + n;
}

void sarif_file_location(struct strbuf *sb, const char *path, const char *cwd)
{
	const char *rel = path[0] == '/' ? below(path, cwd) : path;
	struct strbuf uri = STRBUF_INIT;

	if (rel && *rel) {
		relative(sb, rel, "%SRCROOT%");
		return;
	}
	strbuf_addstr(&uri, "file://");
	sarif_uri_path(&uri, path);
	strbuf_addstr(sb, "{\"uri\": ");
	json_add_str(sb, uri.buf);
	strbuf_addch(sb, '}');
	strbuf_release(&uri);
}

/* Map file by the first FROM=TO whose FROM is a directory prefix of it. */
static char *source_mapped(const char *file, const struct strvec *map)
{
	for (size_t i = 0; map && i < map->nr; i++) {
		const char *eq = strchr(map->v[i], '='), *rest;
		char *from;
		if (!eq)
			continue;
		from = xstrndup(map->v[i], (size_t)(eq - map->v[i]));
		rest = below(file, from);
		free(from);
		if (rest && *rest)
			return eq[1] ? xasprintf("%s/%s", eq + 1, rest) : xstrdup(rest);
	}
	return NULL;
}

/* The first frame that names a file and a line. */
static const char *top_file(const struct json_value *crash, int *line)
{
	const struct json_value *fr = json_get(crash, "frames");

	for (size_t i = 0; fr && fr->type == JSON_ARRAY && i < fr->u.arr.n; i++) {
		const struct json_value *f = fr->u.arr.v[i], *l = json_get(f, "line");
		const char *file = json_str(json_get(f, "file"));
		if (file && *file && l && l->type == JSON_NUMBER && l->u.num.v >= 1 &&
		    l->u.num.v < 1e9) {
			*line = (int)l->u.num.v;
			return file;
		}
	}
	return NULL;
}

bool sarif_crash_location(struct strbuf *sb, int *line, const struct json_value *crash,
			  const char *cwd, const struct strvec *source_map, const char *tok)
{
	const struct json_value *loc = json_get(crash, "location");
	const char *host = json_str(json_get(loc, "file")), *frame = top_file(crash, line);
	char *f = NULL, *m;

	if (!frame) { /* an older record: the resolved location alone */
		const struct json_value *l = json_get(loc, "line");
		if (!host || !l || l->type != JSON_NUMBER || l->u.num.v < 1 || l->u.num.v >= 1e9)
			return false;
		*line = (int)l->u.num.v;
		f = report_redact(host, tok);
		sarif_file_location(sb, f, cwd);
		free(f);
		return true;
	}
	if (host && (!strncmp(frame, "/work/", 6) || (host[0] == '/' && below(host, cwd)))) {
		f = report_redact(host, tok);
		sarif_file_location(sb, f, cwd);
	} else if (frame[0] == '/' && below(frame, cwd) && *below(frame, cwd)) {
		f = report_redact(frame, tok);
		sarif_file_location(sb, f, cwd);
	} else if ((m = source_mapped(frame, source_map))) {
		f = report_redact(m, tok);
		free(m);
		sarif_file_location(sb, f, cwd);
	} else {
		f = report_redact(frame, tok);
		relative(sb, f[0] == '/' ? f + 1 : f, f[0] == '/' ? SARIF_BUILDROOT : "%SRCROOT%");
	}
	free(f);
	return true;
}
