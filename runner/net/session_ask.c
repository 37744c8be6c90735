/* What the runner asks of a session (net.h): its ports, whether an oracle
 * fired, the evidence and counters; stopping and freeing it. The loop and
 * the set-up are in session.c. */
#include "runner/net/netint.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint16_t net_session_oob_port(const struct net_session *s)
{
	return s ? s->oob.port : 0;
}

uint16_t net_session_dns_port(const struct net_session *s)
{
	return s && s->dns.fd >= 0 ? s->dns.port : 0;
}

const char *net_session_dns_error(const struct net_session *s)
{
	return s && s->dns_error ? s->dns_error : "";
}

uint16_t net_session_stub_port(const struct net_session *s, size_t i)
{
	if (!s || i >= s->nstubs || s->stubs[i].kind == STUB_FS)
		return 0;
	return s->stubs[i].l.port;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void net_session_stop(struct net_session *s)
{
	if (!s || s->stopped)
		return;
	s->stopped = true;
	if (s->thread_started) {
		uint64_t one = 1;

		while (write(s->wake.fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		pthread_join(s->thread, NULL);
		s->thread_started = false;
	}
	close_fd(&s->oob.fd);
	close_fd(&s->dns.fd);
	for (size_t i = 0; i < s->nstubs; i++)
		close_fd(&s->stubs[i].l.fd);
	close_fd(&s->wake.fd);
	close_fd(&s->ep);
}

int net_session_next(struct net_session *s, const char *token, struct sr_err *err)
{
	if (!s || s->stopped)
		return sr_err_set(err, SR_EFAIL, "the listeners have stopped");
	if (token && strlen(token) > 63)
		return sr_err_set(err, SR_EINVAL, "token is too long");
	snprintf(s->token, sizeof(s->token), "%s", token ? token : "");
	ev_next(&s->ev, s->token);
	return 0;
}

bool net_session_oob_fired(struct net_session *s, char **cause_out)
{
	if (cause_out)
		*cause_out = NULL;
	if (!s)
		return false;
	return ev_fired(&s->ev, cause_out);
}

bool net_session_stub_match(struct net_session *s, const char *stub_name, const char *contains,
			    const char *regex, char **cause_out)
{
	regex_t re;
	bool have_re = false, m = false;

	if (cause_out)
		*cause_out = NULL;
	if (!s || !stub_name)
		return false;
	for (size_t i = 0; i < s->nstubs; i++) {
		if (strcmp(s->stubs[i].name, stub_name))
			continue;
		if (regex) {
			if (regcomp(&re, regex, REG_EXTENDED | REG_NOSUB) != 0)
				return false;
			have_re = true;
		}
		m = ev_stub_match(&s->ev, (int)i, s->stubs[i].name, s->stubs[i].kind_name, contains,
				  have_re ? &re : NULL, cause_out);
		if (have_re)
			regfree(&re);
		break;
	}
	return m;
}

void net_session_evidence(struct net_session *s, struct strbuf *oob_json, struct strbuf *stubs_json,
			  struct strbuf *unattributed_json)
{
	struct strbuf t1 = STRBUF_INIT, t2 = STRBUF_INIT, t3 = STRBUF_INIT;
	const char **names, **kinds;

	if (!s)
		return;
	names = xcalloc(s->nstubs + 1, sizeof(*names));
	kinds = xcalloc(s->nstubs + 1, sizeof(*kinds));
	for (size_t i = 0; i < s->nstubs; i++) {
		names[i] = s->stubs[i].name;
		kinds[i] = s->stubs[i].kind_name;
	}
	ev_json(&s->ev, s->max_evidence, names, kinds, oob_json ? oob_json : &t1,
		stubs_json ? stubs_json : &t2, unattributed_json ? unattributed_json : &t3);
	free(names);
	free(kinds);
	strbuf_release(&t1);
	strbuf_release(&t2);
	strbuf_release(&t3);
}

void net_session_stats(struct net_session *s, struct net_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	pthread_mutex_lock(&s->ev.lock);
	out->oob_attributed = s->ev.n_attributed;
	out->oob_unattributed = s->ev.n_unattributed;
	out->stub_interactions = s->ev.n_stub;
	out->dropped = s->ev.n_dropped;
	out->connections = s->accepted;
	out->refused = s->refused;
	out->peak_connections = s->peak;
	out->dns_packets = s->dns_packets;
	pthread_mutex_unlock(&s->ev.lock);
}

void net_session_free(struct net_session *s)
{
	if (!s)
		return;
	net_session_stop(s);
	for (size_t i = 0; i < s->nstubs; i++) {
		free(s->stubs[i].name);
		free(s->stubs[i].body);
		kv_release(&s->stubs[i].kv);
	}
	free(s->stubs);
	free(s->dns_error);
	free(s->resp);
	free(s->http);
	free(s->rbuf);
	ev_release(&s->ev);
	free(s);
}
