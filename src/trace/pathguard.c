/*
 * pathguard.c - path arguments the program cannot change between lanner's
 * read and the kernel's.
 *
 * A call whose effect happens inside it (create, truncate, unlink, rename,
 * link, chmod...) must be decided at its entry, on the path it names.  The
 * path is in the program's memory, which any of its threads (or a process
 * sharing a mapping with it) can rewrite after lanner read it and before
 * the kernel does.  So lanner copies the path it read (made absolute: the
 * cwd and the dirfd could change too) into the guard area and points the
 * argument register at the copy for the call; the register is put back at
 * the call's exit.
 *
 * The guard area is one memfd lanner creates, maps writable in itself and
 * then seals (F_SEAL_FUTURE_WRITE, SHRINK, GROW, SEAL): from then on no one
 * can write it but through lanner's own mapping, nor map it writable.  Each
 * process maps it read-only once, by injection at its first guarded call:
 *
 *   openat(AT_FDCWD, "/proc/<lanner>/fd/<n>", O_RDONLY|O_CLOEXEC)
 *   mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0)
 *   close(fd)
 *   mseal(area, size, 0)     no thread can unmap, remap or mprotect it
 *
 * and the original call is restarted, to stop again and find the area.
 * Without mseal (Linux < 6.10) another thread could unmap the area and map
 * its own page at the same address in the window: lanner does not trust
 * such an area, and a guarded call in that process is refused (EPERM), as
 * is one in a process that cannot open lanner's fd (another pid namespace,
 * other credentials).  The choice and its measurements are in
 * doc/writing-a-rule.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "trace/trace.h"

/* Two paths a slot (rename, link), one slot a thread in a guarded call. */
enum { SLOT_SIZE = 2 * LN_STR_MAX, NSLOTS = 128, AREA_SIZE = SLOT_SIZE * NSLOTS };
/* struct open_how: flags, mode, resolve */
enum { OPEN_HOW_SIZE = 24 };

static int area_create(struct ln_session *s)
{
	if (s->guard_map)
		return 0;
	int fd = memfd_create("lanner-guard", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	void *map = MAP_FAILED;
	if (ftruncate(fd, AREA_SIZE) == 0)
		map = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	/* FUTURE_WRITE keeps lanner's mapping writable and refuses every
	 * later write() and writable mapping, whoever opens the memfd */
	if (map == MAP_FAILED ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int e = -errno;
		if (map != MAP_FAILED)
			munmap(map, AREA_SIZE);
		close(fd);
		return e;
	}
	s->guard_fd = fd;
	s->guard_map = map;
	return 0;
}

void ln_guard_free(struct ln_session *s)
{
	if (!s->guard_map)
		return;
	munmap(s->guard_map, AREA_SIZE);
	close(s->guard_fd);
	s->guard_map = NULL;
}

/* The mapping at area in pid is the guard memfd, whole, read-only and
 * shared: its /proc/PID/maps line names the memfd's inode.  (map_files
 * would say it directly but needs CAP_SYS_ADMIN; maps needs what ptrace
 * already has.) */
static bool is_ours(struct ln_session *s, pid_t pid, uint64_t area)
{
	struct stat st;
	char path[64], line[512];
	if (fstat(s->guard_fd, &st) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool ok = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off, ino;
		unsigned maj, mnr;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &lo, &hi, perms, &off, &maj, &mnr, &ino) != 7 ||
		    lo != area)
			continue;
		ok = hi - lo == AREA_SIZE && !strcmp(perms, "r--s") && off == 0 && ino == (unsigned long long)st.st_ino &&
			makedev(maj, mnr) == st.st_dev;
		break;
	}
	fclose(f);
	return ok;
}

/* Map the area into t's process, at t's entry stop.  0: mapped, restart
 * the call (t left stopped, registers rewound); -1: cannot (p->guard says
 * FAILED, the call goes on untouched); -2: t died or exec'd meanwhile,
 * its wait status in *dead. */
