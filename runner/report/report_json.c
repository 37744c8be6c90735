/* The JSON report (DESIGN §7): one record per line, run metadata first. */
#include "runner/report/report_int.h"
#include "runner/report/diff.h"

/* ,"isolation":{...} of a record (left open for evidence to close). */
static void json_isolation(struct strbuf *out, const struct record *r)
{
	strbuf_addstr(out, ",\"isolation\":{\"network\":");
	json_add_str(out, r->isolation.network);
	strbuf_addf(out,
		    ",\"firewall\":%s,\"read_only\":%s,\"user\":", rep_jbool(r->isolation.firewall),
		    rep_jbool(r->isolation.read_only));
	json_add_str(out, r->isolation.user);
	strbuf_addf(out, ",\"work_bounded\":%s", rep_jbool(r->isolation.work_bounded));
	if (r->isolation.dns) {
		strbuf_addstr(out, ",\"dns\":");
		json_add_str(out, r->isolation.dns);
	}
	strbuf_addf(out, ",\"container_reused\":%s", rep_jbool(r->isolation.container_reused));
	if (r->isolation.runtime) {
		strbuf_addstr(out, ",\"runtime\":");
		json_add_str(out, r->isolation.runtime);
	}
	if (r->isolation.seccomp) {
		strbuf_addstr(out, ",\"seccomp\":");
		json_add_str(out, r->isolation.seccomp);
	}
}

/* "},"evidence":{...} of a record (left open for crash to close). */
static void json_evidence(struct strbuf *out, const struct record *r, const char *tok)
{
	strbuf_addstr(out, "},\"evidence\":{\"oob\":");
	rep_raw_array(out, r->evidence.oob_json, tok);
	strbuf_addstr(out, ",\"stubs\":");
	rep_raw_array(out, r->evidence.stubs_json, tok);
	strbuf_addstr(out, ",\"untokened\":");
	rep_raw_array(out, r->evidence.untokened_json, tok);
	strbuf_addstr(out, ",\"stdout_tail\":");
	rep_jstr(out, r->evidence.stdout_tail, tok);
	strbuf_addstr(out, ",\"stderr_tail\":");
	rep_jstr(out, r->evidence.stderr_tail, tok);
	strbuf_addstr(out, ",\"artifacts\":");
	rep_jstrvec(out, &r->evidence.artifacts, tok);
	strbuf_addstr(out, ",\"artifact_dir\":");
	rep_jstr(out, r->evidence.artifact_dir, tok);
	strbuf_addstr(out, ",\"stdout_file\":");
	rep_jstr(out, r->evidence.stdout_file, tok);
	strbuf_addstr(out, ",\"stderr_file\":");
	rep_jstr(out, r->evidence.stderr_file, tok);
	strbuf_addf(out, ",\"artifacts_dropped\":%u", r->evidence.artifacts_dropped);
}

void report_record_json(struct strbuf *out, const struct record *r)
{
	const char *tok = r->token;

	strbuf_addstr(out, "{\"harness\":");
	rep_jstr(out, r->harness ? r->harness : "", tok);
	strbuf_addstr(out, ",\"payload\":");
	rep_jstr(out, r->payload ? r->payload : "", tok);
	strbuf_addstr(out, ",\"outcome\":");
	rep_joutcome(out, r->outcome);
	strbuf_addstr(out, ",\"expected\":");
	rep_joutcome(out, r->expected);
	strbuf_addf(out, ",\"match\":%s", rep_jbool(!record_failed(r)));
	strbuf_addstr(out, ",\"phase\":");
	json_add_str(out, r->phase);
	strbuf_addstr(out, ",\"cause\":");
	rep_jstr(out, r->cause, tok);
	if (r->exit_code == -1)
		strbuf_addstr(out, ",\"exit_code\":null");
	else
		strbuf_addf(out, ",\"exit_code\":%d", r->exit_code);
	if (!r->signal)
		strbuf_addstr(out, ",\"signal\":null");
	else
		strbuf_addf(out, ",\"signal\":%d", r->signal);
	strbuf_addf(out, ",\"duration_ms\":%llu", (unsigned long long)r->duration_ms);
	strbuf_addf(out, ",\"fired\":\"%u/%u\"", r->fired, r->runs);
	strbuf_addstr(out, ",\"image\":");
	rep_jstr(out, r->image, tok);
	strbuf_addf(out, ",\"pinned\":%s,\"cached\":%s", rep_jbool(r->pinned),
		    rep_jbool(r->cached));
	json_isolation(out, r);
	json_evidence(out, r, tok);
	strbuf_addstr(out, "},\"crash\":");
	rep_raw_object(out, r->crash_json, tok);
	strbuf_addstr(out, ",\"fuzz\":");
	rep_raw_object(out, r->fuzz_json, tok);
	strbuf_addstr(out, ",\"repro\":");
	rep_jstrvec(out, &r->repro, tok);
	strbuf_addstr(out, ",\"engine_argv\":");
	rep_jstrvec(out, &r->engine_argv, tok);
	strbuf_addstr(out, ",\"spec\":");
	rep_jstr(out, r->spec_path, tok);
	strbuf_addstr(out, ",\"spec_hash\":");
	json_add_str(out, r->spec_hash);
	strbuf_addstr(out, ",\"container\":");
	rep_jstr(out, r->container, tok);
	strbuf_addf(out, ",\"repeat\":%u}", r->repeat_index + 1);
}

