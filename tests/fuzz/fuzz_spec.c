/* Fuzz target for the harness spec parser: any bytes through spec_parse give
 * either a spec or SR_EINVAL with a "file:line:col: " message, never a crash,
 * a hang or a leak. Relative paths resolve against a scratch directory that
 * holds a subdirectory, a file and symlinks pointing in and out, so the path
 * checks run too. Build with -fsanitize=fuzzer, or with -DFUZZ_STANDALONE
 * for a main() that replays the files named on its command line. The same
 * bytes are also read as a .sandrunignore and matched against a few paths:
 * the gitignore matcher must neither crash nor hang. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/spec/spec.h"
#include "runner/spec/spec_ignore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[64];

static void scratch_remove(void)
{
	static const char *const names[] = {"out", "in", "f", "work/x", "work"};
	for (size_t i = 0; i < SR_ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", scratch, names[i]);
		remove(p);
		free(p);
	}
	rmdir(scratch);
}

static void scratch_create(void)
{
	char *p;
	FILE *f;

	strcpy(scratch, "/tmp/fuzz_spec.XXXXXX");
	if (!mkdtemp(scratch))
		abort();
	p = xasprintf("%s/work", scratch);
	if (mkdir(p, 0755) < 0)
		abort();
	free(p);
	p = xasprintf("%s/work/x", scratch);
	if (mkdir(p, 0755) < 0)
		abort();
	free(p);
	p = xasprintf("%s/f", scratch);
	if (!(f = fopen(p, "w")))
		abort();
	fclose(f);
	free(p);
	p = xasprintf("%s/out", scratch);
	if (symlink("/", p) < 0)
		abort();
	free(p);
	p = xasprintf("%s/in", scratch);
	if (symlink("work", p) < 0)
		abort();
	free(p);
	atexit(scratch_remove);
}

/* "fuzz.yaml:<line>:<col>: " followed by something. */
static int well_formed(const char *msg)
{
	const char *p = msg + strlen("fuzz.yaml:");

	if (strncmp(msg, "fuzz.yaml:", strlen("fuzz.yaml:")))
		return 0;
	for (int field = 0; field < 2; field++) {
		if (*p < '1' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p++ != ':')
			return 0;
	}
	return *p == ' ' && p[1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sr_err err = SR_ERR_INIT;
	struct spec s;
	int rc;

	if (!scratch[0])
		scratch_create();
	{
		static const char *const paths[] = {"a.yaml", "x/y/z.yml", "drafts", "a/b/c/d/e/f"};
		struct spec_ignore *ig = spec_ignore_parse((const char *)data, size);
		for (size_t i = 0; i < SR_ARRAY_SIZE(paths); i++) {
			spec_ignore_match(ig, paths[i], false);
			spec_ignore_match(ig, paths[i], true);
		}
		spec_ignore_free(ig);
	}
	rc = spec_parse(&s, "fuzz.yaml", scratch, (const char *)data, size, &err);
	if (rc == 0) {
		if (!s.name || !s.toolchain || !s.command.nr || !s.npayloads || !s.repeat ||
		    !s.timeout_ms || s.repeat > 1000)
			abort();
		if (s.workdir && strncmp(s.workdir, s.dir, strlen(s.dir)))
			abort();
		for (size_t i = 0; i < s.nstubs; i++)
			if (s.stubs[i].path && strncmp(s.stubs[i].path, s.dir, strlen(s.dir)))
				abort();
		spec_release(&s);
	} else if (rc != SR_EINVAL || err.code != SR_EINVAL || !well_formed(err.msg)) {
		fprintf(stderr, "bad error: rc %d, '%s'\n", rc, err.msg);
		abort();
	}
	return 0;
}

#ifdef FUZZ_STANDALONE
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct sr_err err = SR_ERR_INIT;
		char *buf;
		size_t len;

		if (sr_read_file(argv[i], &buf, &len, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		free(buf);
	}
	return 0;
}
#endif