static int map_in(struct ln_session *s, struct ln_tstate *t, struct ln_pstate *p, int *dead)
{
	struct ln_inj j = { .tid = t->pub.tid, .first = true };
	if (area_create(s) < 0 || ln_arch_get_regs(t->pub.tid, &j.saved) < 0 ||
	    ln_arch_nr(LN_NR_OPENAT) < 0 || t->compat) {
		p->guard = LN_GUARD_FAILED;
		return -1;
	}
	char path[64], keep[64];
	int n = snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), s->guard_fd) + 1;
	/* below the red zone, where inject.c puts its scratch too */
	uint64_t scratch = (ln_arch_stack_pointer(&j.saved) - 128 - sizeof(path)) & ~15ull;
	if (ln_mem_read(t->pub.tid, scratch, keep, sizeof(keep)) != sizeof(keep) ||
	    ln_poke(t->pub.tid, scratch, path, (size_t)n) != n) {
		p->guard = LN_GUARD_FAILED;
		return -1;
	}
	bool broken = false;
	int64_t area = -1, sealed = -1;
	int64_t fd = ln_inj_call(&j, LN_NR_OPENAT, (uint64_t)AT_FDCWD, scratch, O_RDONLY | O_CLOEXEC, 0, 0, 0, &broken);
	if (!broken && fd >= 0) {
		area = ln_inj_call(&j, LN_NR_MMAP, 0, AREA_SIZE, PROT_READ, MAP_SHARED, (uint64_t)fd, 0, &broken);
		if (!broken)
			ln_inj_call(&j, LN_NR_CLOSE, (uint64_t)fd, 0, 0, 0, 0, 0, &broken);
		if (!broken && area > 0 && (area & 4095) == 0)
			sealed = ln_inj_call(&j, LN_NR_MSEAL, (uint64_t)area, AREA_SIZE, 0, 0, 0, 0, &broken);
		if (!broken && area > 0 && (area & 4095) == 0 && sealed != 0)
			ln_inj_call(&j, LN_NR_MUNMAP, (uint64_t)area, AREA_SIZE, 0, 0, 0, 0, &broken);
	}
	if (broken && j.handback) {
		*dead = j.status;
		return -2;
	}
	ln_poke(t->pub.tid, scratch, keep, sizeof(keep));
	if (broken || (!j.first && ln_arch_restart_syscall(t->pub.tid, &j.saved) < 0)) {
		fprintf(stderr, "lanner: pid %d: mapping the guard area went wrong: killing it rather than "
			"leave it broken\n", p->pub.pid);
		kill(p->pub.pid, SIGKILL);
		p->guard = LN_GUARD_FAILED;
		return 0;
	}
	ln_inj_resend(&j, p->pub.pid);
	/* The program's other threads ran meanwhile: the path on the stack, the
	 * fd number and the mapping could each have been swapped for one of
	 * their own.  Sealed now, the mapping cannot change any more: trust it
	 * only if it is lanner's memfd, read-only and shared. */
	if (sealed == 0 && !is_ours(s, p->pub.pid, (uint64_t)area)) {
		fprintf(stderr, "lanner: pid %d: the guard area was replaced while it was mapped: "
			"its calls that prevention rules decide on a path are refused (EPERM)\n", p->pub.pid);
		p->guard = LN_GUARD_FAILED;
		return j.first ? -1 : 0;
	}
	if (sealed == 0) {
		p->guard = LN_GUARD_MAPPED;
		p->guard_addr = (uint64_t)area;
		p->guard_exec = p->pub.exec_ts;
	} else {
		p->guard = LN_GUARD_FAILED;
		fprintf(stderr, "lanner: pid %d: no guard area (%s): its calls that prevention rules decide "
			"on a path are refused (EPERM)\n", p->pub.pid,
			fd < 0 ? "cannot open lanner's memfd" : area <= 0 ? "mmap failed" : "no mseal(2) before Linux 6.10");
	}
	return j.first ? -1 : 0;
}

/* The absolute form of path for t's call: relative to the dirfd, or to
 * the cwd, as the kernel sees them now (/proc).  The result no longer
 * depends on either, so a later chdir or dup2 changes nothing. */
