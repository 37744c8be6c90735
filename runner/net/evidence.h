/* What a session saw: OOB hits and stub interactions, kept under one lock
 * and one byte budget. Internal to runner/net/: the event loop writes, the
 * net_session_* queries read, possibly at the same time. */
#ifndef SR_NET_EVIDENCE_H
#define SR_NET_EVIDENCE_H

#include <pthread.h>
#include <regex.h>

#include "lib/util.h"

#define EV_REC_MAX (1u << 20) /* bytes of one hit or interaction kept for matching */
#define EV_IP_MAX  46	      /* INET6_ADDRSTRLEN */

struct ev_rec {
	int stub;	   /* index into the session's stubs; -1 for an OOB hit */
	const char *proto; /* static string: "http", "tcp", "dns" or a stub kind */
	uint64_t wall_ms;
	char ip[EV_IP_MAX];
	uint16_t port;
	char *summary;	    /* owned, printable ASCII; NULL means "<total> bytes" */
	struct strbuf data; /* the first bytes seen, up to EV_REC_MAX and the budget */
	uint64_t total;	    /* every byte seen, kept or not */
	bool attributed;    /* the token occurred in the bytes seen */
	bool kept;	    /* in the store's lists; false: dropped, freed by ev_done */
	char carry[64];	    /* the last toklen-1 bytes, for a token split across appends */
	size_t ncarry;
	unsigned epoch; /* the store's epoch when it began (ev_next) */
	bool done;	/* ev_done was called: the loop holds it no more */
};

#define EV_OLD_TOKENS 16 /* earlier epochs' tokens a late hit is recognised by */

struct ev_store {
	pthread_mutex_t lock;
	char token[64];
	size_t toklen;
	struct ev_rec **oob, **stub;
	size_t noob, aoob, nstub, astub;
	size_t used, budget; /* bytes charged: records and their data */
	uint64_t n_attributed, n_unattributed, n_stub, n_dropped;
	struct ev_rec *fired;	     /* first attributed hit, if kept */
	char *fired_dropped_cause;   /* first attributed hit when it was not kept */
	unsigned epoch;		     /* ev_next count: one per payload of a warm container */
	char old[EV_OLD_TOKENS][64]; /* the last epochs' tokens, newest at old[(nold-1) % N] */
	size_t nold;
};

/* token may be NULL or "" (nothing is ever attributed then); budget in bytes. */
void ev_init(struct ev_store *st, const char *token, size_t budget);
void ev_release(struct ev_store *st);

/* Record a hit (stub < 0) or a stub interaction with its first bytes and
 * scan them for the token. summary is copied (NULL: a byte count). Always
 * returns a handle for ev_append, and the caller must call ev_done on it
 * exactly once when the exchange is over. */
struct ev_rec *ev_add(struct ev_store *st, int stub, const char *proto, const char *ip,
		      uint16_t port, const char *summary, const void *data, size_t len);
void ev_append(struct ev_store *st, struct ev_rec *r, const void *data, size_t len);
void ev_done(struct ev_store *st, struct ev_rec *r);

/* A new epoch (the next payload of a warm container): every record of the
 * ones before is dropped (a record still open is freed by its ev_done and
 * never attributed again), the counters and the fired mark start afresh,
 * and token becomes the one hits are attributed to. The old token is
 * remembered: a hit of the new epoch that carries it is late, for no one
 * (ev_json leaves it out of the unattributed list). */
void ev_next(struct ev_store *st, const char *token);

/* Has an attributed OOB hit been seen? *cause (may be NULL) gets an owned
 * "oob <proto> <summary> from <ip>" for the first one. */
bool ev_fired(struct ev_store *st, char **cause);

/* Does an interaction of stub index stub match? contains (substring) and
 * regex (compiled POSIX ERE, may be NULL) must both hold for one
 * interaction; with neither, any interaction matches. */
bool ev_stub_match(struct ev_store *st, int stub, const char *stub_name, const char *kind,
		   const char *contains, const regex_t *regex, char **cause);

/* JSON arrays, each at most about max bytes: attributed hits, stub
 * interactions (names and kinds indexed by stub), unattributed hits. A cut
 * array ends with {"truncated":true,"omitted":N}. */
void ev_json(struct ev_store *st, size_t max, const char *const *stub_names,
	     const char *const *stub_kinds, struct strbuf *oob, struct strbuf *stubs,
	     struct strbuf *unattributed);

#endif
