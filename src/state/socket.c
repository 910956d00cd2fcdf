/*
 * socket.c - what the fd table knows of a socket: type, protocol, both
 * ends and the name, asked of the kernel (the tracee's socket duplicated
 * into lanner with pidfd_getfd), never taken from a sockaddr the tracee
 * passed, which another thread can rewrite and which says nothing of the
 * local end.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "state/state.h"
#include "render/render.h"

void ln_sockaddr_to(const struct sockaddr_storage *ss, uint8_t ip[16], uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		memcpy(ip, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		memcpy(ip, &a->sin6_addr, 16);
		*port = ntohs(a->sin6_port);
	}
}

static void addr_name(int fam, const uint8_t *ip, uint16_t port, char *buf, size_t n)
{
	char a[64];
	if (ln_ip_format(fam, ip, a, sizeof(a)) < 0)
		a[0] = '\0';
	snprintf(buf, n, "%s:%u", a, port);
}

static void unix_name(ln_fd *f, const struct sockaddr_storage *l, socklen_t ll,
		      const struct sockaddr_storage *r, socklen_t rl)
{
	const struct sockaddr_un *u = (const void *)(ll > sizeof(sa_family_t) ? l : r);
	socklen_t len = ll > sizeof(sa_family_t) ? ll : rl;
	char name[sizeof(u->sun_path) + 2] = "";
	size_t n = len > sizeof(sa_family_t) ? len - sizeof(sa_family_t) : 0;
	if (n > sizeof(u->sun_path))
		n = sizeof(u->sun_path);
	if (n && u->sun_path[0] == '\0') {	/* abstract: @name */
		name[0] = '@';
		memcpy(name + 1, u->sun_path + 1, n - 1);
		name[n] = '\0';
	} else if (n) {
		memcpy(name, u->sun_path, n);
		name[n] = '\0';
	}
	ln_fd_set_name(f, name);
}

/* Fill type, l4proto, both ends and the name of a socket fd. */
void ln_sock_fill(struct ln_session *s, struct ln_pstate *p, ln_fd *f)
{
	ln_state_changed(s, LN_TOUCH_FD, p->pub.pid, f->num);
	/* the inode tells later whether this number is still this socket
	 * (always re-read: an entry lanner kept may be of a file closed while
	 * close was not traced) */
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pub.pid, f->num);
	if (stat(path, &st) == 0) {
		f->ino = st.st_ino;
		f->dev = st.st_dev;
	}
	int sfd = ln_proc_pidfd_getfd(s, p, f->num);
	if (sfd < 0) {
		f->type = LN_FD_OTHER;
		return;
	}
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	int type = 0, proto = 0, acc = 0;
	socklen_t il = sizeof(int);
	memset(&l, 0, sizeof(l));
	memset(&r, 0, sizeof(r));
	getsockopt(sfd, SOL_SOCKET, SO_TYPE, &type, &il);
	il = sizeof(int);
	getsockopt(sfd, SOL_SOCKET, SO_PROTOCOL, &proto, &il);
	il = sizeof(int);
	getsockopt(sfd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &il);
	if (getsockname(sfd, (struct sockaddr *)&l, &ll) < 0)
		ll = 0;
	bool peer = getpeername(sfd, (struct sockaddr *)&r, &rl) == 0;
	if (!peer)
		rl = 0;
	close(sfd);

	int fam = l.ss_family ? l.ss_family : r.ss_family;
	ln_tuple *tu = &f->tuple;
	tu->family = (uint16_t)fam;
	tu->l4proto = proto == IPPROTO_TCP || (type == SOCK_STREAM && fam != AF_UNIX) ? LN_L4_TCP
		: proto == IPPROTO_UDP || (type == SOCK_DGRAM && fam != AF_UNIX) ? LN_L4_UDP
		: proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6 ? LN_L4_ICMP
		: type == SOCK_RAW ? LN_L4_RAW : LN_L4_UNKNOWN;
	if (acc)
		f->is_server = 1;
	if (peer)
		f->connected = 1;
	switch (fam) {
	case AF_INET:
	case AF_INET6:
		f->type = fam == AF_INET ? LN_FD_IPV4 : LN_FD_IPV6;
		ln_sockaddr_to(&l, tu->lip, &tu->lport);
		ln_sockaddr_to(&r, tu->rip, &tu->rport);
		{
			/* Falco's names: the tuple once connected, the local
			 * end once bound, nothing before */
			char name[128] = "";
			if (peer)
				ln_tuple_format(tu, f->is_server, name, sizeof(name));
			else if (tu->lport)
				addr_name(fam, tu->lip, tu->lport, name, sizeof(name));
			ln_fd_set_name(f, name);
		}
		break;
	case AF_UNIX:
		f->type = LN_FD_UNIX;
		unix_name(f, &l, ll, &r, rl);
		break;
	case AF_NETLINK:
		f->type = LN_FD_NETLINK;
		ln_fd_set_name(f, "netlink");
		break;
	default:
		f->type = LN_FD_OTHER;
		break;
	}
}
