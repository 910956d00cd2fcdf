/*
 * main.c - the lanner executable: a small launcher that embeds LuaJIT and
 * runs the Lua CLI (lua/lanner/cli.lua).  The core is linked in and its
 * ln_ symbols exported (-rdynamic), so the Lua side reaches it via ffi.C.
 *
 * Lua files are looked for beside the binary: <dir>/../lua (the source
 * tree, binary in build/) or <dir>/../share/lanner/lua (make install,
 * which installs them as bytecode).  In the source tree a module's
 * bytecode (build/luac, made by `make`) is loaded instead of its source
 * when it is at least as new: parsing was most of the start-up time.
 */
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <sys/stat.h>

/* Once the CLI has returned, lanner is leaving with its status (the
 * program's, when it launched one).  Closing Lua frees the session, which
 * puts back the default actions of the signals it forwarded; a Ctrl-C or
 * SIGTERM landing after that would kill lanner and make its status 130 or
 * 143.  Ignored from here on (which also drops any still pending); the
 * session leaves a disposition it did not set alone. */
static void ignore_late_signals(void)
{
	static const int late[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++)
		signal(late[i], SIG_IGN);
}

#if !defined(__SANITIZE_ADDRESS__)
/* lanner.session.free_all(), if sessions were made; false if it failed. */
static bool free_sessions(lua_State *L)
{
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "loaded");
	lua_getfield(L, -1, "lanner.session");
	if (!lua_istable(L, -1))
		return true;
	lua_getfield(L, -1, "free_all");
	return lua_pcall(L, 0, 0, 0) == 0;
}
#endif

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder that holds lua/, rules/ and chisels/. */
static int find_root(char *root, size_t n, char *gen, size_t gn)
{
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	ssize_t r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (r < 0)
		return -1;
	exe[r] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	/* the source tree: build/lanner or build/asan/lanner */
	static const char *const ups[] = { "/..", "/../.." };
	for (size_t i = 0; i < sizeof(ups) / sizeof(ups[0]); i++) {
		snprintf(cand, sizeof(cand), "%s%s/lua/lanner/cli.lua", exe, ups[i]);
		if (access(cand, R_OK) == 0) {
			snprintf(root, n, "%s%s", exe, ups[i]);
			snprintf(gen, gn, "%s%s/build/lua", exe, ups[i]);
			return 0;
		}
	}
	snprintf(cand, sizeof(cand), "%s/../share/lanner/lua/lanner", exe);
	if (is_dir(cand)) {
		snprintf(root, n, "%s/../share/lanner", exe);
		snprintf(gen, gn, "%s/../share/lanner/lua", exe);
		return 0;
	}
	return -1;
}

static char bc_root[PATH_MAX + 128];	/* build/luac, or "" */

static bool mtime_of(const char *p, struct timespec *t)
{
	struct stat st;
	if (stat(p, &st) < 0)
		return false;
	*t = st.st_mtim;
	return true;
}

/* package.loaders entry: lanner's own modules from bytecode that is not
 * older than the source; anything else (or a bytecode that does not load,
 * say from another LuaJIT) falls through to the source searcher. */
static int bytecode_searcher(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	if (!bc_root[0] || strncmp(name, "lanner.", 7))
		return 0;
	char rel[PATH_MAX], bc[2 * PATH_MAX + 256], src[2 * PATH_MAX + 256];
	snprintf(rel, sizeof(rel), "%s", name);
	for (char *c = rel; *c; c++)
		if (*c == '.')
			*c = '/';
	snprintf(bc, sizeof(bc), "%s/%s.lua", bc_root, rel);
	snprintf(src, sizeof(src), "%s/../../lua/%s.lua", bc_root, rel);
	struct timespec tb, ts;
	if (!mtime_of(bc, &tb))
		return 0;
	if (mtime_of(src, &ts) && (tb.tv_sec < ts.tv_sec || (tb.tv_sec == ts.tv_sec && tb.tv_nsec < ts.tv_nsec)))
		return 0;	/* the source changed since make: take it */
	if (luaL_loadfile(L, bc) != 0) {
		lua_pop(L, 1);
		return 0;
	}
	return 1;
}

/* Put bytecode_searcher right after the preload searcher. */
static void add_bytecode_searcher(lua_State *L)
{
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "loaders");
	int n = (int)lua_objlen(L, -1);
	for (int i = n; i >= 2; i--) {
		lua_rawgeti(L, -1, i);
		lua_rawseti(L, -2, i + 1);
	}
	lua_pushcfunction(L, bytecode_searcher);
	lua_rawseti(L, -2, 2);
	lua_pop(L, 2);
}

static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	luaL_traceback(L, L, msg ? msg : "(error object)", 1);
	return 1;
}

int main(int argc, char **argv)
{
	char root[PATH_MAX + 64], gen[PATH_MAX + 64];
	const char *env_root = getenv("LANNER_ROOT");
	if (env_root) {
		snprintf(root, sizeof(root), "%s", env_root);
		snprintf(gen, sizeof(gen), "%s/build/lua", env_root);
	} else if (find_root(root, sizeof(root), gen, sizeof(gen)) < 0) {
		fprintf(stderr, "lanner: cannot find its Lua files beside %s\n", argv[0]);
		return 2;
	}
	lua_State *L = luaL_newstate();
	if (!L) {
		fprintf(stderr, "lanner: out of memory\n");
		return 2;
	}
	luaL_openlibs(L);

	char path[3 * PATH_MAX + 256];
	snprintf(path, sizeof(path), "%s/lua/?.lua;%s/lua/?/init.lua;%s/?.lua", root, root, gen);
	lua_getglobal(L, "package");
	lua_pushstring(L, path);
	lua_setfield(L, -2, "path");
	lua_pop(L, 1);
	lua_pushstring(L, root);
	lua_setglobal(L, "LANNER_ROOT");
	snprintf(bc_root, sizeof(bc_root), "%s/build/luac", root);
	if (is_dir(bc_root))
		add_bytecode_searcher(L);
	else
		bc_root[0] = '\0';

	lua_pushcfunction(L, traceback);
	lua_getglobal(L, "require");
	lua_pushstring(L, "lanner.cli");
	if (lua_pcall(L, 1, 1, 1) != 0) {
		fprintf(stderr, "lanner: %s\n", lua_tostring(L, -1));
		lua_close(L);
		return 2;
	}
	lua_getfield(L, -1, "main");
	lua_newtable(L);
	for (int i = 1; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i);
	}
	int code = 2;
	bool ok = lua_pcall(L, 1, 1, 1) == 0;
	if (!ok)
		fprintf(stderr, "lanner: internal error: %s\n", lua_tostring(L, -1));
	else
		code = (int)luaL_optinteger(L, -1, 0);
	ignore_late_signals();
#if !defined(__SANITIZE_ADDRESS__)
	/* Closing Lua frees the heap object by object: 3 ms of the 28 a run
	 * with the packaged rules takes.  The sessions are what must be freed
	 * (a program still traced is ended or let go); the rest the exit
	 * returns at once.  Under ASan everything is freed, so that the leak
	 * check sees only what the core lost. */
	if (ok && free_sessions(L))
		return code;	/* exit flushes stdio's buffers, Lua's files too */
#endif
	lua_close(L);
	return code;
}
