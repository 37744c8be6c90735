#include "runner/net/netint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define RBUF_SIZE	  (64u << 10)
#define EPOLL_BATCH	  256
#define TICK_MS		  200
#define PAUSE_MS	  100 /* accept paused this long when the process is out of fds */
#define READS_PER_EVENT	  16
#define DNS_PER_EVENT	  64
#define ACCEPTS_PER_EVENT 256

size_t conn_out_pending(const struct conn *c)
{
	return c->out.len - c->out_off;
}

static bool want_read(const struct conn *c)
{
	if (c->eof)
		return false;
	if (c->lingering)
		return true;
	return !c->closing && conn_out_pending(c) < CONN_OUT_HIGH;
}

void conn_consume(struct net_session *s, struct conn *c, size_t n)
{
	if (n > c->in.len)
		n = c->in.len;
	if (!n)
		return;
	memmove(c->in.buf, c->in.buf + n, c->in.len - n);
	c->in.len -= n;
	c->in.buf[c->in.len] = '\0';
	s->in_total -= n;
	/* A connection that once held a big request should not keep its
	 * buffer for the rest of a keep-alive session. */
	if (!c->in.len && c->in.alloc > RBUF_SIZE)
		strbuf_release(&c->in);
}

void conn_record_leftover(struct net_session *s, struct conn *c, const char *what)
{
	struct ev_rec *r;

	if (c->role == R_SNIFF) {
		/* Not HTTP after all, or the peer stopped mid-line: raw TCP. */
		c->rec = ev_add(&s->ev, -1, "tcp", c->ip, c->port, NULL, c->in.buf, c->in.len);
		c->role = R_OOB_RAW;
		conn_consume(s, c, c->in.len);
		return;
	}
	if (!c->in.len || c->role == R_OOB_RAW || c->role == R_TCP)
		return;
	if (c->stub < 0)
		r = ev_add(&s->ev, -1, "http", c->ip, c->port, what, c->in.buf, c->in.len);
	else
		r = ev_add(&s->ev, c->stub, s->stubs[c->stub].kind_name, c->ip, c->port, what,
			   c->in.buf, c->in.len);
	ev_done(&s->ev, r);
	conn_consume(s, c, c->in.len);
}

static void conn_update(struct net_session *s, struct conn *c)
{
	uint32_t ev = 0;

	if (want_read(c))
		ev |= EPOLLIN;
	if (conn_out_pending(c))
		ev |= EPOLLOUT;
	if (ev != c->events) {
		struct epoll_event e = {.events = ev, .data.ptr = c};
		if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &e) == 0)
			c->events = ev;
	}
}

static void conn_close(struct net_session *s, struct conn *c)
{
	if (c->role == R_SNIFF) {
		/* A connection that never sent a full line still reached us. */
		conn_record_leftover(s, c, NULL);
	} else if (c->in.len) {
		conn_record_leftover(s, c, "incomplete");
	}
	if (c->rec)
		ev_done(&s->ev, c->rec);
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	s->in_total -= c->in.len;
	strbuf_release(&c->in);
	strbuf_release(&c->out);
	free(c->pg);
	free(c);
}

static void process(struct net_session *s, struct conn *c)
{
	switch (c->role) {
	case R_SNIFF: {
		int rc = http_sniff(c->in.buf, c->in.len);
		if (rc == PROTO_NEED_MORE)
			return;
		if (rc == PROTO_ERROR) {
			conn_record_leftover(s, c, NULL);
			return;
		}
		c->role = R_OOB_HTTP;
		serve_http(s, c);
		return;
	}
	case R_OOB_HTTP:
	case R_HTTP:
		serve_http(s, c);
		return;
	case R_REDIS:
		stub_redis_process(s, c);
		return;
	case R_SQL:
		stub_sql_process(s, c);
		return;
	case R_OOB_RAW:
	case R_TCP:
		return;
	}
}