static int absolute(struct ln_tstate *t, const char *path, int64_t dirfd, char *out, size_t n)
{
	if (path[0] == '/')
		return snprintf(out, n, "%s", path) < (int)n ? 0 : -ENAMETOOLONG;
	char what[32], base[LN_STR_MAX], root[LN_STR_MAX];
	if ((int)dirfd == AT_FDCWD)
		snprintf(what, sizeof(what), "cwd");
	else
		snprintf(what, sizeof(what), "fd/%d", (int)dirfd);
	if (!ln_readlink_proc(t->pub.tid, what, base, sizeof(base)) || base[0] != '/')
		return -EBADF;
	/* /proc names it from lanner's root: a chrooted program's kernel
	 * looks the path up from its own root */
	const char *b = base;
	if (ln_readlink_proc(t->pub.tid, "root", root, sizeof(root)) && strcmp(root, "/")) {
		size_t rl = strlen(root);
		if (strncmp(base, root, rl) || (base[rl] != '/' && base[rl] != '\0'))
			return -EXDEV;	/* outside its root: cannot be named from it */
		b = base[rl] ? base + rl : "/";
	}
	size_t bl = strlen(b);
	return snprintf(out, n, "%s%s%s", b, bl > 1 ? "/" : "", path) < (int)n ? 0 : -ENAMETOOLONG;
}

/* openat2's RESOLVE_BENEATH and RESOLVE_IN_ROOT make a relative name mean
 * something an absolute one does not: such calls are refused instead. */
static bool resolve_scoped(const ln_type_info *ti, const ln_event *ev, struct ln_tstate *t)
{
	for (int i = 0; i < ti->nparams; i++) {
		const ln_param *pa = &ev->params[i];
		if (ti->kind[i] != LN_K_OPEN_HOW || !(pa->flags & LN_PF_READ) || pa->len < 24)
			continue;
		uint64_t resolve;
		memcpy(&resolve, t->arena.buf + t->off[i] + 16, 8);
		return resolve & (0x08 /* RESOLVE_BENEATH */ | 0x10 /* RESOLVE_IN_ROOT */);
	}
	return false;
}

/* The dirfd parameter a path parameter is relative to, or AT_FDCWD. */
static int64_t dirfd_of(const ln_type_info *ti, const ln_event *ev, int i)
{
	/* *at calls put the dirfd just before its path */
	if (i > 0 && ti->kind[i - 1] == LN_K_DIRFD)
		return (int32_t)ev->params[i - 1].val;
	for (int k = i + 1; k < ti->nparams; k++)
		if (ti->kind[k] == LN_K_DIRFD && ti->src[k] == ti->src[i] - 1)
			return (int32_t)ev->params[k].val;
	return AT_FDCWD;
}

static bool used(struct ln_session *s, int i)
{
	return s->guard_used[i / 64] & (1ull << (i % 64));
}

/* A free slot for t; when all are taken, those of threads that died in
 * their call (killed by another) are taken back. */
static int slot_get(struct ln_session *s, struct ln_tstate *t)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < NSLOTS; i++)
			if (!used(s, i)) {
				s->guard_used[i / 64] |= 1ull << (i % 64);
				s->guard_owner[i] = t->pub.tid;
				return i;
			}
		for (int i = 0; i < NSLOTS; i++) {
			struct ln_tstate *o = ln_thread_find(s, s->guard_owner[i]);
			if (!o || o->pin_slot != i + 1)
				s->guard_used[i / 64] &= ~(1ull << (i % 64));
		}
	}
	return -1;
}

void ln_pin_release(struct ln_session *s, struct ln_tstate *t, bool regs)
{
	if (!t->pin_slot)
		return;
	int i = t->pin_slot - 1;
	for (int k = 0; regs && k < t->pin_n; k++)
		ln_arch_set_arg(t->pub.tid, t->pin_arg[k], t->pin_orig[k]);
	s->guard_used[i / 64] &= ~(1ull << (i % 64));
	t->pin_slot = 0;
	t->pin_n = 0;
}

/* Point argument register arg at part (in the guard area) for the call. */
static int pin_value(struct ln_tstate *t, int arg, uint64_t val, uint64_t orig)
{
	t->pin_arg[t->pin_n] = (int8_t)arg;
	t->pin_orig[t->pin_n] = orig;
	t->pin_n++;
	return ln_arch_set_arg(t->pub.tid, arg, val) < 0 ? -ESRCH : 0;
}

