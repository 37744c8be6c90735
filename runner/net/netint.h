/* Internals shared by session.c (event loop, OOB, DNS, API) and stubs.c
 * (the stub protocols). Not for use outside runner/net/. */
#ifndef SR_NET_NETINT_H
#define SR_NET_NETINT_H

#include <netinet/in.h>
#include <pthread.h>

#include "runner/net/dns.h"
#include "runner/net/evidence.h"
#include "runner/net/http.h"
#include "runner/net/net.h"
#include "runner/net/resp.h"

#define CONN_IN_MAX    ((1u << 20) + (64u << 10)) /* above every parser's limit */
#define CONN_OUT_HIGH  (256u << 10)		  /* stop reading while this much is unsent */
#define SESSION_IN_MAX (64u << 20) /* input buffered across a session's connections */
#define SESSION_EV_MAX (32u << 20) /* evidence kept for matching */
#define LINGER_MS      2000	   /* drain after our last byte, so a close is no reset */
#define MAX_REQUESTS   1000	   /* per keep-alive connection */
#define KV_MAX_KEYS    10000
#define KV_MAX_BYTES   (8u << 20)
#define PG_MAX_NAMED   64 /* prepared statements / portals per connection */

enum item_kind { IT_WAKE, IT_OOB, IT_DNS, IT_STUB, IT_CONN };

/* First member of everything registered with epoll. */
struct item {
	enum item_kind kind;
};

struct listener {
	struct item it;
	int fd;
	uint16_t port;
	int stub;	       /* IT_STUB: index */
	uint64_t paused_until; /* out of fds: retry accept after this (monotonic ms) */
	bool freebind;	       /* bind before the address exists (IP_FREEBIND) */
};

enum role {
	R_SNIFF, /* OOB, first bytes not yet classified */
	R_OOB_HTTP,
	R_OOB_RAW,
	R_HTTP, /* stubs */
	R_TCP,
	R_REDIS,
	R_SQL,
};

struct kv_ent {
	struct kv_ent *next;
	char *key, *val;
	size_t klen, vlen;
};

struct kv {
	struct kv_ent *b[256];
	size_t n, bytes;
};

struct stub_rt {
	char *name;
	enum stub_kind kind;
	const char *kind_name;
	int status;
	char *body;
	size_t body_len;
	bool has_body;
	struct listener l;
	struct kv kv; /* redis */
};

struct pg_named {
	bool used;
	char name[64];
	unsigned nparams;
	char tag[48];
	bool rows;
};

struct pg_conn {
	bool ready; /* startup done */
	unsigned negotiations;
	bool skip_to_sync;
	struct pg_named stmts[PG_MAX_NAMED], portals[PG_MAX_NAMED];
};

struct net_session;

struct conn {
	struct item it;
	struct conn *prev, *next;
	int fd;
	enum role role;
	int stub; /* -1 for OOB */
	char ip[EV_IP_MAX];
	uint16_t port;
	struct strbuf in, out;
	size_t out_off;
	uint64_t last_ms, linger_until;
	uint32_t events;    /* current epoll interest */
	bool eof;	    /* the peer shut its write side */
	bool closing;	    /* close once out is sent */
	bool lingering;	    /* our side shut; discard input until EOF or linger_until */
	bool sent_continue; /* 100 Continue for the request being read */
	unsigned requests;
	struct ev_rec *rec; /* live record of a raw stream */
	struct pg_conn *pg;
};

struct net_session {
	char bind_addr[INET_ADDRSTRLEN];
	struct in_addr addr;
	char token[64];
	uint8_t zone[DNS_MAX_WIRE];
	size_t zone_len;
	size_t max_evidence;
	unsigned idle_ms;
	struct stub_rt *stubs;
	size_t nstubs;
	struct listener oob, dns, wake;
	char *dns_error;
	int ep;
	pthread_t thread;
	bool thread_started, stopped;
	struct conn *conns;
	size_t nconns;
	size_t in_total; /* bytes in every connection's input buffer */
	uint32_t next_pid;
	struct ev_store ev;
	struct resp_cmd *resp; /* parser scratch, loop thread only */
	struct http_request *http;
	char *rbuf;	   /* read buffer, loop thread only */
	unsigned kv_epoch; /* loop thread: the ev epoch the stubs' state belongs to */
	/* Counters: written by the loop thread under ev.lock. */
	uint64_t accepted, refused, peak, dns_packets;
};

/* session.c, for stubs.c */
size_t conn_out_pending(const struct conn *c);
/* Record the exchange so far on c (an HTTP/redis/sql stream that ended
 * mid-message or broke the protocol): input bytes become an interaction or
 * hit with summary what, and are dropped from the buffer. */
void conn_record_leftover(struct net_session *s, struct conn *c, const char *what);
void conn_consume(struct net_session *s, struct conn *c, size_t n);

/* stubs.c */
/* HTTP on the OOB port (c->stub < 0, 200 "ok") or an http stub. */
void serve_http(struct net_session *s, struct conn *c);
void stub_redis_process(struct net_session *s, struct conn *c);
void stub_sql_process(struct net_session *s, struct conn *c);
void kv_release(struct kv *kv);

#endif