/* The report document layout shared by report_write_json and report_merge:
 * one run field a line, one record a line, so that reports diff well. */

int report_write_json(const char *path, const struct run_meta *m, const struct record *recs,
		      size_t n, struct sr_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t counts[NOUTCOMES], failed = rep_tally(recs, n, counts);
	bool first = true;
	int rc;

	rep_doc_open_run(&sb);
	rep_doc_field(&sb, &first, "run_id");
	json_add_str(&sb, m->run_id);
	rep_doc_field(&sb, &first, "sandrun_version");
	json_add_str(&sb, m->tool_version);
	rep_doc_field(&sb, &first, "started");
	rep_time(&sb, m->start_wall_ms);
	rep_doc_field(&sb, &first, "finished");
	rep_time(&sb, m->end_wall_ms);
	rep_doc_field(&sb, &first, "host");
	json_add_str(&sb, m->host);
	rep_doc_field(&sb, &first, "engine");
	json_add_str(&sb, m->engine);
	rep_doc_field(&sb, &first, "engine_version");
	json_add_str(&sb, m->engine_version);
	rep_doc_field(&sb, &first, "catalogue");
	strbuf_addstr(&sb, "{\"path\": ");
	json_add_str(&sb, m->catalogue_path);
	strbuf_addstr(&sb, ", \"xxh64\": ");
	json_add_str(&sb, m->catalogue_hash);
	strbuf_addstr(&sb, "}");
	rep_doc_field(&sb, &first, "git");
	strbuf_addstr(&sb, "{\"head\": ");
	json_add_str(&sb, m->git_head);
	strbuf_addstr(&sb, ", \"dirty\": ");
	strbuf_addstr(&sb, m->git_dirty < 0 ? "null" : rep_jbool(m->git_dirty));
	strbuf_addstr(&sb, "}");
	rep_doc_field(&sb, &first, "interrupted");
	strbuf_addstr(&sb, rep_jbool(m->interrupted));
	rep_doc_field(&sb, &first, "shard");
	if (m->shard_n)
		strbuf_addf(&sb, "{\"index\": %u, \"count\": %u}", m->shard_k, m->shard_n);
	else
		strbuf_addstr(&sb, "null");
	rep_doc_field(&sb, &first, "fingerprint");
	json_add_str(&sb, m->fingerprint);
	rep_doc_field(&sb, &first, "counts");
	rep_counts(&sb, counts);
	rep_doc_field(&sb, &first, "total");
	strbuf_addf(&sb, "%zu", n);
	rep_doc_field(&sb, &first, "failed");
	strbuf_addf(&sb, "%zu", failed);
	rep_doc_field(&sb, &first, "unattributed");
	rep_raw_array(&sb, m->unattributed_json, NULL);
	rep_doc_field(&sb, &first, "crash_groups");
	if (m->baseline) {
		report_diff_json_groups(&sb, recs, n, m->baseline);
		rep_doc_field(&sb, &first, "baseline");
		report_diff_json_baseline(&sb, m->baseline);
	} else {
		struct rep_crash_groups g = {0};
		rep_crash_groups_records(&g, recs, n);
		rep_crash_groups_json(&sb, &g);
		rep_crash_groups_release(&g);
	}
	rep_doc_open_records(&sb);
	for (size_t i = 0; i < n; i++) {
		rep_doc_record_sep(&sb, i);
		report_record_json(&sb, &recs[i]);
	}
	rep_doc_verdicts_marked(&sb, recs, n, m->baseline);
	rc = sr_write_file_atomic(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return rc;
}
