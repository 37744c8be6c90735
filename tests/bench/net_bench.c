/* OOB listener benchmark: one session on 127.0.0.1 holds NCONN client
 * connections open at once (default 1,000) and takes NHITS HTTP hits over
 * them with keep-alive (default 10,000, half carrying the run's token, half
 * another one, in the path or in a header). Then the session is stopped and
 * every hit must be accounted for: attributed and unattributed counts exact,
 * nothing dropped or refused. Prints counts and hits/s; exits 1 on a loss.
 *
 * usage: net_bench [NCONN [NHITS]] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runner/net/net.h"

#define TOKEN	    "5d41402abc4b2a76b9719d911017c592"
#define OTHER	    "7d793037a0760186574b0282f2f435e7"
#define DEADLINE_MS 60000

struct client {
	int fd;
	unsigned sent, answered;
	size_t have; /* response bytes received towards the current answer */
};

static size_t response_len;

static int raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want <= rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		return -1;
	return 0;
}

static int send_hit(struct client *c, unsigned seq, unsigned *attributed)
{
	char req[256];
	bool mine = seq % 2 == 0;
	int n;

	/* Alternate where the token sits: path, then a header. */
	if (seq % 4 < 2)
		n = snprintf(req, sizeof(req), "GET /%s?seq=%u HTTP/1.1\r\nHost: bench\r\n\r\n",
			     mine ? TOKEN : OTHER, seq);
	else
		n = snprintf(req, sizeof(req),
			     "GET /cb?seq=%u HTTP/1.1\r\nHost: bench\r\nX-Id: %s\r\n\r\n", seq,
			     mine ? TOKEN : OTHER);
	if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		return -1;
	if (mine)
		(*attributed)++;
	c->sent++;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned nconn = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
	unsigned nhits = argc > 2 ? (unsigned)atoi(argv[2]) : 10000;
	struct net_session_opts o = {.bind_addr = "127.0.0.1", .token = TOKEN, .dns_port = -1};
	struct sr_err err = SR_ERR_INIT;
	struct net_session *s;
	struct client *cl;
	struct net_stats st;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned seq = 0, attributed = 0, answered = 0, per;
	uint64_t t0, t1, deadline;
	int ep, rc = 0;

	signal(SIGPIPE, SIG_IGN);
	if (!nconn || nhits < nconn || nconn > NET_MAX_CONNS) {
		fprintf(stderr, "net_bench: need 0 < NCONN <= %d and NHITS >= NCONN\n",
			NET_MAX_CONNS);
		return 2;
	}
	per = nhits / nconn;
	nhits = per * nconn;
	/* Both ends of every connection live in this process. */
	if (raise_nofile(2 * (rlim_t)nconn + 64) < 0) {
		fprintf(stderr, "net_bench: cannot raise RLIMIT_NOFILE to %u\n", 2 * nconn + 64);
		return 2;
	}
	{
		struct strbuf r = STRBUF_INIT;
		strbuf_addstr(&r,
			      "HTTP/1.1 200 OK\r\nServer: sandrun\r\nContent-Type: text/plain\r\n"
			      "Content-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
		response_len = r.len;
		strbuf_release(&r);
	}
	if (net_session_open(&s, &o, &err) < 0) {
		fprintf(stderr, "net_bench: %s\n", err.msg);
		return 1;
	}
	sa.sin_port = htons(net_session_oob_port(s));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ep = epoll_create1(EPOLL_CLOEXEC);
	cl = calloc(nconn, sizeof(*cl));
	if (ep < 0 || !cl) {
		perror("net_bench");
		return 1;
	}
	for (unsigned i = 0; i < nconn; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};

		cl[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (cl[i].fd < 0 || connect(cl[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "net_bench: connection %u: %s\n", i, strerror(errno));
			return 1;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &e);
	}
	/* Every connection accepted and open before the first hit. */
	deadline = sr_now_ms() + 10000;
	do {
		net_session_stats(s, &st);
		if (st.peak_connections >= nconn)
			break;
		usleep(10000);
	} while (sr_now_ms() < deadline);
	if (st.peak_connections < nconn) {
		fprintf(stderr, "net_bench: only %llu of %u connections open\n",
			(unsigned long long)st.peak_connections, nconn);
		return 1;
	}

	t0 = sr_now_ms();
	for (unsigned i = 0; i < nconn; i++)
		if (send_hit(&cl[i], seq++, &attributed) < 0) {
			perror("net_bench: send");
			return 1;
		}
	deadline = t0 + DEADLINE_MS;
	while (answered < nhits && sr_now_ms() < deadline) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 1000);

		for (int k = 0; k < n; k++) {
			struct client *c = &cl[evs[k].data.u32];
			char buf[8192];
			ssize_t r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				fprintf(stderr, "net_bench: connection closed after %u answers\n",
					c->answered);
				return 1;
			}
			c->have += (size_t)r;
			while (c->have >= response_len) {
				c->have -= response_len;
				c->answered++;
				answered++;
				if (c->sent < per && send_hit(c, seq++, &attributed) < 0) {
					perror("net_bench: send");
					return 1;
				}
			}
		}
	}
	t1 = sr_now_ms();
	net_session_stats(s, &st);
	printf(
	    "net_bench: %u connections held open at once (peak %llu), %u hits sent, %u answered\n",
	    nconn, (unsigned long long)st.peak_connections, nhits, answered);
	for (unsigned i = 0; i < nconn; i++)
		close(cl[i].fd);
	net_session_stop(s);
	net_session_stats(s, &st);
	{
		struct strbuf a = STRBUF_INIT, u = STRBUF_INIT;
		net_session_evidence(s, &a, NULL, &u);
		printf(
		    "  recorded: %llu attributed (expected %u), %llu unattributed (expected %u), "
		    "%llu dropped, %llu refused\n",
		    (unsigned long long)st.oob_attributed, attributed,
		    (unsigned long long)st.oob_unattributed, nhits - attributed,
		    (unsigned long long)st.dropped, (unsigned long long)st.refused);
		printf("  evidence JSON: %zu + %zu bytes (bounded at %u each)\n", a.len, u.len,
		       NET_DEFAULT_EVIDENCE);
		if (a.len > NET_DEFAULT_EVIDENCE || u.len > NET_DEFAULT_EVIDENCE)
			rc = 1;
		strbuf_release(&a);
		strbuf_release(&u);
	}
	printf("  %.3f s, %.0f hits/s\n", (double)(t1 - t0) / 1000.0,
	       (double)answered * 1000.0 / (double)(t1 > t0 ? t1 - t0 : 1));
	if (answered != nhits || st.oob_attributed != attributed ||
	    st.oob_unattributed != nhits - attributed || st.dropped || st.refused ||
	    !net_session_oob_fired(s, NULL))
		rc = 1;
	printf("net_bench: %s\n", rc ? "FAIL: hits lost" : "ok, no hit lost");
	net_session_free(s);
	free(cl);
	close(ep);
	return rc;
}