static int pin(struct ln_session *s, struct ln_tstate *t, struct ln_pstate *p, int arg, const char *part)
{
	return pin_value(t, arg, p->guard_addr + (uint64_t)(part - s->guard_map), t->ev.rawargs[arg]);
}

int ln_pin_paths(struct ln_session *s, struct ln_tstate *t, int *dead)
{
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	ln_event *ev = &t->ev;
	const ln_type_info *ti = ln_type(ev->type);
	int npaths = 0;
	for (int i = 0; i < ti->nparams; i++)
		if ((ti->kind[i] == LN_K_PATH || ti->kind[i] == LN_K_OPEN_HOW) && ti->src[i] < 6 &&
		    !(ev->params[i].flags & LN_PF_NULL))
			npaths++;
	if (!npaths)
		return 0;
	/* a 32-bit call cannot point above 4 GiB, where the area may be */
	if (!p || t->compat || p->guard == LN_GUARD_FAILED)
		return -EPERM;
	if (p->guard == LN_GUARD_MAPPED && p->guard_exec != p->pub.exec_ts)
		p->guard = LN_GUARD_NONE;	/* an exec took the old image's mapping */
	if (p->guard == LN_GUARD_NONE) {
		int r = map_in(s, t, p, dead);
		if (r == 0)
			return 1;	/* restarted: it stops again */
		if (r == -2)
			return 2;
		return -EPERM;
	}
	int slot = slot_get(s, t);
	if (slot < 0)
		return -EAGAIN;
	t->pin_slot = slot + 1;
	t->pin_n = 0;
	char *dst = s->guard_map + (size_t)slot * SLOT_SIZE;
	int used_parts = 0;
	for (int i = 0; i < ti->nparams; i++) {
		ln_param *pa = &ev->params[i];
		int kind = ti->kind[i], arg = ti->src[i];
		if ((kind != LN_K_PATH && kind != LN_K_OPEN_HOW) || arg >= 6 || (pa->flags & LN_PF_NULL))
			continue;
		/* an unreadable or cut argument would be read differently by
		 * the kernel */
		if (!(pa->flags & LN_PF_READ) || (pa->flags & LN_PF_TRUNCATED) || used_parts == 2)
			return -EFAULT;
		char *part = dst + used_parts++ * LN_STR_MAX;
		const char *raw = t->arena.buf + t->off[i];
		if (kind == LN_K_OPEN_HOW) {
			/* openat2's flags decide read or write: the kernel gets
			 * the struct lanner read, and its size */
			if (pa->len < OPEN_HOW_SIZE || ev->rawargs[arg + 1] < OPEN_HOW_SIZE)
				return -EINVAL;
			memcpy(part, raw, OPEN_HOW_SIZE);
			int e = pin(s, t, p, arg, part);
			if (!e)
				e = pin_value(t, arg + 1, OPEN_HOW_SIZE, ev->rawargs[arg + 1]);
			if (e)
				return e;
			continue;
		}
		/* a symlink's target is stored as given (a relative one stays
		 * relative); an empty name (AT_EMPTY_PATH) is the dirfd itself */
		bool as_given = !raw[0] || (!strncmp(ti->name, "symlink", 7) && !strcmp(ti->pname[i], "target"));
		if (!as_given && raw[0] != '/' && resolve_scoped(ti, ev, t))
			return -EPERM;
		int e = as_given ? (snprintf(part, LN_STR_MAX, "%s", raw) < LN_STR_MAX ? 0 : -ENAMETOOLONG)
				 : absolute(t, raw, dirfd_of(ti, ev, i), part, LN_STR_MAX);
		if (e < 0)
			return e;
		size_t len = strlen(part);
		size_t off = ln_arena_put(&t->arena, part, len);
		if (off == (size_t)-1)
			return -ENOMEM;
		/* the event says what the kernel will be given */
		t->off[i] = (uint32_t)off;
		pa->len = (uint32_t)len;
		e = pin(s, t, p, arg, part);
		if (e)
			return e;
	}
	return 0;
}
