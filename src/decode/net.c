/*
 * net.c - socket effects: sockets get their type, protocol and both ends
 * from the kernel (the tracee's socket, duplicated into lanner with
 * pidfd_getfd), not from the sockaddr the tracee passed, which another
 * thread can rewrite and which says nothing of the local end.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "decode/effects.h"
#include "capture.h"


static void addr_to(const struct sockaddr_storage *ss, uint8_t ip[16], uint16_t *port)
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
	ln_cap_touch(s, LN_TOUCH_FD, p->pub.pid, f->num);
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
		addr_to(&l, tu->lip, &tu->lport);
		addr_to(&r, tu->rip, &tu->rport);
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

EFFECT(effect_socket)
{
	if (ev->res < 0)
		return;
	ln_fd *f = ln_fd_set(PROC(t), (int)ev->res);
	if (!f)
		return;
	f->flags = (uint32_t)ev->params[2].val & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	ln_sock_fill(s, PROC(t), f);
}

EFFECT(effect_socketpair)
{
	int fds[2];
	if (!ln_event_fdpair(t, 1, fds))
		return;
	for (int i = 0; i < 2; i++) {
		ln_fd *f = ln_fd_set(PROC(t), fds[i]);
		if (f)
			ln_sock_fill(s, PROC(t), f);
	}
}

/* Refill the socket the event acts on; the kernel knows its ends now.  A
 * non-blocking connect in progress (EINPROGRESS) has its ends too. */
static void refill(struct ln_session *s, struct ln_tstate *t, int fd, bool server)
{
	struct ln_pstate *p = PROC(t);
	ln_fd *f = fd >= 0 && fd < p->nfd_slots ? p->fds[fd] : NULL;
	if (!f) {
		f = ln_fd_set(p, fd);	/* a socket made before we looked */
		if (!f)
			return;
	}
	if (server)
		f->is_server = 1;
	ln_sock_fill(s, p, f);
}

/* The other end of fd is the address in param i, when the kernel cannot
 * say: a connect still in progress, a datagram on an unconnected socket. */
static void peer_from_param(struct ln_tstate *t, ln_event *ev, int fd, int i)
{
	struct ln_pstate *p = PROC(t);
	ln_fd *f = fd >= 0 && fd < p->nfd_slots ? p->fds[fd] : NULL;
	const ln_param *a = &ev->params[i];
	if (!f || f->connected || !(a->flags & LN_PF_READ))
		return;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, t->arena.buf + t->off[i], a->len < sizeof(ss) ? a->len : sizeof(ss));
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		return;
	addr_to(&ss, f->tuple.rip, &f->tuple.rport);
	f->tuple.family = ss.ss_family;
	if (p->sess)
		ln_cap_touch(p->sess, LN_TOUCH_FD, p->pub.pid, fd);
	char name[128];
	ln_tuple_format(&f->tuple, f->is_server, name, sizeof(name));
	ln_fd_set_name(f, name);
}

EFFECT(effect_connect)
{
	if (ev->res < 0 && ev->res != -115 /* EINPROGRESS */)
		return;
	int fd = (int)ev->params[2].val;
	refill(s, t, fd, false);
	/* in progress: getpeername fails, the address asked for is the peer */
	peer_from_param(t, ev, fd, 3);
}

EFFECT(effect_bind)
{
	if (ev->res == 0)
		refill(s, t, (int)ev->params[2].val, false);
}

EFFECT(effect_listen)
{
	if (ev->res == 0)
		refill(s, t, (int)ev->params[1].val, true);
}

EFFECT(effect_accept)
{
	if (ev->res < 0)
		return;
	/* a new fd: whatever lanner knew under that number is gone (closed
	 * while close was not traced, with the fd table read lazily) */
	ln_fd_del(PROC(t), (int)ev->res);
	refill(s, t, (int)ev->res, true);
}

/* sendto/recvfrom on an unconnected datagram socket: the other end is the
 * address of this datagram, which only the syscall says. */
static void dgram_peer(struct ln_tstate *t, ln_event *ev, int addr_param)
{
	if (ev->res >= 0)
		peer_from_param(t, ev, (int)ev->params[2].val, addr_param);
}

EFFECT(effect_sendto)
{
	if (!strcmp(ln_type(ev->type)->name, "sendto"))
		dgram_peer(t, ev, 5);
}

EFFECT(effect_recvfrom)
{
	if (!strcmp(ln_type(ev->type)->name, "recvfrom"))
		dgram_peer(t, ev, 5);
}
