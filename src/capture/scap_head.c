/*
 * scap_head.c - the blocks a .scap capture starts with (libscap of
 * falcosecurity/libs e5c53d648: scap_savefile.c's scap_setup_dump and
 * scap_fds.c's fd entries): section header, machine, interfaces, users and
 * groups, then the process list (one entry per thread) and one fd list
 * per process.  libsinsp builds its tables from them, then from events.
 */
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "capture/capture.h"
#include "capture/scap.h"

/* A block: type, total length, payload padded to 4, total length. */

size_t scap_block_begin(struct ln_buf *b, uint32_t type)
{
	size_t at = b->len;
	ln_buf_u32(b, type);
	ln_buf_u32(b, 0);
	return at;
}

void scap_block_end(struct ln_buf *b, size_t at)
{
	static const uint8_t zero[4];
	size_t pay = b->len - at - 8;
	ln_buf_bytes(b, zero, (4 - pay % 4) % 4);
	uint32_t total = (uint32_t)(b->len - at + 4);
	ln_buf_u32(b, total);
	if (b->oom)
		return;
	for (int i = 0; i < 4; i++)
		b->p[at + 4 + (size_t)i] = (uint8_t)(total >> (8 * i));
}

/* libscap's strings in table blocks: u16 length, bytes, no NUL. */
static void str16(struct ln_buf *b, const char *s, size_t n)
{
	if (n > 4096)
		n = 4096;
	ln_buf_u16(b, (uint16_t)n);
	ln_buf_bytes(b, s, n);
}

static void cstr16(struct ln_buf *b, const char *s)
{
	str16(b, s ? s : "", s ? strlen(s) : 0);
}

/* Patch the u32 entry length at `at` (it counts itself). */
static void entry_len(struct ln_buf *b, size_t at)
{
	uint32_t n = (uint32_t)(b->len - at);
	if (!b->oom)
		for (int i = 0; i < 4; i++)
			b->p[at + (size_t)i] = (uint8_t)(n >> (8 * i));
}

static void section_header(struct ln_buf *b)
{
	size_t at = scap_block_begin(b, SCAP_SHB);
	ln_buf_u32(b, SCAP_SHB_MAGIC);
	ln_buf_u16(b, 1);		/* major */
	ln_buf_u16(b, 2);		/* minor */
	ln_buf_u64(b, ~0ull);		/* section length: unknown */
	scap_block_end(b, at);
}

static void machine_info(struct ln_buf *b)
{
	char host[128] = "";
	gethostname(host, sizeof(host) - 1);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	size_t at = scap_block_begin(b, SCAP_MI);
	ln_buf_u32(b, (uint32_t)sysconf(_SC_NPROCESSORS_ONLN));
	ln_buf_u64(b, pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0);
	ln_buf_u64(b, 4194304);		/* max pid: the kernel's PID_MAX_LIMIT */
	ln_buf_bytes(b, host, sizeof(host));
	for (int i = 0; i < 4; i++)
		ln_buf_u64(b, 0);	/* reserved */
	scap_block_end(b, at);
}

/* The interfaces: sinsp tells local from remote addresses with them. */
static void interfaces(struct ln_buf *b)
{
	struct ifaddrs *ifs = NULL;
	if (getifaddrs(&ifs) < 0)
		return;
	size_t at = scap_block_begin(b, SCAP_IL_V2);
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		bool v4 = i->ifa_addr->sa_family == AF_INET;
		size_t e = b->len, nl = strlen(i->ifa_name);
		ln_buf_u32(b, 0);
		ln_buf_u16(b, v4 ? 1 : 2);
		ln_buf_u16(b, (uint16_t)nl);
		const struct sockaddr *sa[3] = { i->ifa_addr, i->ifa_netmask, i->ifa_broadaddr };
		for (int k = 0; k < 3; k++) {
			uint8_t z[16] = { 0 };
			const void *p = z;
			if (sa[k] && sa[k]->sa_family == AF_INET && v4)
				p = &((const struct sockaddr_in *)sa[k])->sin_addr;
			else if (sa[k] && sa[k]->sa_family == AF_INET6 && !v4)
				p = &((const struct sockaddr_in6 *)sa[k])->sin6_addr;
			ln_buf_bytes(b, p, v4 ? 4 : 16);
		}
		ln_buf_u64(b, 0);	/* link speed */
		ln_buf_bytes(b, i->ifa_name, nl);
		/* this entry length does not count itself */
		uint32_t n = (uint32_t)(b->len - e - 4);
		if (!b->oom)
			for (int k = 0; k < 4; k++)
				b->p[e + (size_t)k] = (uint8_t)(n >> (8 * k));
	}
	freeifaddrs(ifs);
	scap_block_end(b, at);
}