/* New bytes from the peer. Returns -1 when c must be closed. */
static int conn_feed(struct net_session *s, struct conn *c, const char *data, size_t n)
{
	if (c->role == R_OOB_RAW || c->role == R_TCP) {
		ev_append(&s->ev, c->rec, data, n);
		return 0;
	}
	if (c->in.len + n > CONN_IN_MAX || s->in_total + n > SESSION_IN_MAX) {
		/* Every parser gives up below CONN_IN_MAX, so this is a peer
		 * we could not keep up with: keep what it sent, then drop it. */
		size_t room = CONN_IN_MAX > c->in.len ? CONN_IN_MAX - c->in.len : 0;
		strbuf_add(&c->in, data, n < room ? n : room);
		s->in_total += n < room ? n : room;
		conn_record_leftover(s, c, "over the input limit");
		return -1;
	}
	strbuf_add(&c->in, data, n);
	s->in_total += n;
	process(s, c);
	return 0;
}

/* Read what the peer sent. force: ignore back-pressure (the peer hung up
 * or the session stops). Returns -1 when c was closed. */
static int conn_read(struct net_session *s, struct conn *c, bool force)
{
	for (int k = 0; k < READS_PER_EVENT && !c->eof && (force || want_read(c)); k++) {
		ssize_t n = recv(c->fd, s->rbuf, RBUF_SIZE, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_close(s, c);
			return -1;
		}
		if (n == 0) {
			c->eof = true;
			break;
		}
		c->last_ms = sr_now_ms();
		if (c->lingering)
			continue;
		if (conn_feed(s, c, s->rbuf, (size_t)n) < 0) {
			conn_close(s, c);
			return -1;
		}
	}
	return 0;
}

static int conn_flush(struct conn *c)
{
	bool progress = false;

	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->out_off += (size_t)n;
		progress = true;
	}
	/* A peer that reads slowly is not idle. */
	if (progress)
		c->last_ms = sr_now_ms();
	if (c->out_off == c->out.len) {
		c->out_off = 0;
		if (c->out.alloc > RBUF_SIZE)
			strbuf_release(&c->out);
		else
			strbuf_reset(&c->out);
	}
	return 0;
}

/* After any event: send, go on with input that waited for the output to
 * drain, and move towards closing. */
static void conn_after(struct net_session *s, struct conn *c)
{
	if (c->lingering) {
		if (c->eof)
			conn_close(s, c);
		else
			conn_update(s, c);
		return;
	}
	if (conn_flush(c) < 0) {
		conn_close(s, c);
		return;
	}
	if (!c->closing && c->in.len && conn_out_pending(c) < CONN_OUT_HIGH) {
		process(s, c);
		if (conn_flush(c) < 0) {
			conn_close(s, c);
			return;
		}
	}
	if (c->eof && !c->closing) {
		/* Everything the peer will ever send is here: what did not
		 * parse is recorded as it stands. */
		if (c->in.len)
			conn_record_leftover(s, c, "incomplete");
		c->closing = true;
	}
	if (c->closing && !conn_out_pending(c)) {
		if (c->eof) {
			conn_close(s, c);
			return;
		}
		/* Half-close and drain, so unread input does not turn our
		 * close into a reset that destroys the response in flight. */
		shutdown(c->fd, SHUT_WR);
		c->lingering = true;
		c->linger_until = sr_now_ms() + LINGER_MS;
	}
	conn_update(s, c);
}

static void on_conn(struct net_session *s, struct conn *c, uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP)) {
		/* Gone or reset: keep what it sent, then let it go. */
		if (conn_read(s, c, true) < 0)
			return;
		conn_flush(c);
		conn_close(s, c);
		return;
	}
	if ((events & EPOLLIN) && conn_read(s, c, false) < 0)
		return;
	conn_after(s, c);
}

