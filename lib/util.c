#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sr_err_set(struct sr_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int sr_err_wrap(struct sr_err *err, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;
	va_list ap;

	if (!err)
		return SR_EFAIL;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addstr(&sb, ": ");
	strbuf_addstr(&sb, err->msg);
	n = sb.len < sizeof(err->msg) - 1 ? sb.len : sizeof(err->msg) - 1;
	memcpy(err->msg, sb.buf, n);
	err->msg[n] = '\0';
	strbuf_release(&sb);
	if (!err->code)
		err->code = SR_EFAIL;
	return err->code;
}

void sr_err_clear(struct sr_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

static void die_oom(void)
{
	static const char msg[] = "sandrun: out of memory\n";
	ssize_t r = write(2, msg, sizeof(msg) - 1);
	(void)r;
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die_oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom();
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb, NULL);
}

void *xgrow(void *p, size_t sz, size_t nr, size_t *alloc)
{
	size_t n;

	if (nr <= *alloc)
		return p;
	n = *alloc ? *alloc : 8;
	while (n < nr) {
		if (n > SIZE_MAX / 2)
			die_oom();
		n *= 2;
	}
	if (sz && n > SIZE_MAX / sz)
		die_oom();
	p = xrealloc(p, n * sz);
	*alloc = n;
	return p;
}

char sr_strbuf_slop[1];

