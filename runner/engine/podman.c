#include "runner/engine/podman.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "runner/net/firewall.h"

/* The same rule as the firewall module's: an argv element, a /sys path and
 * part of a chain name. */
static bool valid_bridge(const char *b, size_t n)
{
	if (n == 0 || n > 15 || b[0] == '-' || b[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= 'A' && b[i] <= 'Z') ||
		      (b[i] >= '0' && b[i] <= '9') || b[i] == '_' || b[i] == '-' || b[i] == '.'))
			return false;
	return true;
}

/* The first dotted IPv4 address among the space-separated words of s. */
static bool first_ipv4(char out[16], const char *s)
{
	while (*s) {
		size_t n;
		char word[64];
		struct in_addr a;

		s += strspn(s, " \t\r\n");
		n = strcspn(s, " \t\r\n");
		if (n && n < sizeof(word)) {
			memcpy(word, s, n);
			word[n] = '\0';
			if (inet_pton(AF_INET, word, &a) == 1) {
				inet_ntop(AF_INET, &a, out, 16);
				return true;
			}
		}
		s += n;
	}
	return false;
}

int podman_parse_network(struct podman_net *out, const char *text, struct sr_err *err)
{
	const char *f[4];
	size_t len[4];
	const char *p = text ? text : "";

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 4; i++) {
		f[i] = p;
		len[i] = i < 3 ? strcspn(p, "|") : strlen(p);
		if (i < 3 && p[len[i]] != '|')
			return sr_err_set(err, SR_EINVAL,
					  "unexpected 'podman network inspect' output '%s'",
					  text ? text : "");
		p += len[i] + 1;
	}
	if (len[1] == 4 && !strncmp(f[1], "true", 4))
		return sr_err_set(err, SR_EINVAL,
				  "the network is internal: no host address for the listeners");
	if (len[2] == 4 && !strncmp(f[2], "true", 4))
		return sr_err_set(err, SR_EINVAL,
				  "the network has DNS enabled: podman's resolver would answer on "
				  "the gateway instead of the runner's");
	if (!valid_bridge(f[0], len[0]))
		return sr_err_set(err, SR_EINVAL, "bad bridge interface name '%.*s'", (int)len[0],
				  f[0]);
	if (!first_ipv4(out->gateway, f[3])) {
		memset(out, 0, sizeof(*out));
		return sr_err_set(err, SR_EINVAL, "the network has no IPv4 gateway");
	}
	memcpy(out->bridge, f[0], len[0]);
	out->bridge[len[0]] = '\0';
	return 0;
}

void podman_network_create_args(struct strvec *out, const char *name, const char *label_run,
				const char *label_owner)
{
	strvec_pushv(out, (const char *const[]){"network", "create", "--driver", "bridge",
						"--disable-dns", "--label", label_run, "--label",
						label_owner, name, NULL});
}

bool podman_bridge_claimed(const char *ls_output, const char *bridge)
{
	size_t n = bridge ? strlen(bridge) : 0;
	const char *p = ls_output;

	if (!p || !n)
		return false;
	while (*p) {
		size_t len = strcspn(p, "\n");
		size_t end = len;

		while (end && (p[end - 1] == '\r' || p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		if (end == n && !memcmp(p, bridge, n))
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

bool podman_oom_marked(int dirfd)
{
	struct stat st;

	return fstatat(dirfd, "oom", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

char *podman_ls_label(char *labels, const char *key)
{
	size_t k = strlen(key);

	for (char *p = labels; *p;) {
		size_t n = strcspn(p, ",");
		if (n > k && !strncmp(p, key, k) && p[k] == '=') {
			p[n] = '\0';
			return p + k + 1;
		}
		p += n + (p[n] == ',');
	}
	return labels + strlen(labels);
}

int podman_network_inspect(struct podman_net *out, const struct engine *e, const char *name,
			   struct sr_err *err)
{
	const char *args[] = {"network", "inspect", "--format", PODMAN_NET_FORMAT, name, NULL};
	struct strbuf text = STRBUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = engine_call(&text, e, args, ENGINE_TMO_QUICK, err);
	if (rc == 0)
		rc = podman_parse_network(out, strbuf_str(&text), err);
	strbuf_release(&text);
	if (rc < 0)
		return sr_err_wrap(err, "cannot use podman network '%s'", name);
	return 0;
}

struct claim_ctx {
	const struct engine *e;
	bool listed, ok;
	struct strbuf ls;
};

/* Listed once, on the first question: after the sweep read the rules. */
static bool claimed(const char *bridge, void *ctx)
{
	struct claim_ctx *c = ctx;
	const char *args[] = {"network", "ls", "--format", PODMAN_NET_LS_FORMAT, NULL};
	struct sr_err err = SR_ERR_INIT;

	if (!c->listed) {
		c->listed = true;
		c->ok = engine_call(&c->ls, c->e, args, ENGINE_TMO_QUICK, &err) == 0;
		if (!c->ok)
			sr_debug("cannot list podman networks: %s", err.msg);
	}
	/* Unknown owners: keep the chain rather than open a live network. */
	return !c->ok || podman_bridge_claimed(strbuf_str(&c->ls), bridge);
}

int podman_fw_sweep(const struct engine *e)
{
	struct claim_ctx c = {.e = e, .ls = STRBUF_INIT};
	int n = fw_sweep_stale(claimed, &c);

	strbuf_release(&c.ls);
	return n;
}
