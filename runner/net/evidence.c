#include "runner/net/evidence.h"

#include <stdio.h>
#include <string.h>

#include "runner/net/proto.h"

#define REC_OVERHEAD (sizeof(struct ev_rec) + 64) /* struct, summary, list slot */
#define CAUSE_TEXT   160			  /* bytes of text quoted in a cause */
#define JSON_RESERVE 64				  /* room kept for the truncation marker */
#define ENTRY_DATA   4096

static void set_token(struct ev_store *st, const char *token)
{
	st->toklen = token ? strlen(token) : 0;
	if (st->toklen >= sizeof(st->token))
		st->toklen = sizeof(st->token) - 1;
	memcpy(st->token, token ? token : "", st->toklen);
	st->token[st->toklen] = '\0';
}

void ev_init(struct ev_store *st, const char *token, size_t budget)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	set_token(st, token);
	st->budget = budget;
}

static void rec_free(struct ev_rec *r)
{
	if (!r)
		return;
	free(r->summary);
	strbuf_release(&r->data);
	free(r);
}

void ev_release(struct ev_store *st)
{
	for (size_t i = 0; i < st->noob; i++)
		rec_free(st->oob[i]);
	for (size_t i = 0; i < st->nstub; i++)
		rec_free(st->stub[i]);
	free(st->oob);
	free(st->stub);
	free(st->fired_dropped_cause);
	pthread_mutex_destroy(&st->lock);
	memset(st, 0, sizeof(*st));
}

static void add_cause(struct strbuf *sb, const struct ev_rec *r)
{
	strbuf_addf(sb, "oob %s ", r->proto);
	if (r->summary)
		strbuf_addstr(sb, r->summary);
	else
		strbuf_addf(sb, "%llu bytes", (unsigned long long)r->total);
	strbuf_addf(sb, " from %s", r->ip);
}

/* Called with the lock held when r's bytes first contain the token. */
static void mark_attributed(struct ev_store *st, struct ev_rec *r)
{
	r->attributed = true;
	if (r->stub >= 0)
		return;
	st->n_attributed++;
	st->n_unattributed--;
	if (st->fired || st->fired_dropped_cause)
		return;
	if (r->kept) {
		st->fired = r;
	} else {
		struct strbuf sb = STRBUF_INIT;
		add_cause(&sb, r);
		st->fired_dropped_cause = strbuf_detach(&sb, NULL);
	}
}

/* Look for the token in carry + data, then keep the tail as the new carry. */
static void scan(struct ev_store *st, struct ev_rec *r, const char *data, size_t len)
{
	size_t keep = st->toklen ? st->toklen - 1 : 0;

	/* A record of an earlier epoch is attributed to no later token. */
	if (r->attributed || !st->toklen || !len || r->epoch != st->epoch)
		return;
	if (r->ncarry) {
		char joint[128];
		size_t take = len < keep ? len : keep;

		memcpy(joint, r->carry, r->ncarry);
		memcpy(joint + r->ncarry, data, take);
		if (proto_memcasemem(joint, r->ncarry + take, st->token, st->toklen)) {
			mark_attributed(st, r);
			return;
		}
	}
	if (proto_memcasemem(data, len, st->token, st->toklen)) {
		mark_attributed(st, r);
		return;
	}
	if (len >= keep) {
		memcpy(r->carry, data + len - keep, keep);
		r->ncarry = keep;
	} else {
		size_t drop = r->ncarry + len > keep ? r->ncarry + len - keep : 0;

		memmove(r->carry, r->carry + drop, r->ncarry - drop);
		r->ncarry -= drop;
		memcpy(r->carry + r->ncarry, data, len);
		r->ncarry += len;
	}
}

/* Keep as much of data as the record cap and the budget allow. */
static void keep_data(struct ev_store *st, struct ev_rec *r, const char *data, size_t len)
{
	size_t room = EV_REC_MAX - r->data.len;

	if (!r->kept)
		return;
	if (room > st->budget - st->used)
		room = st->budget - st->used;
	if (len > room)
		len = room;
	if (!len)
		return;
	strbuf_add(&r->data, data, len);
	st->used += len;
}

