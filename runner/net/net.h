/* Host-side network evidence for one run (DESIGN §5, §6): the OOB listener
 * (HTTP and raw TCP on one port, DNS over UDP), the stub listeners (http,
 * tcp, redis, sql), and what they saw.
 *
 * A session binds every socket to one address — the run network's gateway,
 * never 0.0.0.0 — and serves them from one thread with epoll: non-blocking
 * sockets, all fds O_CLOEXEC, per-connection buffers and the session's
 * memory bounded, idle connections closed. Evidence is observed here on the
 * host; the code under test can only send bytes.
 *
 * Attribution: a hit counts for the run when the token occurs, ASCII
 * case-insensitively, anywhere in an HTTP request (target, headers, body),
 * in a raw TCP stream, or in a DNS query name. Hits without it are kept as
 * unattributed. Decisions (fired, match) use every byte seen; the evidence
 * JSON is bounded.
 *
 * Memory bounds: input buffered up to 1 MiB + 64 KiB per connection (every
 * protocol message limit is below that) and 64 MiB per session; output to
 * one peer is not produced past 256 KiB unsent. Kept for matching: the first
 * 1 MiB of each hit or interaction, 32 MiB per session; records beyond that
 * are counted as dropped, but a dropped hit still fires when attributed. */
#ifndef SR_NET_NET_H
#define SR_NET_NET_H

#include "runner/spec/spec.h"
#include "lib/util.h"

#define NET_DEFAULT_EVIDENCE (64u << 10) /* bytes per evidence array */
#define NET_DEFAULT_IDLE_MS  30000	 /* a connection silent this long is closed */
#define NET_MAX_CONNS	     4096	 /* open connections per session; more are refused */

struct net_session;

struct net_session_opts {
	const char *bind_addr;	  /* IPv4 address of this host; 0.0.0.0 is refused */
	const char *token;	  /* the run's token (32 hex); NULL or "": nothing attributes */
	const char *domain;	  /* OOB DNS zone; NULL: "oob.sandrun.test" */
	const struct stub *stubs; /* copied at open; fs stubs get no listener */
	size_t nstubs;
	int dns_port;		   /* 53 in production, 0 an ephemeral port, -1 no DNS */
	size_t max_evidence_bytes; /* per evidence array; 0: NET_DEFAULT_EVIDENCE */
	unsigned idle_ms;	   /* 0: NET_DEFAULT_IDLE_MS */
	bool freebind;		   /* bind_addr may not exist yet (podman: the bridge appears on the
				      first attach); elsewhere a missing address fails loudly */
};

/* Bind every listener and start the session's thread. Fails (SR_EINVAL for
 * bad options, SR_EFAIL otherwise) when any listener asked for, TCP or DNS,
 * cannot be bound; err then names it ("cannot bind udp 172.18.0.1:53:
 * Permission denied"). With dns_port -1, net_session_dns_port() is 0 and
 * net_session_dns_error() says "dns disabled". */
int net_session_open(struct net_session **out, const struct net_session_opts *o,
		     struct sr_err *err);

/* The OOB TCP port. Each connection is sniffed: one that starts with an
 * HTTP/1.x request line is served as HTTP (200 "ok", keep-alive honoured),
 * anything else is recorded as raw TCP until close or idle. */
uint16_t net_session_oob_port(const struct net_session *s);
/* The DNS UDP port, 0 when DNS is off. Names under
 * the domain get an A record with bind_addr (NOERROR, NODATA for other
 * types), other names NXDOMAIN, other opcodes NOTIMP, other classes
 * REFUSED. Every query is recorded. */
uint16_t net_session_dns_port(const struct net_session *s);
/* Why DNS is not listening ("" when it is). Owned by the session. */
const char *net_session_dns_error(const struct net_session *s);
/* The TCP port of stub stub_index, 0 for fs stubs and bad indexes.
 *   http:  records method, target, headers and body; answers the stub's
 *          status and body.
 *   tcp:   records the bytes of each connection; sends the stub's body, if
 *          any, on connect.
 *   redis: records each command as text ("SET k v"); PING, ECHO, SET, GET,
 *          DEL, EXISTS, MGET, INCR on a per-stub in-memory map, anything else
 *          +OK.
 *   sql:   PostgreSQL v3 without TLS (SSLRequest and GSSENCRequest get 'N'),
 *          trust authentication; simple and extended query protocol with
 *          empty results. Records startup parameters and each query text
 *          (Query and Parse), never bound parameter values: those are data,
 *          and a parameterised query must not look like an injection. */
uint16_t net_session_stub_port(const struct net_session *s, size_t stub_index);

/* Stop listening, close every socket (partial exchanges are recorded as
 * they stand), join the thread. Idempotent; queries keep working. */
void net_session_stop(struct net_session *s);

/* The next payload of a warm container (isolation: harness|pool): hits and
 * interactions from now on are its own, attributed to token; what came
 * before is forgotten (the previous payload's evidence was taken), the
 * stubs' state (redis maps) is emptied, and a hit that carries one of the
 * last 16 tokens is late: attributed to no payload, left out of the
 * unattributed list. SR_EFAIL once stopped. */
int net_session_next(struct net_session *s, const char *token, struct sr_err *err);

/* Has an attributed OOB hit been seen? With cause_out, an owned text for
 * the first one ("oob http GET /<token> from 172.30.0.2", "oob dns A
 * <token>.oob.sandrun.test from ...", "oob tcp 33 bytes from ..."), NULL
 * when none. Safe while the session runs. */
bool net_session_oob_fired(struct net_session *s, char **cause_out);

/* Did stub stub_name record an interaction whose text contains contains
 * (byte substring, NULL/"" skips the test) and matches regex (POSIX ERE,
 * NULL skips; an invalid one never matches)? With neither, any interaction
 * matches. cause_out (may be NULL) gets an owned text quoting the match. */
bool net_session_stub_match(struct net_session *s, const char *stub_name, const char *contains,
			    const char *regex, char **cause_out);

/* Append three JSON arrays, each bounded by max_evidence_bytes and ended
 * with {"truncated":true,"omitted":N} when cut:
 *   oob_json:          attributed hits {proto,time,from,summary,bytes,data}
 *   stubs_json:        stub interactions {stub,kind,time,from[,summary],bytes,text}
 *   unattributed_json: hits without this token, same shape as oob_json.
 * data/text hold the first bytes (JSON-escaped, at most 4 KiB each) and
 * "truncated":true when cut. Any of the three may be NULL. */
void net_session_evidence(struct net_session *s, struct strbuf *oob_json, struct strbuf *stubs_json,
			  struct strbuf *unattributed_json);

struct net_stats {
	uint64_t oob_attributed; /* hits, including any dropped for memory */
	uint64_t oob_unattributed;
	uint64_t stub_interactions;
	uint64_t dropped;	   /* records not kept: the session's memory budget is spent */
	uint64_t connections;	   /* TCP connections accepted */
	uint64_t refused;	   /* closed at once: NET_MAX_CONNS were open */
	uint64_t peak_connections; /* most open at the same time */
	uint64_t dns_packets;
};
void net_session_stats(struct net_session *s, struct net_stats *out);

/* Stop if needed and free everything. NULL-safe. */
void net_session_free(struct net_session *s);

#endif