static void conn_new(struct net_session *s, struct listener *l, int fd,
		     const struct sockaddr_in *sa)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};

	c->it.kind = IT_CONN;
	c->fd = fd;
	c->stub = l->it.kind == IT_STUB ? l->stub : -1;
	inet_ntop(AF_INET, &sa->sin_addr, c->ip, sizeof(c->ip));
	c->port = ntohs(sa->sin_port);
	c->last_ms = sr_now_ms();
	c->events = EPOLLIN;
	if (c->stub < 0) {
		c->role = R_SNIFF;
	} else {
		switch (s->stubs[c->stub].kind) {
		case STUB_HTTP:
			c->role = R_HTTP;
			break;
		case STUB_REDIS:
			c->role = R_REDIS;
			break;
		case STUB_SQL:
			c->role = R_SQL;
			c->pg = xcalloc(1, sizeof(*c->pg));
			break;
		default:
			c->role = R_TCP;
			break;
		}
	}
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
		close(fd);
		free(c->pg);
		free(c);
		return;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	pthread_mutex_lock(&s->ev.lock);
	s->accepted++;
	if (s->nconns > s->peak)
		s->peak = s->nconns;
	pthread_mutex_unlock(&s->ev.lock);
	if (c->role == R_TCP) {
		const struct stub_rt *st = &s->stubs[c->stub];
		c->rec = ev_add(&s->ev, c->stub, st->kind_name, c->ip, c->port, NULL, NULL, 0);
		if (st->has_body)
			strbuf_add(&c->out, st->body, st->body_len);
		conn_after(s, c);
	}
}

static void on_accept(struct net_session *s, struct listener *l)
{
	/* Bounded per event so a connect flood cannot starve the others. */
	for (int k = 0; k < ACCEPTS_PER_EVENT; k++) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		int fd = accept4(l->fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The backlog stays readable; without a pause the
				 * loop would spin until an fd frees up. */
				struct epoll_event e = {.events = 0, .data.ptr = l};
				epoll_ctl(s->ep, EPOLL_CTL_MOD, l->fd, &e);
				l->paused_until = sr_now_ms() + PAUSE_MS;
			}
			return;
		}
		if (s->nconns >= NET_MAX_CONNS || sl != sizeof(sa) || sa.sin_family != AF_INET) {
			close(fd);
			pthread_mutex_lock(&s->ev.lock);
			s->refused++;
			pthread_mutex_unlock(&s->ev.lock);
			continue;
		}
		conn_new(s, l, fd, &sa);
	}
}

static void dns_answer(struct net_session *s, const uint8_t *pkt, size_t n,
		       const struct sockaddr_in *from)
{
	struct dns_query q;
	uint8_t out[DNS_MAX_PACKET];
	char ip[EV_IP_MAX], tbuf[16];
	size_t olen = 0;
	struct ev_rec *r;
	int rc = dns_parse_query(&q, pkt, n);

	inet_ntop(AF_INET, &from->sin_addr, ip, sizeof(ip));
	if (rc != PROTO_OK) {
		struct strbuf sum = STRBUF_INIT;

		strbuf_addf(&sum, "malformed query (%zu bytes)", n);
		r = ev_add(&s->ev, -1, "dns", ip, ntohs(from->sin_port), sum.buf, pkt, n);
		ev_done(&s->ev, r);
		strbuf_release(&sum);
		if (q.header_ok)
			olen = dns_build_error(out, sizeof(out), q.id, q.flags, DNS_FORMERR);
	} else {
		struct strbuf sum = STRBUF_INIT;
		bool under = dns_name_under(q.qname, q.qname_len, s->zone, s->zone_len);

		strbuf_addf(&sum, "%s %s", dns_type_name(q.qtype, tbuf), q.name);
		r = ev_add(&s->ev, -1, "dns", ip, ntohs(from->sin_port), sum.buf, q.name,
			   strlen(q.name));
		ev_done(&s->ev, r);
		strbuf_release(&sum);
		if (q.opcode != 0)
			olen = dns_build_error(out, sizeof(out), q.id, q.flags, DNS_NOTIMP);
		else if (q.qclass != DNS_CLASS_IN && q.qclass != 255)
			olen = dns_build_response(out, sizeof(out), &q, DNS_REFUSED, NULL);
		else if (!under)
			olen = dns_build_response(out, sizeof(out), &q, DNS_NXDOMAIN, NULL);
		else if (q.qtype == DNS_TYPE_A || q.qtype == 255)
			olen = dns_build_response(out, sizeof(out), &q, DNS_NOERROR,
						  (const uint8_t *)&s->addr.s_addr);
		else
			olen = dns_build_response(out, sizeof(out), &q, DNS_NOERROR, NULL);
	}
	if (olen)
		sendto(s->dns.fd, out, olen, MSG_DONTWAIT | MSG_NOSIGNAL,
		       (const struct sockaddr *)from, sizeof(*from));
}

