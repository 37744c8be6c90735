/* Reading a JSON report (report_write_json, report_merge) back into records,
 * so that `report merge` can write every format the run itself can. */
#ifndef SR_REPORT_READ_H
#define SR_REPORT_READ_H

#include "runner/verdict/record.h"

/* Parse the report at path: *recs (n records, record_release each, then
 * free) and *meta (run_meta_release). A record's confirm comes from the
 * "verdicts" entry that lists its seq. Tokens are already redacted in a
 * report, so records carry none. Malformed input is SR_EINVAL with
 * "file:line:col: what". */
int report_read(struct record **recs, size_t *n, struct run_meta *meta, const char *path,
		struct sr_err *err);

struct json_value;
/* The same from a parsed document; path only names it in messages. */
int report_read_doc(struct record **recs, size_t *n, struct run_meta *meta,
		    const struct json_value *doc, const char *path, struct sr_err *err);

#endif
