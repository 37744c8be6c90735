/* Verdict records and run metadata: lifetime and the failure rule. */
#include "runner/verdict/record.h"

#include <string.h>

void record_init(struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->outcome = OUTCOME_ERROR; /* nothing known yet */
	r->expected = OUTCOME_NONE;
	r->exit_code = -1;
	r->runs = 1;
	r->confirm = 1;
	r->worker = -1;
}

void record_selector(struct strbuf *out, const char *harness, const char *payload, const char *k)
{
	strbuf_addstr(out, harness ? harness : "");
	if (payload && *payload)
		strbuf_addf(out, "[%s]", payload);
	if (k)
		strbuf_addf(out, "#%s", k);
}

void record_release(struct record *r)
{
	free(r->harness);
	free(r->payload);
	free(r->spec_path);
	free(r->spec_hash);
	free(r->cause);
	free(r->image);
	free(r->evidence.oob_json);
	free(r->evidence.stubs_json);
	free(r->evidence.untokened_json);
	free(r->evidence.stdout_tail);
	free(r->evidence.stderr_tail);
	free(r->evidence.artifact_dir);
	free(r->evidence.stdout_file);
	free(r->evidence.stderr_file);
	free(r->crash_json);
	free(r->signature);
	free(r->fuzz_json);
	strvec_clear(&r->evidence.artifacts);
	strvec_clear(&r->repro);
	strvec_clear(&r->engine_argv);
	free(r->container);
	free(r->isolation.runtime);
	free(r->isolation.seccomp);
	free(r->token);
	record_init(r);
}

bool record_failed(const struct record *r)
{
	if (r->expected != OUTCOME_NONE)
		return r->outcome != r->expected;
	return r->outcome == OUTCOME_ERROR;
}

void run_meta_release(struct run_meta *m)
{
	free(m->run_id);
	free(m->host);
	free(m->engine);
	free(m->engine_version);
	free(m->catalogue_path);
	free(m->catalogue_hash);
	free(m->git_head);
	free(m->unattributed_json);
	free(m->tool_version);
	free(m->fingerprint);
	memset(m, 0, sizeof(*m));
	m->git_dirty = -1;
}
