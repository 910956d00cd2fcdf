#define _GNU_SOURCE
/*
 * net: sockets on loopback and in a directory given as argv[1].
 *   TCP: server socket bound to 127.0.0.1:0, listen, client connect,
 *        accept4, sendto/recvfrom, sendmsg/recvmsg, getsockopt, shutdown
 *   UDP: two sockets bound to 127.0.0.1:0, sendto with an address,
 *        recvfrom with an address
 *   socketpair(AF_UNIX), and a unix stream socket at argv[1]/sock
 * Without argv[1] it uses a mkdtemp directory and removes it at the end.
 * Writes "tcp_server_port tcp_client_port udp_a_port udp_b_port" to
 * argv[1]/ports (the spec reads it).  fds above 2 are closed first, so
 * the fds are known: see spec/core_net_spec.lua.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static int step;

static long expect(long got, long want)
{
	step++;
	if (got != want) {
		fprintf(stderr, "net: step %d: got %ld (errno %d), want %ld\n", step, got, errno, want);
		exit(step);
	}
	return got;
}

static int port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	return ntohs(a.sin_port);
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/lanner-net.XXXXXX";
	const char *dir = argc > 1 ? argv[1] : mkdtemp(tmp);
	if (!dir)
		return 100;
	syscall(SYS_close_range, 3, ~0u, 0);
	struct sockaddr_in lo = { .sin_family = AF_INET, .sin_port = 0 };
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	char buf[64];

	/* TCP: 3 listens, 4 connects, 5 is the accepted end */
	int srv = (int)expect(socket(AF_INET, SOCK_STREAM, 0), 3);
	expect(bind(srv, (struct sockaddr *)&lo, sizeof(lo)), 0);
	expect(listen(srv, 5), 0);
	struct sockaddr_in to = lo;
	to.sin_port = htons((uint16_t)port_of(srv));
	int cli = (int)expect(socket(AF_INET, SOCK_STREAM, 0), 4);
	expect(connect(cli, (struct sockaddr *)&to, sizeof(to)), 0);
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int acc = (int)expect(accept4(srv, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC), 5);
	expect(sendto(cli, "ping", 4, 0, NULL, 0), 4);
	expect(recvfrom(acc, buf, sizeof(buf), 0, NULL, NULL), 4);
	struct iovec iov = { "pong!", 5 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	expect(sendmsg(acc, &mh, 0), 5);
	struct iovec riov = { buf, sizeof(buf) };
	struct msghdr rmh = { .msg_iov = &riov, .msg_iovlen = 1 };
	expect(recvmsg(cli, &rmh, 0), 5);
	int type = 0;
	socklen_t tl = sizeof(type);
	expect(getsockopt(cli, SOL_SOCKET, SO_TYPE, &type, &tl), 0);
	expect(type, SOCK_STREAM);
	expect(shutdown(cli, SHUT_WR), 0);

	/* UDP: 6 and 7 */
	int ua = (int)expect(socket(AF_INET, SOCK_DGRAM, 0), 6);
	expect(bind(ua, (struct sockaddr *)&lo, sizeof(lo)), 0);
	int ub = (int)expect(socket(AF_INET, SOCK_DGRAM, 0), 7);
	expect(bind(ub, (struct sockaddr *)&lo, sizeof(lo)), 0);
	struct sockaddr_in ato = lo;
	ato.sin_port = htons((uint16_t)port_of(ua));
	expect(sendto(ub, "udp", 3, 0, (struct sockaddr *)&ato, sizeof(ato)), 3);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	expect(recvfrom(ua, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 3);

	/* ports, for the spec: fd 8 */
	char path[4096];
	snprintf(path, sizeof(path), "%s/ports", dir);
	int pf = (int)expect(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 8);
	int n = snprintf(buf, sizeof(buf), "%d %d %d %d\n", port_of(srv), port_of(cli), port_of(ua), port_of(ub));
	expect(write(pf, buf, (size_t)n), n);
	expect(close(pf), 0);

	/* socketpair: 8 and 9 */
	int sv[2];
	expect(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	expect(sv[0], 8);
	expect(sv[1], 9);

	/* unix stream socket in the directory: 10 listens, 11 connects, 12 */
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/sock", dir);
	int us = (int)expect(socket(AF_UNIX, SOCK_STREAM, 0), 10);
	expect(bind(us, (struct sockaddr *)&un, sizeof(un)), 0);
	expect(listen(us, 1), 0);
	int uc = (int)expect(socket(AF_UNIX, SOCK_STREAM, 0), 11);
	expect(connect(uc, (struct sockaddr *)&un, sizeof(un)), 0);
	expect(accept4(us, NULL, NULL, 0), 12);

	/* connect to a closed port: -ECONNREFUSED (fd 13) */
	int bad = (int)expect(socket(AF_INET, SOCK_STREAM, 0), 13);
	struct sockaddr_in none = lo;
	none.sin_port = htons(1);
	expect(connect(bad, (struct sockaddr *)&none, sizeof(none)) == -1 ? -errno : 0, -ECONNREFUSED);

	for (int fd = 3; fd <= 13; fd++)
		close(fd);
	if (argc < 2) {
		unlink(path);
		unlink(un.sun_path);
		rmdir(dir);
	}
	return 0;
}