static void on_dns(struct net_session *s)
{
	uint8_t pkt[4096];

	for (int k = 0; k < DNS_PER_EVENT; k++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s->dns.fd, pkt, sizeof(pkt), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		pthread_mutex_lock(&s->ev.lock);
		s->dns_packets++;
		pthread_mutex_unlock(&s->ev.lock);
		if (fl != sizeof(from) || from.sin_family != AF_INET)
			continue;
		dns_answer(s, pkt, (size_t)n, &from);
	}
}

static void sweep(struct net_session *s, uint64_t now)
{
	struct conn *c = s->conns;

	while (c) {
		struct conn *next = c->next;

		if (c->lingering ? now >= c->linger_until : now - c->last_ms >= s->idle_ms)
			conn_close(s, c);
		c = next;
	}
	for (size_t i = 0; i < s->nstubs + 1; i++) {
		struct listener *l = i ? &s->stubs[i - 1].l : &s->oob;

		if (l->fd >= 0 && l->paused_until && now >= l->paused_until) {
			struct epoll_event e = {.events = EPOLLIN, .data.ptr = l};
			epoll_ctl(s->ep, EPOLL_CTL_MOD, l->fd, &e);
			l->paused_until = 0;
		}
	}
}

/* At stop: take in what already arrived — queued connections, datagrams,
 * unread bytes — so a callback that made it before the deadline counts. */
static void final_drain(struct net_session *s)
{
	struct conn *c;

	on_accept(s, &s->oob);
	for (size_t i = 0; i < s->nstubs; i++)
		if (s->stubs[i].l.fd >= 0)
			on_accept(s, &s->stubs[i].l);
	if (s->dns.fd >= 0)
		on_dns(s);
	c = s->conns;
	while (c) {
		struct conn *next = c->next;

		if (!c->lingering && conn_read(s, c, true) == 0)
			conn_flush(c);
		c = next;
	}
	while (s->conns)
		conn_close(s, s->conns);
}

/* A new epoch (net_session_next): the stubs' state (redis maps) is
 * emptied before any event of the next payload is served. */
static void fresh_stub_state(struct net_session *s)
{
	unsigned e;

	pthread_mutex_lock(&s->ev.lock);
	e = s->ev.epoch;
	pthread_mutex_unlock(&s->ev.lock);
	if (e == s->kv_epoch)
		return;
	for (size_t i = 0; i < s->nstubs; i++)
		kv_release(&s->stubs[i].kv);
	s->kv_epoch = e;
}

static void *loop_main(void *arg)
{
	struct net_session *s = arg;
	struct epoll_event evs[EPOLL_BATCH];
	uint64_t next_tick = sr_now_ms() + TICK_MS;
	bool stop = false;

	while (!stop) {
		int n = epoll_wait(s->ep, evs, EPOLL_BATCH, TICK_MS);
		uint64_t now;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			sr_log("oob listener: epoll_wait: %s", strerror(errno));
			break;
		}
		fresh_stub_state(s);
		for (int i = 0; i < n; i++) {
			struct item *it = evs[i].data.ptr;

			switch (it->kind) {
			case IT_WAKE:
				stop = true;
				break;
			case IT_OOB:
			case IT_STUB:
				on_accept(s, (struct listener *)it);
				break;
			case IT_DNS:
				on_dns(s);
				break;
			case IT_CONN:
				on_conn(s, (struct conn *)it, evs[i].events);
				break;
			}
		}
		now = sr_now_ms();
		if (now >= next_tick) {
			sweep(s, now);
			next_tick = now + TICK_MS;
		}
	}
	final_drain(s);
	return NULL;
}

