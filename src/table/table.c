/*
 * table.c - the event type table, built once from src/table/syscalls.def.
 *
 * Native syscall numbers come from libseccomp's name resolver, so the table
 * itself names syscalls only and a row this architecture lacks is skipped.
 */
#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include "table/table.h"

struct row {
	const char *name;
	uint16_t category;
	uint16_t flags;
	const char *params;
	bool pseudo;
};

static const struct row rows[] = {
#define SC(n, cat, fl, eff, p) { #n, LN_CAT_##cat, (fl), (p), false },
#define PSEUDO(n, cat, p) { #n, LN_CAT_##cat, LN_TF_PSEUDO, (p), true },
#define COMPAT(n, native, pages)
#include "table/syscalls.def"
#undef SC
#undef PSEUDO
#undef COMPAT
};

static const struct compat_row {
	const char *name, *native;
	int pages;
} compat_rows[] = {
#define SC(n, cat, fl, eff, p)
#define PSEUDO(n, cat, p)
#define COMPAT(n, native, pages) { #n, #native, (pages) },
#include "table/syscalls.def"
#undef SC
#undef PSEUDO
#undef COMPAT
};

enum { NROWS = sizeof(rows) / sizeof(rows[0]), NR_MAX = 1024 };

/* Keys used in the params column of syscalls.def. */
static const struct { const char *key; int kind; } kind_names[] = {
	{ "int", LN_K_INT }, { "uint", LN_K_UINT }, { "hex", LN_K_HEX },
	{ "oct", LN_K_OCT }, { "fd", LN_K_FD }, { "dirfd", LN_K_DIRFD },
	{ "pid", LN_K_PID }, { "res", LN_K_RES }, { "res_fd", LN_K_RES_FD },
	{ "path", LN_K_PATH }, { "str", LN_K_STR }, { "buf_in", LN_K_BUF_IN },
	{ "buf_out", LN_K_BUF_OUT }, { "iov_in", LN_K_IOV_IN },
	{ "iov_out", LN_K_IOV_OUT }, { "msg_in", LN_K_MSG_IN },
	{ "msg_out", LN_K_MSG_OUT }, { "sa_in", LN_K_SOCKADDR_IN },
	{ "sa_out", LN_K_SOCKADDR_OUT }, { "tuple", LN_K_TUPLE },
	{ "argv", LN_K_ARGV }, { "fdpair", LN_K_FDPAIR },
	{ "open_how", LN_K_OPEN_HOW }, { "clone_args", LN_K_CLONE_ARGS },
	{ "oflags", LN_K_OFLAGS }, { "mode", LN_K_MODE },
	{ "atflags", LN_K_ATFLAGS }, { "domain", LN_K_SOCK_DOMAIN },
	{ "socktype", LN_K_SOCK_TYPE }, { "proto", LN_K_SOCK_PROTO },
	{ "cloneflags", LN_K_CLONE_FLAGS }, { "signal", LN_K_SIGNAL },
	{ "fcntl", LN_K_FCNTL_CMD }, { "prot", LN_K_PROT },
	{ "mmapflags", LN_K_MMAP_FLAGS }, { "ptrace", LN_K_PTRACE_REQ },
	{ "prctl", LN_K_PRCTL_OP }, { "mountflags", LN_K_MOUNT_FLAGS },
	{ "seccompop", LN_K_SECCOMP_OP }, { "seccompflags", LN_K_SECCOMP_FLAGS },
	{ "umountflags", LN_K_UMOUNT_FLAGS }, { "nstype", LN_K_NS_TYPE },
	{ "renameflags", LN_K_RENAME_FLAGS }, { "how", LN_K_SHUT_HOW },
	{ "level", LN_K_SOCKOPT_LEVEL }, { "optname", LN_K_SOCKOPT_NAME },
	{ "msgflags", LN_K_MSG_FLAGS }, { "fdflags", LN_K_FD_FLAGS },
	{ "memfdflags", LN_K_MEMFD_FLAGS }, { "clockid", LN_K_CLOCKID },
	{ "bpfcmd", LN_K_BPF_CMD }, { "modflags", LN_K_MODULE_FLAGS },
	{ "uid", LN_K_UID }, { "gid", LN_K_GID }, { "caps", LN_K_CAPS },
	{ "timespec2", LN_K_TIMESPEC2 }, { "timeval2", LN_K_TIMEVAL2 },
	{ "bpf_prog", LN_K_BPF_PROG },
};