void strbuf_init(struct strbuf *sb)
{
	sb->buf = sr_strbuf_slop;
	sb->len = sb->alloc = 0;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	bool fresh = !sb->alloc;

	if (sb->len > SIZE_MAX - extra - 1)
		die_oom();
	if (fresh)
		sb->buf = NULL;
	sb->buf = xgrow(sb->buf, 1, sb->len + extra + 1, &sb->alloc);
	if (fresh)
		sb->buf[0] = '\0';
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (len > sb->len)
		len = sb->len;
	sb->len = len;
	if (sb->alloc)
		sb->buf[len] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_add_tail(struct strbuf *sb, const void *data, size_t n, size_t cap)
{
	const char *d = data;

	if (n >= cap) {
		strbuf_reset(sb);
		strbuf_add(sb, d + n - cap, cap);
		return;
	}
	strbuf_add(sb, d, n);
	if (sb->len > 2 * cap) {
		memmove(sb->buf, sb->buf + sb->len - cap, cap);
		strbuf_setlen(sb, cap);
	}
}

void strbuf_trim_tail(struct strbuf *sb, size_t cap)
{
	if (sb->len > cap) {
		memmove(sb->buf, sb->buf + sb->len - cap, cap);
		strbuf_setlen(sb, cap);
	}
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	strbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *p;

	if (!sb->alloc)
		strbuf_grow(sb, 0);
	p = sb->buf;
	if (len)
		*len = sb->len;
	strbuf_init(sb);
	return p;
}

const char *strbuf_str(const struct strbuf *sb)
{
	/* NULL only for a zeroed struct that was never initialised. */
	return sb->buf ? sb->buf : sr_strbuf_slop;
}

void strvec_push(struct strvec *sv, const char *s)
{
	SR_GROW(sv->v, sv->nr + 2, sv->alloc);
	sv->v[sv->nr++] = xstrdup(s);
	sv->v[sv->nr] = NULL;
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	SR_GROW(sv->v, sv->nr + 2, sv->alloc);
	sv->v[sv->nr++] = strbuf_detach(&sb, NULL);
	sv->v[sv->nr] = NULL;
}

void strvec_pushv(struct strvec *sv, const char *const *v)
{
	for (; v && *v; v++)
		strvec_push(sv, *v);
}

void strvec_clear(struct strvec *sv)
{
	for (size_t i = 0; i < sv->nr; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->nr = sv->alloc = 0;
}

char *const *strvec_argv(struct strvec *sv)
{
	if (!sv->v) {
		SR_GROW(sv->v, 1, sv->alloc);
		sv->v[0] = NULL;
	}
	return sv->v;
}

size_t sr_utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

void strbuf_add_utf8(struct strbuf *sb, uint32_t cp)
{
	if (cp < 0x80) {
		strbuf_addch(sb, (char)cp);
	} else if (cp < 0x800) {
		strbuf_addch(sb, (char)(0xc0 | (cp >> 6)));
		strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		strbuf_addch(sb, (char)(0xe0 | (cp >> 12)));
		strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
		strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
	} else {
		strbuf_addch(sb, (char)(0xf0 | (cp >> 18)));
		strbuf_addch(sb, (char)(0x80 | ((cp >> 12) & 0x3f)));
		strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
		strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
	}
}

void json_add_strn(struct strbuf *sb, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	strbuf_addch(sb, '"');
	while (i < len) {
		unsigned char c = s[i];
		size_t k;

		switch (c) {
		case '"':
			strbuf_addstr(sb, "\\\"");
			i++;
			continue;
		case '\\':
			strbuf_addstr(sb, "\\\\");
			i++;
			continue;
		case '\n':
			strbuf_addstr(sb, "\\n");
			i++;
			continue;
		case '\r':
			strbuf_addstr(sb, "\\r");
			i++;
			continue;
		case '\t':
			strbuf_addstr(sb, "\\t");
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			strbuf_addf(sb, "\\u%04x", c);
			i++;
			continue;
		}
		k = sr_utf8_len(s + i, len - i);
		if (!k) {
			strbuf_addstr(sb, "\\ufffd");
			i++;
			continue;
		}
		strbuf_add(sb, s + i, k);
		i += k;
	}
	strbuf_addch(sb, '"');
}

void json_add_str(struct strbuf *sb, const char *s)
{
	if (!s) {
		strbuf_addstr(sb, "null");
		return;
	}
	json_add_strn(sb, s, strlen(s));
}

uint64_t sr_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t sr_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sr_fmt_time(char *out, size_t outsz, uint64_t wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outsz, "%s.%03uZ", base, (unsigned)(wall_ms % 1000));
}

int sr_random(void *buf, size_t len, struct sr_err *err)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sr_err_set(err, SR_EFAIL, "getrandom: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sr_token(char out[33], struct sr_err *err)
{
	unsigned char raw[16];
	static const char hex[] = "0123456789abcdef";

	if (sr_random(raw, sizeof(raw), err) < 0)
		return SR_EFAIL;
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[32] = '\0';
	return 0;
}

/* Parse a decimal (possibly fractional) number prefix; returns chars used. */
static size_t parse_num(const char *s, double *out)
{
	size_t i = 0;
	double v = 0, frac = 0.1;
	bool digits = false;

	while (s[i] >= '0' && s[i] <= '9') {
		v = v * 10 + (s[i] - '0');
		i++;
		digits = true;
	}
	if (s[i] == '.') {
		i++;
		while (s[i] >= '0' && s[i] <= '9') {
			v += (s[i] - '0') * frac;
			frac /= 10;
			i++;
			digits = true;
		}
	}
	if (!digits)
		return 0;
	*out = v;
	return i;
}

int sr_parse_duration_ms(const char *s, uint64_t *out)
{
	double v, mul;
	size_t n = parse_num(s, &v);
	const char *u = s + n;

	if (!n)
		return SR_EINVAL;
	if (!*u || !strcmp(u, "s"))
		mul = 1000;
	else if (!strcmp(u, "ms"))
		mul = 1;
	else if (!strcmp(u, "m"))
		mul = 60000;
	else if (!strcmp(u, "h"))
		mul = 3600000;
	else
		return SR_EINVAL;
	v *= mul;
	if (v > 1e15)
		return SR_EINVAL;
	*out = (uint64_t)(v + 0.5);
	return 0;
}

int sr_parse_size(const char *s, uint64_t *out)
{
	double v, mul = 1;
	size_t n = parse_num(s, &v);
	const char *u = s + n;

	if (!n)
		return SR_EINVAL;
	switch (*u) {
	case '\0':
		break;
	case 'b':
	case 'B':
		u++;
		break;
	case 'k':
	case 'K':
		mul = 1024.0;
		u++;
		break;
	case 'm':
	case 'M':
		mul = 1024.0 * 1024;
		u++;
		break;
	case 'g':
	case 'G':
		mul = 1024.0 * 1024 * 1024;
		u++;
		break;
	default:
		return SR_EINVAL;
	}
	if (mul > 1 && (*u == 'b' || *u == 'B'))
		u++;
	else if (mul > 1 && (*u == 'i') && (u[1] == 'b' || u[1] == 'B'))
		u += 2;
	if (*u)
		return SR_EINVAL;
	v *= mul;
	if (v > 1e18)
		return SR_EINVAL;
	*out = (uint64_t)v;
	return 0;
}

int sr_read_file(const char *path, char **out, size_t *len, struct sr_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return sr_err_set(err, SR_EINVAL, "cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sr_err_set(err, SR_EFAIL, "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			strbuf_release(&sb);
			return SR_EFAIL;
		}
		if (!n)
			break;
		strbuf_add(&sb, buf, (size_t)n);
	}
	close(fd);
	*out = strbuf_detach(&sb, len);
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A device or FIFO is written in place: renaming over it would replace the
 * node with a regular file. fsync is meaningless on most of them. */
static int write_in_place(const char *path, const char *data, size_t len, struct sr_err *err)
{
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return sr_err_set(err, SR_EFAIL, "cannot open '%s': %s", path, strerror(errno));
	if (write_all(fd, data, len) < 0 ||
	    (fsync(fd) < 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP)) {
		int e = errno;
		close(fd);
		return sr_err_set(err, SR_EFAIL, "cannot write '%s': %s", path, strerror(e));
	}
	if (close(fd) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

/* Where a report path leads: path itself unless it is a symlink, else the
 * end of its chain of links, with the directory resolved; a dangling link
 * names the file to create (its directory must exist). NULL/errno. */
static char *link_target(const char *path)
{
	char *cur = xstrdup(path);

	for (int i = 0; i < 40; i++) {
		char buf[PATH_MAX], *slash, *next;
		struct stat st;
		ssize_t n;

		if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode)) {
			char *dir, *real, *out;
			if (i == 0)
				return cur;
			slash = strrchr(cur, '/');
			dir = slash ? xstrndup(cur, (size_t)(slash - cur)) : xstrdup(".");
			real = realpath(*dir ? dir : "/", NULL);
			free(dir);
			out = real ? xasprintf("%s/%s", strcmp(real, "/") ? real : "",
					       slash ? slash + 1 : cur)
				   : NULL;
			free(real);
			free(cur);
			return out;
		}
		if ((n = readlink(cur, buf, sizeof(buf) - 1)) < 0) {
			free(cur);
			return NULL;
		}
		buf[n] = '\0';
		slash = strrchr(cur, '/');
		next = buf[0] == '/' || !slash ? xstrdup(buf)
					       : xasprintf("%.*s/%s", (int)(slash - cur), cur, buf);
		free(cur);
		cur = next;
	}
	free(cur);
	errno = ELOOP;
	return NULL;
}

int sr_write_file_atomic(const char *path, const char *data, size_t len, struct sr_err *err)
{
	char *target = NULL, *tmp = NULL;
	unsigned char rnd[8];
	struct stat st;
	mode_t mode = 0644;
	int fd = -1, rc;

	if (!strcmp(path, "-")) {
		if (write_all(STDOUT_FILENO, data, len) < 0)
			return sr_err_set(err, SR_EFAIL, "cannot write to standard output: %s",
					  strerror(errno));
		return 0;
	}

	/* A symlink is followed: the file it names is replaced (or created,
	 * for a dangling link), the link kept. */
	if (!(target = link_target(path)))
		return sr_err_set(err, SR_EFAIL, "cannot resolve '%s': %s", path, strerror(errno));
	if (stat(target, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			rc = sr_err_set(err, SR_EFAIL, "cannot write '%s': Is a directory", path);
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = write_in_place(target, data, len, err);
			goto out;
		}
		mode = st.st_mode & 07777;
	}
	/* An unpredictable name created exclusively, never through a link. */
	if ((rc = sr_random(rnd, sizeof(rnd), err)))
		goto out;
	tmp = xasprintf("%s.sandrun-%02x%02x%02x%02x%02x%02x%02x%02x", target, rnd[0], rnd[1],
			rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = sr_err_set(err, SR_EFAIL, "cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0)
		goto fail;
	rc = close(fd);
	fd = -1;
	if (rc < 0 || rename(tmp, target) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	rc = sr_err_set(err, SR_EFAIL, "cannot write '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(target);
	return rc;
}

int sr_check_writable(const char *path, struct sr_err *err)
{
	struct stat st;
	char *dir, *slash;
	int rc = 0;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return sr_err_set(err, SR_EINVAL, "cannot write '%s': Is a directory",
					  path);
		if (!S_ISREG(st.st_mode))
			return access(path, W_OK) == 0
				   ? 0
				   : sr_err_set(err, SR_EINVAL, "cannot write '%s': %s", path,
						strerror(errno));
	}
	/* A regular file is replaced by rename: its directory must take a new
	 * file (for a symlink, the directory of the file it names). */
	dir = link_target(path);
	if (!dir)
		dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (!slash) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		rc = sr_err_set(err, SR_EINVAL, "cannot write '%s': directory '%s' %s", path, dir,
				errno == ENOENT || !S_ISDIR(st.st_mode) ? "does not exist"
									: strerror(errno));
	else if (access(dir, W_OK | X_OK) < 0)
		rc = sr_err_set(err, SR_EINVAL, "cannot write '%s': %s", path, strerror(errno));
	free(dir);
	return rc;
}