static int listen_on(struct listener *l, enum item_kind kind, const struct in_addr *addr, int type,
		     int port, struct sr_err *err)
{
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = *addr};
	socklen_t sl = sizeof(sa);
	char ip[INET_ADDRSTRLEN];
	int one = 1;

	inet_ntop(AF_INET, addr, ip, sizeof(ip));
	l->it.kind = kind;
	l->fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return sr_err_set(err, SR_EFAIL, "cannot create a socket: %s", strerror(errno));
	if (type == SOCK_STREAM)
		setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->freebind && setsockopt(l->fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot set IP_FREEBIND: %s", strerror(errno));
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot bind %s %s:%d: %s",
				  type == SOCK_STREAM ? "tcp" : "udp", ip, port, strerror(errno));
	if (type == SOCK_STREAM && listen(l->fd, SOMAXCONN) < 0)
		return sr_err_set(err, SR_EFAIL, "cannot listen on tcp %s:%d: %s", ip, port,
				  strerror(errno));
	if (getsockname(l->fd, (struct sockaddr *)&sa, &sl) < 0)
		return sr_err_set(err, SR_EFAIL, "getsockname: %s", strerror(errno));
	l->port = ntohs(sa.sin_port);
	return 0;
}

static int watch(struct net_session *s, struct listener *l, struct sr_err *err)
{
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = l};

	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, l->fd, &e) < 0)
		return sr_err_set(err, SR_EFAIL, "epoll_ctl: %s", strerror(errno));
	return 0;
}

static int check_opts(const struct net_session_opts *o, struct in_addr *addr, struct sr_err *err)
{
	if (!o || !o->bind_addr)
		return sr_err_set(err, SR_EINVAL, "no listen address given");
	if (inet_pton(AF_INET, o->bind_addr, addr) != 1)
		return sr_err_set(err, SR_EINVAL, "listen address '%s' is not an IPv4 address",
				  o->bind_addr);
	/* Listeners belong to one run's network; a wildcard or broadcast
	 * address would expose them to every network on the host. */
	if (addr->s_addr == htonl(INADDR_ANY) || addr->s_addr == htonl(INADDR_BROADCAST) ||
	    IN_MULTICAST(ntohl(addr->s_addr)))
		return sr_err_set(err, SR_EINVAL,
				  "refusing to listen on '%s': not a unicast address",
				  o->bind_addr);
	if (o->token && strlen(o->token) > 63)
		return sr_err_set(err, SR_EINVAL, "token is too long");
	if (o->dns_port < -1 || o->dns_port > 65535)
		return sr_err_set(err, SR_EINVAL, "bad dns port %d", o->dns_port);
	if (o->nstubs && !o->stubs)
		return sr_err_set(err, SR_EINVAL, "stubs missing");
	for (size_t i = 0; i < o->nstubs; i++) {
		if (!o->stubs[i].name)
			return sr_err_set(err, SR_EINVAL, "stub %zu has no name", i);
		if (o->stubs[i].kind > STUB_FS)
			return sr_err_set(err, SR_EINVAL, "stub '%s' has an unknown kind",
					  o->stubs[i].name);
	}
	return 0;
}

/* Each stub's runtime state from its options; no listener yet. */
static void init_stubs(struct net_session *s, const struct net_session_opts *o)
{
	for (size_t i = 0; i < o->nstubs; i++) {
		struct stub_rt *st = &s->stubs[i];

		st->name = xstrdup(o->stubs[i].name);
		st->kind = o->stubs[i].kind;
		st->kind_name = stub_kind_name(st->kind);
		st->status = o->stubs[i].status ? o->stubs[i].status : 200;
		st->has_body = o->stubs[i].body != NULL;
		st->body = xstrdup(o->stubs[i].body ? o->stubs[i].body : "");
		st->body_len = strlen(st->body);
		st->l.fd = -1;
		st->l.stub = (int)i;
		st->l.freebind = o->freebind;
	}
}