static ln_type_info types[NROWS];
static char *pnames_store[NROWS];
static int ntypes;
static int16_t by_nr[NR_MAX];
static pthread_once_t once = PTHREAD_ONCE_INIT;

int ln_kind_of_name(const char *key)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(kind_names[i].key, key))
			return kind_names[i].kind;
	return -1;
}

/* "name=src:kind name=src:kind ..." into t; a malformed row is a bug in
 * syscalls.def, caught by spec/table_spec.lua listing every type. */
static void parse_params(ln_type_info *t, char *spec)
{
	char *save = NULL;
	for (char *tok = strtok_r(spec, " ", &save); tok && t->nparams < LN_MAX_PARAMS;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '='), *colon = eq ? strchr(eq, ':') : NULL;
		if (!eq || !colon)
			abort();
		*eq = *colon = '\0';
		int k = ln_kind_of_name(colon + 1);
		if (k < 0)
			abort();
		uint8_t src = eq[1] == 'r' ? LN_SRC_RES : eq[1] == 'x' ? LN_SRC_DERIVED
			: (uint8_t)(eq[1] - '0');
		t->pname[t->nparams] = tok;
		t->src[t->nparams] = src;
		t->kind[t->nparams] = (uint16_t)k;
		t->nparams++;
	}
}

static void build(void)
{
	memset(by_nr, 0xff, sizeof(by_nr));
	for (int i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		int nr = -1;
		if (!r->pseudo) {
			nr = seccomp_syscall_resolve_name(r->name);
			if (nr < 0 || nr >= NR_MAX)
				continue;	/* not on this architecture */
		}
		ln_type_info *t = &types[ntypes];
		t->name = r->name;
		t->nr = nr;
		t->category = r->category;
		t->flags = r->flags;
		pnames_store[ntypes] = strdup(r->params);
		if (!pnames_store[ntypes])
			abort();
		parse_params(t, pnames_store[ntypes]);
		if (nr >= 0)
			by_nr[nr] = (int16_t)ntypes;
		ntypes++;
	}
}

void ln_table_init(void)
{
	pthread_once(&once, build);
}

LN_API int ln_ntypes(void)
{
	ln_table_init();
	return ntypes;
}

LN_API const ln_type_info *ln_type(int id)
{
	ln_table_init();
	return id >= 0 && id < ntypes ? &types[id] : NULL;
}

LN_API int ln_type_id(const char *name)
{
	ln_table_init();
	for (int i = 0; i < ntypes; i++)
		if (!strcmp(types[i].name, name))
			return i;
	return -1;
}

LN_API int ln_type_of_nr(int nr)
{
	ln_table_init();
	return nr >= 0 && nr < NR_MAX ? by_nr[nr] : -1;
}

LN_API const char *ln_compat_alias(int i, int *type, int *pages)
{
	if (i < 0 || i >= (int)(sizeof(compat_rows) / sizeof(compat_rows[0])))
		return NULL;
	*type = ln_type_id(compat_rows[i].native);
	*pages = compat_rows[i].pages;
	return compat_rows[i].name;
}

/* A syscall made through another ABI (int 0x80 on x86_64): its number is
 * that ABI's, so go through the name, the ABI's own (COMPAT rows) or the
 * native one.  Rare, so no cache. */
int ln_type_of_compat_nr(unsigned arch, int nr, int *pages)
{
	*pages = -1;
	char *name = seccomp_syscall_resolve_num_arch(arch, nr);
	if (!name)
		return -1;
	int id = ln_type_id(name);
	for (int i = 0, type, pg; id < 0 && ln_compat_alias(i, &type, &pg); i++)
		if (!strcmp(compat_rows[i].name, name)) {
			id = type;
			*pages = pg;
		}
	free(name);
	return id;
}

LN_API int ln_abi_version(void)
{
	return LN_ABI_VERSION;
}

LN_API const char *ln_version(void)
{
	return LN_VERSION;
}
