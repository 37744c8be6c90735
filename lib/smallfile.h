/* Reading input files that must be small regular files (specs, catalogues):
 * a device, FIFO, socket or directory given where a file is expected, or a
 * file over the caller's limit, is refused before anything is read into
 * memory, so `sandrun run /dev/zero` or a FIFO fails at once. */
#ifndef SR_SMALLFILE_H
#define SR_SMALLFILE_H

#include <sys/stat.h>

#include "lib/util.h"

/* Read the regular file at path, of at most max bytes, into *out
 * (NUL-terminated, owned by the caller) and its length into *outlen. The file
 * is opened without blocking (a FIFO cannot stall the caller) and checked with
 * fstat on the opened descriptor. Errors, all SR_EINVAL except a failing
 * read(2) (SR_EFAIL): "cannot open 'PATH': <strerror>", "cannot read 'PATH':
 * not a regular file (a FIFO)" and likewise for directories, devices and
 * sockets, "cannot read 'PATH': larger than 1 MiB". On error *out is NULL. */
int sr_read_small_file(char **out, size_t *outlen, const char *path, size_t max,
		       struct sr_err *err);

/* The same for an fd the caller opened (and closes); path names it in
 * messages. st_out (may be NULL) gets what fstat said, even on error. A file
 * whose size fstat gave is read with one read(2). */
int sr_read_small_fd(char **out, size_t *outlen, int fd, const char *path, size_t max,
		     struct stat *st_out, struct sr_err *err);

#endif