/* The wake-up event, the OOB listener, one a stub (fs stubs have none) and
 * the DNS listener, all watched by the loop. */
static int open_listeners(struct net_session *s, const struct net_session_opts *o,
			  struct sr_err *err)
{
	int rc;

	if ((rc = watch(s, &s->wake, err)) < 0)
		return rc;
	if ((rc = listen_on(&s->oob, IT_OOB, &s->addr, SOCK_STREAM, 0, err)) < 0 ||
	    (rc = watch(s, &s->oob, err)) < 0)
		return rc;
	for (size_t i = 0; i < s->nstubs; i++) {
		struct stub_rt *st = &s->stubs[i];

		if (st->kind == STUB_FS)
			continue;
		if ((rc = listen_on(&st->l, IT_STUB, &s->addr, SOCK_STREAM, 0, err)) < 0 ||
		    (rc = watch(s, &st->l, err)) < 0) {
			sr_err_wrap(err, "stub '%s'", st->name);
			return rc;
		}
	}
	/* A DNS listener the run asked for is as necessary as the TCP ones:
	 * without it a DNS callback would read as "not confirmed". */
	if (o->dns_port >= 0) {
		if ((rc = listen_on(&s->dns, IT_DNS, &s->addr, SOCK_DGRAM, o->dns_port, err)) < 0 ||
		    (rc = watch(s, &s->dns, err)) < 0)
			return rc;
	} else {
		s->dns_error = xstrdup("dns disabled");
	}
	return 0;
}

int net_session_open(struct net_session **out, const struct net_session_opts *o, struct sr_err *err)
{
	struct net_session *s;
	struct in_addr addr;
	sigset_t all, old;
	const char *domain;
	int rc;

	*out = NULL;
	rc = check_opts(o, &addr, err);
	if (rc < 0)
		return rc;
	domain = o->domain && *o->domain ? o->domain : "oob.sandrun.test";
	s = xcalloc(1, sizeof(*s));
	s->oob.fd = s->dns.fd = s->wake.fd = s->ep = -1;
	s->oob.stub = s->dns.stub = -1;
	s->oob.freebind = s->dns.freebind = o->freebind;
	s->addr = addr;
	inet_ntop(AF_INET, &addr, s->bind_addr, sizeof(s->bind_addr));
	snprintf(s->token, sizeof(s->token), "%s", o->token ? o->token : "");
	s->max_evidence = o->max_evidence_bytes ? o->max_evidence_bytes : NET_DEFAULT_EVIDENCE;
	s->idle_ms = o->idle_ms ? o->idle_ms : NET_DEFAULT_IDLE_MS;
	s->next_pid = 4242;
	ev_init(&s->ev, s->token, SESSION_EV_MAX);
	s->resp = xmalloc(sizeof(*s->resp));
	s->http = xmalloc(sizeof(*s->http));
	s->rbuf = xmalloc(RBUF_SIZE);
	s->stubs = xcalloc(o->nstubs ? o->nstubs : 1, sizeof(*s->stubs));
	s->nstubs = o->nstubs;
	init_stubs(s, o);
	if (dns_name_to_wire(s->zone, &s->zone_len, domain) < 0) {
		rc = sr_err_set(err, SR_EINVAL, "bad oob domain '%s'", domain);
		goto fail;
	}

	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->wake.it.kind = IT_WAKE;
	s->wake.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->ep < 0 || s->wake.fd < 0) {
		rc = sr_err_set(err, SR_EFAIL, "cannot set up the event loop: %s", strerror(errno));
		goto fail;
	}
	if ((rc = open_listeners(s, o, err)) < 0)
		goto fail;

	/* The loop thread must not take the process's signals (SIGINT,
	 * SIGTERM, SIGCHLD belong to the main thread's handling). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, loop_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		rc =
		    sr_err_set(err, SR_EFAIL, "cannot start the listener thread: %s", strerror(rc));
		goto fail;
	}
	s->thread_started = true;
	*out = s;
	return 0;
fail:
	net_session_free(s);
	return rc;
}
