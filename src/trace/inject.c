/*
 * inject.c - lanner's seccomp filter into a process that is already
 * running (lanner --pid P --attach-mode=seccomp).
 *
 * A running process cannot be asked to load a filter, so lanner makes it
 * do so: at a syscall-entry stop of one of its threads (syscall mode, as
 * every attach starts) the registers are saved and the syscall in flight
 * is replaced by the ones below, each run to its exit stop, the next one
 * started by rewinding to the syscall instruction:
 *
 *   rt_sigprocmask(SIG_BLOCK, all)   no handler may run between two of
 *                                    ours (only SIGSTOP/SIGKILL remain)
 *   mmap(one or more pages)          scratch for the program: the stack
 *                                    below SP may not be mapped that far
 *                                    (small thread stacks, Go), and a
 *                                    filter can be tens of KB
 *   (PTRACE_POKEDATA: sock_fprog and the BPF program into it, a
 *   page the process can only read: see inject())
 *   seccomp(SET_MODE_FILTER, TSYNC)  every thread at once; no NO_NEW_PRIVS
 *                                    unless the kernel insists (EACCES:
 *                                    the tracee lacks CAP_SYS_ADMIN), as
 *                                    it changes what setuid execs do later:
 *                                    then prctl(PR_SET_NO_NEW_PRIVS) and
 *                                    again, and lanner says so
 *   munmap, rt_sigprocmask(SETMASK, old)
 *
 * and finally the saved registers come back, rewound onto the syscall
 * instruction as for a restart, so the original syscall runs as if nothing
 * happened (now through the filter).  The two mask words go 16 bytes below
 * the red zone, where a signal frame would go too: the first injected call
 * needs them before any scratch page exists, and it runs straight from the
 * entry stop, so no signal can come in before the mask is in place.
 *
 * A process with a thread that already has a seccomp filter of its own is
 * left in syscall mode: that filter might kill the injected calls, and
 * injected through that thread, TSYNC would hand its filter to all the
 * others.  If a thread gets one between that check and seccomp(), TSYNC
 * fails, and the process stays in syscall mode too; lanner says which.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "trace/trace.h"

#define pt ln_ptrace

/* Resume and wait for the thread's next syscall stop with operation op
 * (PTRACE_SYSCALL_INFO_ENTRY or _EXIT).  Stops on the way are passed:
 * seccomp stops (lanner's filter is in once seccomp() returned), group
 * stops, and signal-delivery stops, whose signal (only SIGSTOP can come
 * with everything blocked) is held back and sent again at the end. */