/* Users and groups: user.name and group.name come from this block. */
static void users(struct ln_buf *b)
{
	size_t at = scap_block_begin(b, SCAP_UL_V2);
	struct passwd *pw;
	setpwent();
	while ((pw = getpwent())) {
		size_t e = b->len;
		ln_buf_u32(b, 0);
		ln_buf_u8(b, 0);
		ln_buf_u32(b, pw->pw_uid);
		ln_buf_u32(b, pw->pw_gid);
		cstr16(b, pw->pw_name);
		cstr16(b, pw->pw_dir);
		cstr16(b, pw->pw_shell);
		entry_len(b, e);
	}
	endpwent();
	struct group *gr;
	setgrent();
	while ((gr = getgrent())) {
		size_t e = b->len;
		ln_buf_u32(b, 0);
		ln_buf_u8(b, 1);
		ln_buf_u32(b, gr->gr_gid);
		cstr16(b, gr->gr_name);
		entry_len(b, e);
	}
	endgrent();
	scap_block_end(b, at);
}

/* A NUL-separated list as libscap keeps it: every item NUL-terminated. */
static void list16(struct ln_buf *b, const char *s, uint32_t n)
{
	if (n > 4094)
		n = 4094;
	ln_buf_u16(b, (uint16_t)(n ? n + 1 : 0));
	ln_buf_bytes(b, s, n);
	if (n)
		ln_buf_u8(b, 0);
}

static void proc_entry(struct ln_buf *b, const ln_thread *t)
{
	const ln_proc *p = t->proc;
	size_t e = b->len;
	ln_buf_u32(b, 0);
	ln_buf_u64(b, (uint64_t)(int64_t)t->tid);
	ln_buf_u64(b, (uint64_t)(int64_t)p->pid);
	ln_buf_u64(b, (uint64_t)(int64_t)p->ppid);
	ln_buf_u64(b, (uint64_t)(int64_t)p->sid);
	ln_buf_u64(b, (uint64_t)(int64_t)p->pgid);
	/* the kernel's comm: the name the process gave itself, if any */
	const char *comm = p->live_comm[0] ? p->live_comm : p->comm;
	str16(b, comm, strnlen(comm, sizeof(p->comm)));
	cstr16(b, p->exe);
	cstr16(b, p->exepath);
	list16(b, p->args, p->args ? p->args_len : 0);
	cstr16(b, p->cwd);
	ln_buf_u64(b, 0);		/* fdlimit: lanner does not keep it */
	/* flags: a thread shares its leader's process and fd table */
	ln_buf_u32(b, t->tid != p->pid ? scap_flags_to(SF_CLONE, CLONE_THREAD | CLONE_FILES) : 0);
	ln_buf_u32(b, t->uid);
	ln_buf_u32(b, t->gid);
	ln_buf_u32(b, (uint32_t)t->vm_size_kb);	/* kB, as the thread last saw them */
	ln_buf_u32(b, (uint32_t)t->vm_rss_kb);
	ln_buf_u32(b, (uint32_t)t->vm_swap_kb);
	ln_buf_u64(b, 0);		/* page faults */
	ln_buf_u64(b, 0);
	list16(b, p->env, p->env ? p->env_len : 0);
	ln_buf_u64(b, (uint64_t)(int64_t)t->vtid);
	ln_buf_u64(b, (uint64_t)(int64_t)p->vpid);
	ln_buf_u16(b, 0);		/* cgroups */
	cstr16(b, p->root);
	ln_buf_u32(b, p->loginuid);
	ln_buf_u8(b, (p->flags & LN_PROC_EXE_WRITABLE) ? 1 : 0);
	entry_len(b, e);
}

