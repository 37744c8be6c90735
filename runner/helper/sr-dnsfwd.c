/* sr-dnsfwd: the DNS relay sandrun starts on a run's network when the runner
 * cannot bind UDP 53 on the gateway itself (not root).
 *
 *   sr-dnsfwd UPSTREAM_IP UPSTREAM_PORT [LISTEN_IP [LISTEN_PORT]]
 *
 * It runs as the only process of a tiny container on the run's internal
 * network, binds UDP LISTEN_IP:LISTEN_PORT (default 0.0.0.0:53 — the
 * container's own network namespace, not the host's) and relays every
 * datagram that is at least a DNS header long to UPSTREAM (the runner's DNS
 * listener on an unprivileged port of the gateway), and each answer back to
 * the client that asked. The runner still observes the query on the host,
 * so the evidence stays host-side; this program never looks past the 16-bit
 * query id, which it rewrites so that two clients using the same id cannot
 * receive each other's answers.
 *
 * Readiness: a datagram that is exactly "ping" is answered "pong" and never
 * forwarded, so the runner can tell from the host that the relay is bound.
 *
 * Built `-static -Os`, numeric addresses only (no NSS, no resolver, no
 * allocation). Bounded: PENDING_MAX queries in flight, each forgotten after
 * PENDING_TTL_MS; a query that finds the table full is dropped (the client
 * retries). Exits 0 on SIGTERM/SIGINT; 2 on bad arguments, 3 when the listen
 * socket cannot be bound, 4 when the upstream socket cannot be set up — with
 * one line on stderr saying why. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PENDING_BITS   9
#define PENDING_MAX    (1u << PENDING_BITS) /* queries in flight */
#define PENDING_TTL_MS 10000u		    /* longer than any resolver waits */
#define DNS_HDR	       12
#define PKT_MAX	       65536

struct pending {
	int used;
	uint16_t client_id; /* the id the client chose, restored in the answer */
	uint16_t wire_id;   /* the id sent upstream: generation << PENDING_BITS | slot */
	uint64_t expires_ms;
	struct sockaddr_in client;
};

static struct pending table[PENDING_MAX];
static unsigned next_slot;
static uint16_t generation;
static unsigned char pkt[PKT_MAX];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A numeric IPv4 address and port into sa; -1 when either is malformed. */
static int parse_addr(struct sockaddr_in *sa, const char *ip, const char *port)
{
	char *end;
	unsigned long p;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		return -1;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || end == port || *end || p > 65535 || port[0] == '-' || port[0] == '+')
		return -1;
	sa->sin_port = htons((uint16_t)p);
	return 0;
}

/* A free (or expired) slot for a new query, -1 when every slot is live.
 * Round-robin, so a slot is reused as late as possible and a late answer
 * for a forgotten query most likely finds its slot empty. */
static int take_slot(uint64_t now)
{
	for (unsigned i = 0; i < PENDING_MAX; i++) {
		unsigned s = (next_slot + i) % PENDING_MAX;

		if (!table[s].used || table[s].expires_ms <= now) {
			next_slot = (s + 1) % PENDING_MAX;
			if (s == PENDING_MAX - 1)
				generation++;
			return (int)s;
		}
	}
	return -1;
}

static void on_client(int down, int up)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(down, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	uint64_t now = now_ms();
	int s;

	if (n < 0 || fl != sizeof(from) || from.sin_family != AF_INET)
		return;
	if (n == 4 && !memcmp(pkt, "ping", 4)) {
		sendto(down, "pong", 4, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
		return;
	}
	if (n < DNS_HDR || (s = take_slot(now)) < 0)
		return;
	table[s].used = 1;
	table[s].client_id = (uint16_t)(pkt[0] << 8 | pkt[1]);
	table[s].wire_id = (uint16_t)((unsigned)generation << PENDING_BITS | (unsigned)s);
	table[s].expires_ms = now + PENDING_TTL_MS;
	table[s].client = from;
	pkt[0] = (unsigned char)(table[s].wire_id >> 8);
	pkt[1] = (unsigned char)(table[s].wire_id & 0xff);
	/* A failed send (upstream not there yet) leaves the slot to expire:
	 * the client's own retry is the retry. */
	send(up, pkt, (size_t)n, MSG_DONTWAIT);
}

static void on_upstream(int down, int up)
{
	/* The socket is connected: the kernel delivers datagrams from the
	 * upstream address only. */
	ssize_t n = recv(up, pkt, sizeof(pkt), MSG_DONTWAIT);
	uint16_t id;
	struct pending *p;

	if (n < DNS_HDR)
		return;
	id = (uint16_t)(pkt[0] << 8 | pkt[1]);
	p = &table[id & (PENDING_MAX - 1)];
	if (!p->used || p->wire_id != id || p->expires_ms <= now_ms())
		return;
	pkt[0] = (unsigned char)(p->client_id >> 8);
	pkt[1] = (unsigned char)(p->client_id & 0xff);
	sendto(down, pkt, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&p->client,
	       sizeof(p->client));
	p->used = 0;
}

static int open_sockets(int *down, int *up, const struct sockaddr_in *listen_sa,
			const struct sockaddr_in *up_sa)
{
	char ip[INET_ADDRSTRLEN];

	*down = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (*down < 0 || bind(*down, (const struct sockaddr *)listen_sa, sizeof(*listen_sa)) < 0) {
		inet_ntop(AF_INET, &listen_sa->sin_addr, ip, sizeof(ip));
		fprintf(stderr, "sr-dnsfwd: cannot bind udp %s:%u: %s\n", ip,
			ntohs(listen_sa->sin_port), strerror(errno));
		return 3;
	}
	*up = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (*up < 0 || connect(*up, (const struct sockaddr *)up_sa, sizeof(*up_sa)) < 0) {
		inet_ntop(AF_INET, &up_sa->sin_addr, ip, sizeof(ip));
		fprintf(stderr, "sr-dnsfwd: cannot reach udp %s:%u: %s\n", ip,
			ntohs(up_sa->sin_port), strerror(errno));
		return 4;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in up_sa, listen_sa;
	struct sigaction sa;
	struct pollfd pf[2];
	int down, up, rc;

	if (argc < 3 || argc > 5 || parse_addr(&up_sa, argv[1], argv[2]) < 0 ||
	    parse_addr(&listen_sa, argc > 3 ? argv[3] : "0.0.0.0", argc > 4 ? argv[4] : "53") < 0 ||
	    !up_sa.sin_port) {
		fprintf(stderr,
			"usage: sr-dnsfwd UPSTREAM_IP UPSTREAM_PORT [LISTEN_IP [LISTEN_PORT]]"
			"  (numeric IPv4 addresses)\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = open_sockets(&down, &up, &listen_sa, &up_sa);
	if (rc)
		return rc;
	pf[0] = (struct pollfd){.fd = down, .events = POLLIN};
	pf[1] = (struct pollfd){.fd = up, .events = POLLIN};
	while (!stop) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "sr-dnsfwd: poll: %s\n", strerror(errno));
			return 1;
		}
		/* ICMP errors on the connected socket (upstream not yet
		 * listening) surface as POLLERR; recv clears them. */
		if (pf[1].revents)
			on_upstream(down, up);
		if (pf[0].revents)
			on_client(down, up);
	}
	return 0;
}
