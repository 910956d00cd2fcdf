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
#include "decode/decode.h"
#include "state/state.h"

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
	ln_fd *f = ln_fd_at(p, fd);
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
	ln_fd *f = ln_fd_at(p, fd);
	const ln_param *a = &ev->params[i];
	if (!f || f->connected || !(a->flags & LN_PF_READ))
		return;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, t->arena.buf + t->off[i], a->len < sizeof(ss) ? a->len : sizeof(ss));
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		return;
	ln_sockaddr_to(&ss, f->tuple.rip, &f->tuple.rport);
	f->tuple.family = ss.ss_family;
	if (p->sess)
		ln_state_changed(p->sess, LN_TOUCH_FD, p->pub.pid, fd);
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