/* The tuple as libscap keeps it: client first, then server. */
void scap_ends(const ln_fd *f, const uint8_t **sip, uint16_t *sport, const uint8_t **dip, uint16_t *dport)
{
	bool flip = f->is_server;
	*sip = flip ? f->tuple.rip : f->tuple.lip;
	*dip = flip ? f->tuple.lip : f->tuple.rip;
	*sport = flip ? f->tuple.rport : f->tuple.lport;
	*dport = flip ? f->tuple.lport : f->tuple.rport;
}

static void fd_entry(struct ln_buf *b, const ln_fd *f)
{
	int t = scap_fdtype_to(f);
	if (t == SFD_UNKNOWN)
		return;
	size_t e = b->len;
	const uint8_t *sip, *dip;
	uint16_t sport, dport;
	scap_ends(f, &sip, &sport, &dip, &dport);
	int alen = t == SFD_IPV4_SOCK || t == SFD_IPV4_SERVSOCK ? 4 : 16;
	ln_buf_u32(b, 0);
	ln_buf_u64(b, (uint64_t)(int64_t)f->num);
	ln_buf_u64(b, f->ino);
	ln_buf_u8(b, (uint8_t)t);
	switch (t) {
	case SFD_IPV4_SOCK: case SFD_IPV6_SOCK:
		ln_buf_bytes(b, sip, (size_t)alen);
		ln_buf_bytes(b, dip, (size_t)alen);
		ln_buf_u16(b, sport);
		ln_buf_u16(b, dport);
		ln_buf_u8(b, f->tuple.l4proto ? f->tuple.l4proto + 1 : 0);
		break;
	case SFD_IPV4_SERVSOCK: case SFD_IPV6_SERVSOCK:
		ln_buf_bytes(b, f->tuple.lip, (size_t)alen);
		ln_buf_u16(b, f->tuple.lport);
		ln_buf_u8(b, f->tuple.l4proto ? f->tuple.l4proto + 1 : 0);
		break;
	case SFD_UNIX_SOCK:
		ln_buf_u64(b, 0);	/* kernel socket addresses: not known */
		ln_buf_u64(b, 0);
		cstr16(b, f->name);
		break;
	case SFD_FILE_V2:
		ln_buf_u32(b, scap_flags_to(SF_FILE, f->flags));
		cstr16(b, f->name);
		ln_buf_u32(b, (uint32_t)f->dev);
		break;
	default:
		cstr16(b, f->name);
	}
	entry_len(b, e);
}

void scap_write_head(struct ln_session *s, struct ln_buf *b)
{
	section_header(b);
	machine_info(b);
	interfaces(b);
	users(b);
	size_t at = scap_block_begin(b, SCAP_PL_V9);
	for (int h = 0; h < LN_THASH; h++)
		for (struct ln_tstate *t = s->threads[h]; t; t = t->hnext)
			if (t->pub.proc)
				proc_entry(b, &t->pub);
	/* ancestors lanner knows from /proc have no thread: their leader
	 * stands for them, so that proc.pname reaches them */
	for (struct ln_pstate *p = s->plist; p; p = p->lnext)
		if (!ln_thread_find(s, p->pub.pid)) {
			ln_thread t = { .tid = p->pub.pid, .vtid = p->pub.vpid, .proc = &p->pub };
			/* their figures now, as sysdig's scan of /proc has them;
			 * none when this is a capture read again */
			uint64_t vm[3];
			if (!s->capr && !s->scapr && ln_read_vm(t.tid, vm))
				t.vm_size_kb = vm[0], t.vm_rss_kb = vm[1], t.vm_swap_kb = vm[2];
			proc_entry(b, &t);
		}
	scap_block_end(b, at);
	for (struct ln_pstate *p = s->plist; p; p = p->lnext) {
		at = scap_block_begin(b, SCAP_FDL_V2);
		ln_buf_u64(b, (uint64_t)(int64_t)p->pub.pid);
		for (const ln_fd *f = ln_fd_after(p, -1); f; f = ln_fd_after(p, f->num))
			fd_entry(b, f);
		scap_block_end(b, at);
	}
}

