/*
 * addr.c - addresses as text: IPs, socket tuples (Falco's fd.name
 * of a socket) and raw sockaddrs (sysdig's connect/bind/accept addr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include "table/consts.h"
#include "render/render.h"

static void put_ip(struct out *o, int family, const void *ip)
{
	char tmp[INET6_ADDRSTRLEN];
	if (inet_ntop(family, ip, tmp, sizeof(tmp)))
		out_str(o, tmp);
}

/* sysdig's form: the port after a colon even for IPv6 ("::1:8080"). */
static void put_endpoint(struct out *o, int family, const uint8_t *ip, unsigned port)
{
	put_ip(o, family, ip);
	out_fmt(o, ":%u", port);
}

/* Falco's fd.name is always client->server: a server side (listening or
 * accepted) has the client at the remote end. */
void ln_put_tuple(struct out *o, const ln_tuple *t, int is_server)
{
	if (t->family != AF_INET && t->family != AF_INET6)
		return;
	if (is_server) {
		put_endpoint(o, t->family, t->rip, t->rport);
		out_str(o, "->");
		put_endpoint(o, t->family, t->lip, t->lport);
	} else {
		put_endpoint(o, t->family, t->lip, t->lport);
		out_str(o, "->");
		put_endpoint(o, t->family, t->rip, t->rport);
	}
}

static void put_unix_path(struct out *o, const struct sockaddr_un *sun, size_t len)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);
	size_t plen = len > off ? len - off : 0;
	if (plen > sizeof(sun->sun_path))
		plen = sizeof(sun->sun_path);
	if (plen > 0 && sun->sun_path[0] == 0) {
		/* abstract: a name that may hold any byte, NULs included */
		out_char(o, '@');
		out_dots(o, sun->sun_path + 1, plen - 1);
	} else {
		out_cstr(o, sun->sun_path, plen);	/* "" when unnamed */
	}
}

/* Copied out first: the bytes sit unaligned in the event's arena. */
int ln_put_sockaddr(struct out *o, const char *sa, size_t len)
{
	struct sockaddr_storage ss;
	if (!sa || len < sizeof(sa_family_t))
		return -1;
	if (len > sizeof(ss))
		len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, len);
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
		put_endpoint(o, AF_INET, (const uint8_t *)&sin->sin_addr, ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
		put_endpoint(o, AF_INET6, sin6->sin6_addr.s6_addr, ntohs(sin6->sin6_port));
	} else if (ss.ss_family == AF_UNIX) {
		put_unix_path(o, (const struct sockaddr_un *)&ss, len);
	} else if (ss.ss_family == AF_NETLINK) {
		out_str(o, "netlink");
	} else {
		out_fmt(o, "family %u", (unsigned)ss.ss_family);
	}
	return 0;
}

LN_API int ln_tuple_format(const ln_tuple *t, int is_server, char *buf, size_t n)
{
	struct out o;
	if (!t || (!buf && n))
		return -EINVAL;
	out_init(&o, buf, n);
	ln_put_tuple(&o, t, is_server);
	return (int)o.len;
}

LN_API int ln_ip_format(int family, const uint8_t *ip, char *buf, size_t n)
{
	struct out o;
	if (!ip || (!buf && n))
		return -EINVAL;
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	out_init(&o, buf, n);
	put_ip(&o, family, ip);
	return (int)o.len;
}
