/*
 * esc_io_uring: reads a file with no open or read syscall, through
 * io_uring's IORING_OP_OPENAT and IORING_OP_READ, with raw syscalls (no
 * liburing).  argv[1]: the file (default /etc/shadow).  When
 * io_uring_setup fails, it falls back to openat + read, as programs that
 * prefer io_uring do (argv[2] "strict": no fallback, exit 1).
 *
 * Prints "setup: ok" or "setup: <errno name>", then "via io_uring: N
 * bytes" or "via read: N bytes", then the first line of the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int setup(struct ring *r)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -errno;
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	char *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -ENOMEM;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Submit one prepared sqe and wait for its completion: its result. */
static int submit_wait(struct ring *r, const struct io_uring_sqe *in)
{
	unsigned tail = *r->sq_tail, i = tail & *r->sq_mask;
	r->sqes[i] = *in;
	r->sq_array[i] = i;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	unsigned head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	int res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static const char *ename(int e)
{
	return e == EPERM ? "EPERM" : e == ENOSYS ? "ENOSYS" : strerror(e);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *path = argc > 1 ? argv[1] : "/etc/shadow";
	static char buf[4096];
	struct ring r;
	int n, e = setup(&r);
	printf("setup: %s\n", e ? ename(-e) : "ok");
	if (e == 0) {
		struct io_uring_sqe sqe;
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = IORING_OP_OPENAT;
		sqe.fd = AT_FDCWD;
		sqe.addr = (unsigned long)path;
		sqe.open_flags = O_RDONLY;
		int fd = submit_wait(&r, &sqe);
		if (fd < 0) {
			printf("openat via io_uring: %s\n", ename(-fd));
			return 1;
		}
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = IORING_OP_READ;
		sqe.fd = fd;
		sqe.addr = (unsigned long)buf;
		sqe.len = sizeof(buf) - 1;
		n = submit_wait(&r, &sqe);
		printf("via io_uring: %d bytes\n", n);
	} else {
		if (argc > 2 && !strcmp(argv[2], "strict"))
			return 1;
		int fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : (int)read(fd, buf, sizeof(buf) - 1);
		printf("via read: %d bytes\n", n);
	}
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		printf("%s\n", buf);
	}
	return 0;
}