static int run_to(struct ln_inj *j, int op)
{
	if (pt(PTRACE_SYSCALL, j->tid, 0, 0) < 0)
		return -errno;
	for (;;) {
		int status;
		pid_t r = waitpid(j->tid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;	/* lanner's own signals: handled after */
		if (r < 0)
			return -errno;
		int sig = WSTOPSIG(status), event = status >> 16;
		/* died (SIGKILL), or another thread's exec made it the leader
		 * of a new image: the injection is over, stops.c takes it */
		if (WIFEXITED(status) || WIFSIGNALED(status) || event == PTRACE_EVENT_EXEC) {
			j->handback = true;
			j->status = status;
			return -ESRCH;
		}
		if (sig == (SIGTRAP | 0x80)) {
			struct ptrace_syscall_info info;
			if (pt(PTRACE_GET_SYSCALL_INFO, j->tid, sizeof(info), (unsigned long)&info) > 0 &&
			    info.op == op)
				return 0;
		} else if (event == 0 && sig != SIGTRAP && j->nsig < 8) {
			j->sigs[j->nsig++] = sig;
		}
		if (pt(PTRACE_SYSCALL, j->tid, 0, 0) < 0)
			return -errno;
	}
}

int64_t ln_inj_call(struct ln_inj *j, int which, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		    uint64_t a4, uint64_t a5, bool *broken)
{
	uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
	long nr = ln_arch_nr(which);
	int e = nr < 0 ? -ENOSYS : 0;
	if (!e && !j->first)
		e = ln_arch_set_syscall(j->tid, &j->saved, false, nr, args);
	if (!e && !j->first)
		e = run_to(j, PTRACE_SYSCALL_INFO_ENTRY);	/* rewound: enters again */
	if (!e && j->first) {
		e = ln_arch_set_syscall(j->tid, &j->saved, true, nr, args);
		if (!e)
			j->first = false;	/* our registers are in: no longer untouched */
	}
	if (!e)
		e = run_to(j, PTRACE_SYSCALL_INFO_EXIT);
	int64_t res = 0;
	if (!e)
		e = ln_arch_get_result(j->tid, &res);
	if (e) {
		*broken = true;
		return e;
	}
	return res;
}

void ln_inj_resend(const struct ln_inj *j, pid_t pid)
{
	for (int i = 0; i < j->nsig; i++)
		syscall(SYS_tgkill, pid, j->tid, j->sigs[i]);
}

ssize_t ln_poke(pid_t tid, uint64_t addr, const void *src, size_t len)
{
	struct iovec local = { (void *)src, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	return process_vm_writev(tid, &local, 1, &remote, 1, 0);
}

/* Into a page the tracee may only read: PTRACE_POKEDATA writes as a
 * debugger does (FOLL_FORCE), where process_vm_writev would fault.  len
 * is a multiple of 8 (a sock_fprog, struct sock_filter[]). */
static ssize_t poke_readonly(pid_t tid, uint64_t addr, const void *src, size_t len)
{
	for (size_t off = 0; off < len; off += 8) {
		unsigned long w;
		memcpy(&w, (const char *)src + off, 8);
		if (pt(PTRACE_POKEDATA, tid, (unsigned long)(addr + off), w) < 0)
			return -1;
	}
	return (ssize_t)len;
}

/* The injection proper; 0 when the filter is in.
 *
 * The program must be lanner's when the kernel copies it: the other
 * threads run on meanwhile, and one of them could rewrite a writable
 * scratch page between lanner's write and seccomp() (a filter that traces
 * nothing, taken for lanner's).  So the page is mapped PROT_READ and
 * written with PTRACE_POKEDATA: changing it takes a syscall (mprotect,
 * munmap), and in syscall mode every syscall of the other threads stops
 * and waits until the injection is over (run_to waits for this thread
 * only). */
static int inject(struct ln_session *s, struct ln_inj *j, pid_t pid, const void *prog, size_t len, bool *broken)
{
	uint64_t mask[2] = { ~0ull, 0 }, keep[2];
	uint64_t sp = ln_arch_stack_pointer(&j->saved);
	uint64_t scratch = ((sp - 128 - sizeof(mask)) & ~15ull);
	if (ln_mem_read(j->tid, scratch, keep, sizeof(keep)) != sizeof(keep) ||
	    ln_poke(j->tid, scratch, mask, sizeof(mask)) != sizeof(mask)) {
		fprintf(stderr, "lanner: pid %d: cannot write below its stack pointer: stays in syscall mode\n", pid);
		return -EFAULT;
	}
	int64_t r = ln_inj_call(j, LN_NR_SIGPROCMASK, SIG_BLOCK, scratch, scratch + 8, 8, 0, 0, broken);
	if (r < 0) {
		ln_poke(j->tid, scratch, keep, sizeof(keep));
		return (int)r;
	}
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t hdr = 16, size = (hdr + len + page - 1) / page * page;
	int64_t area = ln_inj_call(j, LN_NR_MMAP, 0, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			    (uint64_t)-1, 0, broken);
	int err = 0;
	if (*broken)
		return (int)area;
	if (area < 0 && area > -4096) {
		err = (int)area;
		fprintf(stderr, "lanner: pid %d: mmap in the process failed: %s\n", pid, strerror((int)-area));
	}
	if (!err) {
		struct sock_fprog fp = { (unsigned short)(len / sizeof(struct sock_filter)),
					 (struct sock_filter *)(uintptr_t)((uint64_t)area + hdr) };
		if (poke_readonly(j->tid, (uint64_t)area, &fp, sizeof(fp)) != sizeof(fp) ||
		    poke_readonly(j->tid, (uint64_t)area + hdr, prog, len) != (ssize_t)len)
			err = -EFAULT;
	}
	if (!err) {
		r = ln_inj_call(j, LN_NR_SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, (uint64_t)area, 0, 0, 0,
			 broken);
		if (r == -EACCES && !*broken) {
			/* not CAP_SYS_ADMIN in its user namespace: the kernel
			 * wants NO_NEW_PRIVS (TSYNC gives it to every thread) */
			fprintf(stderr, "lanner: pid %d: the kernel accepts the filter only with NO_NEW_PRIVS: "
				"set it (later setuid/setgid/file-capability execs of this process gain no "
				"privileges)\n", pid);
			r = ln_inj_call(j, LN_NR_PRCTL, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0, broken);
			if (!*broken && r == 0)
				r = ln_inj_call(j, LN_NR_SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
					 (uint64_t)area, 0, 0, 0, broken);
		}
		if (*broken)
			return (int)r;
		j->installed = r == 0;
		if (r > 0) {
			fprintf(stderr, "lanner: pid %d: cannot give lanner's filter to every thread (TSYNC): "
				"thread %d is in another seccomp filter state; pid %d stays in syscall mode\n",
				pid, (int)r, pid);
			err = -EBUSY;
		} else if (r < 0) {
			fprintf(stderr, "lanner: pid %d: seccomp() in the process failed: %s; it stays in "
				"syscall mode\n", pid, strerror((int)-r));
			err = (int)r;
		}
	}
	if (area > 0 || area < -4096) {
		ln_inj_call(j, LN_NR_MUNMAP, (uint64_t)area, size, 0, 0, 0, 0, broken);
		if (*broken)
			return -EIO;
	}
	ln_inj_call(j, LN_NR_SIGPROCMASK, SIG_SETMASK, scratch + 8, 0, 8, 0, 0, broken);
	if (*broken)
		return -EIO;
	ln_poke(j->tid, scratch, keep, sizeof(keep));
	(void)s;
	return err;
}

/* A thread of pid in seccomp mode already, or 0.  Injected through such
 * a thread, TSYNC would copy that thread's own filter to all the others. */
static pid_t any_filtered_thread(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	pid_t found = 0;
	struct dirent *de;
	while (d && !found && (de = readdir(d))) {
		int mode, tid = atoi(de->d_name);
		/* mode -1: the thread is gone (or unreadable), not filtered */
		if (tid > 0 && (ln_seccomp_filters(tid, &mode), mode > 0))
			found = tid;
	}
	if (d)
		closedir(d);
	return found;
}

static void mode_switch(struct ln_session *s, struct ln_pstate *p)
{
	p->syscall_mode = false;
	for (int h = 0; h < LN_THASH; h++)
		for (struct ln_tstate *t = s->threads[h]; t; t = t->hnext)
			if (t->pub.proc == &p->pub) {
				/* threads running under PTRACE_SYSCALL stop once
				 * more at an entry, which stops.c lets pass */
				t->syscall_mode = false;
				t->set_exitkill = true;
			}
}

int ln_inject_filter(struct ln_session *s, struct ln_tstate *t, int *dead)
{
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	struct ptrace_syscall_info info;
	if (pt(PTRACE_GET_SYSCALL_INFO, t->pub.tid, sizeof(info), (unsigned long)&info) <= 0 ||
	    info.op != PTRACE_SYSCALL_INFO_ENTRY)
		return 0;
	/* only a native-ABI syscall: the instruction and numbers are known */
	struct ln_regs probe;
	if (ln_arch_nr(LN_NR_SECCOMP) < 0 || ln_arch_get_regs(t->pub.tid, &probe) < 0) {
		fprintf(stderr, "lanner: pid %d: --attach-mode=seccomp is not available on this architecture; "
			"it stays in syscall mode\n", p->pub.pid);
		p->inject = LN_INJ_FAILED;
		return 0;
	}
#if defined(__x86_64__)
	if (info.arch != 0xc000003e /* AUDIT_ARCH_X86_64 */ || (info.entry.nr & 0x40000000) /* x32 */)
		return 0;
#endif
	pid_t filtered = any_filtered_thread(p->pub.pid);
	if (filtered) {
		fprintf(stderr, "lanner: pid %d: thread %d has a seccomp filter of its own (it might kill the "
			"injected calls, and TSYNC would give it to every thread): pid %d stays in syscall mode\n",
			p->pub.pid, filtered, p->pub.pid);
		p->inject = LN_INJ_FAILED;
		return 0;
	}
	void *prog;
	size_t len;
	if (ln_filter_build(s, &prog, &len, false) < 0) {
		fprintf(stderr, "lanner: %s\n", s->errmsg);
		p->inject = LN_INJ_FAILED;
		return 0;
	}
	struct ln_inj j = { .tid = t->pub.tid, .first = true };
	j.saved = probe;
	bool broken = false;
	/* EXITKILL before the filter goes in, not at the thread's next stop:
	 * if lanner died in between, the process would run on with a filter
	 * no tracer serves.  One thread is enough: the kernel's SIGKILL ends
	 * the whole process.  Taken back below if nothing was installed. */
	pt(PTRACE_SETOPTIONS, t->pub.tid, 0, LN_PTRACE_OPTIONS | PTRACE_O_EXITKILL);
	int r = inject(s, &j, p->pub.pid, prog, len, &broken);
	free(prog);
	if (!j.installed)
		pt(PTRACE_SETOPTIONS, t->pub.tid, 0, LN_PTRACE_OPTIONS);
	if (broken && j.handback) {
		*dead = j.status;
		/* a new image (another thread's exec) starts clean: try again */
		p->inject = j.installed ? LN_INJ_DONE : WIFSTOPPED(j.status) ? LN_INJ_WANTED : LN_INJ_FAILED;
		if (j.installed)
			mode_switch(s, p);
		return -1;
	}
	if (j.first) {
		/* nothing injected: the original syscall is still at its entry
		 * stop, untouched, for stops.c (a rewind would run it twice) */
		p->inject = LN_INJ_FAILED;
		return 0;
	}
	if (broken || ln_arch_restart_syscall(t->pub.tid, &j.saved) < 0) {
		/* cannot happen short of a kernel surprise; the thread would
		 * run on with our registers: better stopped for good */
		fprintf(stderr, "lanner: pid %d: the injection went wrong (%s): killing it rather than "
			"leave it broken\n", p->pub.pid, strerror(-r));
		kill(p->pub.pid, SIGKILL);
		p->inject = LN_INJ_FAILED;
		return 1;
	}
	ln_inj_resend(&j, p->pub.pid);
	if (r < 0) {
		p->inject = LN_INJ_FAILED;
		return 1;
	}
	p->inject = LN_INJ_DONE;
	mode_switch(s, p);
	return 1;
}
