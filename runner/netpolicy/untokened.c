/* Untokened evidence: unattributed hits from the run's own network. */
#include "runner/netpolicy/untokened.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/jsonparse.h"

bool untokened_subnet(uint32_t *net, uint32_t *mask, const char *gateway)
{
	struct ifaddrs *ifs, *p;
	struct in_addr gw;
	bool found = false;

	if (!gateway || inet_pton(AF_INET, gateway, &gw) != 1 || getifaddrs(&ifs) < 0)
		return false;
	for (p = ifs; p && !found; p = p->ifa_next) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)p->ifa_addr;
		const struct sockaddr_in *m = (const struct sockaddr_in *)p->ifa_netmask;
		if (!a || !m || a->sin_family != AF_INET || a->sin_addr.s_addr != gw.s_addr)
			continue;
		*mask = ntohl(m->sin_addr.s_addr);
		*net = ntohl(gw.s_addr) & *mask;
		found = true;
	}
	freeifaddrs(ifs);
	return found;
}

/* Is "ip:port" an address in net/mask other than gateway? */
static bool from_inside(const char *from, uint32_t net, uint32_t mask, const char *gateway)
{
	char ip[INET_ADDRSTRLEN];
	size_t n = strcspn(from, ":");
	struct in_addr a;

	if (n >= sizeof(ip))
		return false;
	memcpy(ip, from, n);
	ip[n] = '\0';
	if (!strcmp(ip, gateway) || inet_pton(AF_INET, ip, &a) != 1)
		return false;
	return (ntohl(a.s_addr) & mask) == net;
}

void untokened_filter(struct strbuf *out, const char *un_json, uint32_t net, uint32_t mask,
		      const char *gateway)
{
	struct json_value *v = NULL;
	size_t n = 0;

	strbuf_addch(out, '[');
	if (un_json && json_parse(&v, "unattributed", un_json, strlen(un_json), NULL) == 0 &&
	    v->type == JSON_ARRAY) {
		for (size_t i = 0; i < v->u.arr.n; i++) {
			const struct json_value *e = v->u.arr.v[i];
			const char *from =
			    e->type == JSON_OBJECT ? json_str(json_get(e, "from")) : NULL;
			if (!from || !from_inside(from, net, mask, gateway))
				continue;
			if (n++)
				strbuf_addch(out, ',');
			json_serialize(out, e);
		}
	}
	json_free(v);
	strbuf_addch(out, ']');
}