struct ev_rec *ev_add(struct ev_store *st, int stub, const char *proto, const char *ip,
		      uint16_t port, const char *summary, const void *data, size_t len)
{
	struct ev_rec *r = xcalloc(1, sizeof(*r));
	size_t cost = REC_OVERHEAD + (summary ? strlen(summary) : 0);

	r->stub = stub;
	r->proto = proto;
	r->wall_ms = sr_wall_ms();
	snprintf(r->ip, sizeof(r->ip), "%s", ip ? ip : "");
	r->port = port;
	r->summary = summary ? xstrdup(summary) : NULL;

	pthread_mutex_lock(&st->lock);
	r->epoch = st->epoch;
	if (stub < 0)
		st->n_unattributed++;
	else
		st->n_stub++;
	if (st->budget - st->used >= cost) {
		r->kept = true;
		st->used += cost;
		if (stub < 0) {
			SR_GROW(st->oob, st->noob + 1, st->aoob);
			st->oob[st->noob++] = r;
		} else {
			SR_GROW(st->stub, st->nstub + 1, st->astub);
			st->stub[st->nstub++] = r;
		}
	} else {
		st->n_dropped++;
	}
	r->total = len;
	keep_data(st, r, data, len);
	scan(st, r, data, len);
	pthread_mutex_unlock(&st->lock);
	return r;
}

void ev_append(struct ev_store *st, struct ev_rec *r, const void *data, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&st->lock);
	r->total += len;
	keep_data(st, r, data, len);
	scan(st, r, data, len);
	pthread_mutex_unlock(&st->lock);
}

void ev_done(struct ev_store *st, struct ev_rec *r)
{
	bool free_it;

	if (!r)
		return;
	/* ev_next may drop r from the lists at the same time. */
	pthread_mutex_lock(&st->lock);
	r->done = true;
	free_it = !r->kept;
	pthread_mutex_unlock(&st->lock);
	if (free_it)
		rec_free(r);
}

/* Drop the records of list (all of earlier epochs): freed now, or by their
 * ev_done when the loop still holds them. Called with the lock held. */
static void drop_records(struct ev_store *st, struct ev_rec **list, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		struct ev_rec *r = list[i];
		size_t cost = REC_OVERHEAD + (r->summary ? strlen(r->summary) : 0) + r->data.len;

		st->used -= cost < st->used ? cost : st->used;
		r->kept = false;
		if (r->done)
			rec_free(r);
	}
	*n = 0;
}

void ev_next(struct ev_store *st, const char *token)
{
	pthread_mutex_lock(&st->lock);
	if (st->toklen)
		memcpy(st->old[st->nold++ % EV_OLD_TOKENS], st->token, st->toklen + 1);
	set_token(st, token);
	st->epoch++;
	drop_records(st, st->oob, &st->noob);
	drop_records(st, st->stub, &st->nstub);
	st->fired = NULL;
	free(st->fired_dropped_cause);
	st->fired_dropped_cause = NULL;
	st->n_attributed = st->n_unattributed = st->n_stub = st->n_dropped = 0;
	pthread_mutex_unlock(&st->lock);
}

/* Does r carry the token of an earlier epoch (a late hit)? Lock held. */
static bool late_hit(const struct ev_store *st, const struct ev_rec *r)
{
	size_t n = st->nold < EV_OLD_TOKENS ? st->nold : EV_OLD_TOKENS;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(st->old[i]);
		if (len && proto_memcasemem(r->data.buf, r->data.len, st->old[i], len))
			return true;
	}
	return false;
}

bool ev_fired(struct ev_store *st, char **cause)
{
	bool fired;

	pthread_mutex_lock(&st->lock);
	fired = st->fired || st->fired_dropped_cause;
	if (cause) {
		*cause = NULL;
		if (st->fired) {
			struct strbuf sb = STRBUF_INIT;
			add_cause(&sb, st->fired);
			*cause = strbuf_detach(&sb, NULL);
		} else if (st->fired_dropped_cause) {
			*cause = xstrdup(st->fired_dropped_cause);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return fired;
}

bool ev_stub_match(struct ev_store *st, int stub, const char *stub_name, const char *kind,
		   const char *contains, const regex_t *regex, char **cause)
{
	struct ev_rec *hit = NULL;
	size_t at = 0;

	if (cause)
		*cause = NULL;
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->nstub && !hit; i++) {
		struct ev_rec *r = st->stub[i];
		const char *text = strbuf_str(&r->data);
		size_t pos = 0;

		if (r->stub != stub)
			continue;
		if (contains && *contains) {
			const char *m = memmem(text, r->data.len, contains, strlen(contains));
			if (!m)
				continue;
			pos = (size_t)(m - text);
		}
		if (regex) {
			regmatch_t rm = {.rm_so = 0, .rm_eo = (regoff_t)r->data.len};
			if (regexec(regex, text, 1, &rm, REG_STARTEND) != 0)
				continue;
			if (!(contains && *contains))
				pos = (size_t)rm.rm_so;
		}
		hit = r;
		at = pos;
	}
	if (hit && cause) {
		struct strbuf sb = STRBUF_INIT;
		/* Quote the text around the match, so the cause shows why. */
		size_t from = at > 40 ? at - 40 : 0;

		strbuf_addf(&sb, "stub %s %s \"", stub_name, kind);
		if (from)
			strbuf_addstr(&sb, "...");
		proto_add_printable(&sb, hit->data.buf + from, hit->data.len - from, CAUSE_TEXT);
		strbuf_addf(&sb, "\" from %s", hit->ip);
		*cause = strbuf_detach(&sb, NULL);
	}
	pthread_mutex_unlock(&st->lock);
	return hit != NULL;
}

static void entry_common(struct strbuf *e, const struct ev_rec *r)
{
	char when[40];

	sr_fmt_time(when, sizeof(when), r->wall_ms);
	strbuf_addstr(e, "\"time\":");
	json_add_str(e, when);
	strbuf_addf(e, ",\"from\":\"%s:%u\"", r->ip, r->port);
}

/* data (or text) as a JSON string of at most cap bytes once escaped:
 * control bytes grow sixfold, so the raw prefix is shrunk until it fits. */
static void entry_data(struct strbuf *e, const char *key, const struct ev_rec *r, size_t cap)
{
	size_t n = r->data.len < cap ? r->data.len : cap, mark;

	strbuf_addf(e, ",\"bytes\":%llu,\"%s\":", (unsigned long long)r->total, key);
	mark = e->len;
	for (;;) {
		size_t out;

		json_add_strn(e, strbuf_str(&r->data), n);
		out = e->len - mark;
		if (out <= cap + 2 || n == 0)
			break;
		e->len = mark;
		e->buf[e->len] = '\0';
		n = n * cap / out;
		n = n > 8 ? n - 8 : 0;
	}
	if (n < r->total)
		strbuf_addstr(e, ",\"truncated\":true");
}

/* Append entry to arr if it fits the budget; count it as omitted if not. */
static void push_entry(struct strbuf *arr, const struct strbuf *e, size_t max, size_t *omitted)
{
	if (*omitted || arr->len + 1 + e->len + 1 + JSON_RESERVE > max) {
		(*omitted)++;
		return;
	}
	if (arr->len > 1)
		strbuf_addch(arr, ',');
	strbuf_add(arr, e->buf, e->len);
}

static void close_array(struct strbuf *arr, size_t omitted)
{
	if (omitted)
		strbuf_addf(arr, "%s{\"truncated\":true,\"omitted\":%zu}", arr->len > 1 ? "," : "",
			    omitted);
	strbuf_addch(arr, ']');
}

void ev_json(struct ev_store *st, size_t max, const char *const *stub_names,
	     const char *const *stub_kinds, struct strbuf *oob, struct strbuf *stubs,
	     struct strbuf *unattributed)
{
	size_t cap = max / 4 < ENTRY_DATA ? max / 4 : ENTRY_DATA;
	size_t om_oob = 0, om_un = 0, om_stub = 0;
	struct strbuf e = STRBUF_INIT;

	strbuf_addch(oob, '[');
	strbuf_addch(stubs, '[');
	strbuf_addch(unattributed, '[');
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->noob; i++) {
		const struct ev_rec *r = st->oob[i];

		strbuf_reset(&e);
		strbuf_addstr(&e, "{\"proto\":");
		json_add_str(&e, r->proto);
		strbuf_addch(&e, ',');
		entry_common(&e, r);
		strbuf_addstr(&e, ",\"summary\":");
		if (r->summary) {
			json_add_str(&e, r->summary);
		} else {
			strbuf_addf(&e, "\"%llu bytes\"", (unsigned long long)r->total);
		}
		entry_data(&e, "data", r, cap);
		strbuf_addch(&e, '}');
		if (r->attributed)
			push_entry(oob, &e, max, &om_oob);
		else if (!late_hit(st, r))
			push_entry(unattributed, &e, max, &om_un);
	}
	for (size_t i = 0; i < st->nstub; i++) {
		const struct ev_rec *r = st->stub[i];

		strbuf_reset(&e);
		strbuf_addstr(&e, "{\"stub\":");
		json_add_str(&e, stub_names[r->stub]);
		strbuf_addstr(&e, ",\"kind\":");
		json_add_str(&e, stub_kinds[r->stub]);
		strbuf_addch(&e, ',');
		entry_common(&e, r);
		if (r->summary) {
			strbuf_addstr(&e, ",\"summary\":");
			json_add_str(&e, r->summary);
		}
		entry_data(&e, "text", r, cap);
		strbuf_addch(&e, '}');
		push_entry(stubs, &e, max, &om_stub);
	}
	/* Records dropped for the memory budget are omitted too. */
	pthread_mutex_unlock(&st->lock);
	close_array(oob, om_oob);
	close_array(stubs, om_stub);
	close_array(unattributed, om_un);
	strbuf_release(&e);
}
