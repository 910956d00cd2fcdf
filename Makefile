# lanner - plain Makefile.  `make` builds, `make test` runs every spec and the
# sanitizer build, `make demo` runs the packaged rules on a demo workload.
# Targets that need Debian packages install the missing ones first.

PREFIX    ?= /usr/local
# The configuration and the packaged rules: /etc/lanner/lanner.yaml is
# where lanner looks (lua/lanner/config.lua), whatever the PREFIX.
SYSCONFDIR ?= /etc
MANDIR    ?= $(PREFIX)/share/man
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
LUAJIT_CFLAGS := $(shell pkg-config --cflags luajit 2>/dev/null || echo -I/usr/include/luajit-2.1)
LUAJIT_LIBS   := $(shell pkg-config --libs luajit 2>/dev/null || echo -lluajit-5.1)
CPPFLAGS  += -D_GNU_SOURCE -Isrc -Ibuild/gen
LIBS      := -lseccomp -lz -lzstd -pthread
Q         := @

B         := build
CORE_SRC  := $(filter-out src/main.c,$(wildcard src/*/*.c))
CORE_OBJ  := $(CORE_SRC:%.c=$(B)/obj/%.o)
PIC_OBJ   := $(CORE_SRC:%.c=$(B)/pic/%.o)
ASAN_OBJ  := $(CORE_SRC:%.c=$(B)/asan/obj/%.o)
PROGS_SRC := $(wildcard spec/progs/*.c)
PROGS     := $(PROGS_SRC:spec/progs/%.c=$(B)/progs/%)
HDRS      := src/lanner.h src/core.h src/table/syscalls.def src/capture/scap_events.def $(wildcard src/*/*.h)
SANITIZE  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Debian packages: build, test and demo needs (gcc-multilib: the 32-bit
# test programs, *_m32.c).
DEB_PKGS  := gcc make pkg-config luajit libluajit-5.1-dev libseccomp-dev libyaml-dev \
             zlib1g-dev libzstd-dev lua-busted strace libcurl4 python3 openssl gcc-multilib
# Optional: specs that need them say "pending" without them (a Go program
# traced, the HTML chisel's screenshot, the fuzzer's runtime).
DEB_OPTIONAL := golang-go chromium clang libclang-rt-14-dev
# The differential specs' oracle (spec/scap_diff_spec.lua): sysdig 0.29.3
# reads .scap captures with no kernel driver; without it they are pending.
DEB_SYSDIG := sysdig
# make bench's server workload (nginx under wrk); without them it says so.
DEB_BENCH := nginx wrk
missing = $(shell for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
                grep -q 'install ok installed' || echo $$p; done)
DEB_MISSING = $(call missing,$(DEB_PKGS))

.PHONY: all deps deps-optional deps-bench deps-sysdig test test-rules demo bench bench-capture fuzz install clean progs asan man
all: $(B)/lanner $(B)/liblanner.so $(B)/lua/lanner/cdef.lua $(B)/lanner.1 luac

deps:
	$(Q)missing="$(DEB_MISSING)"; if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $$missing >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && apt-get install -y -q $$missing; }; fi

deps-bench: deps
	$(Q)missing="$(call missing,$(DEB_BENCH))"; if [ -n "$$missing" ]; then \
	  echo "installing the benchmark's Debian packages:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1; } || \
	  echo "not installed ($$missing): the nginx workload is skipped"; fi

deps-sysdig: deps
	$(Q)missing="$(call missing,$(DEB_SYSDIG))"; if [ -n "$$missing" ]; then \
	  echo "installing the differential specs' oracle:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1; } || \
	  echo "sysdig not installed: the differential specs are pending"; fi

deps-optional: deps
	$(Q)missing="$(call missing,$(DEB_OPTIONAL))"; if [ -n "$$missing" ]; then \
	  echo "installing optional Debian packages:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1 || \
	  echo "optional packages not installed ($$missing): the specs that need them are pending"; fi

$(B)/obj/%.o: %.c $(HDRS)
	$(Q)mkdir -p $(@D); echo "  CC    $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fvisibility=hidden -c -o $@ $<

$(B)/pic/%.o: %.c $(HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -c -o $@ $<

$(B)/asan/obj/%.o: %.c $(HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -O1 -g $(SANITIZE) $(WARN) -c -o $@ $<

$(B)/lanner: src/main.c $(CORE_OBJ)
	$(Q)echo "  LD    $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LUAJIT_CFLAGS) -rdynamic -o $@ $^ $(LUAJIT_LIBS) $(LIBS)

$(B)/asan/lanner: src/main.c $(ASAN_OBJ)
	$(Q)echo "  LD    $@ (ASan+UBSan)"
	$(Q)$(CC) $(CPPFLAGS) -O1 -g $(SANITIZE) $(WARN) $(LUAJIT_CFLAGS) -rdynamic -o $@ $^ $(LUAJIT_LIBS) $(LIBS)

# -z nodelete: dlclose never unmaps the core.  LuaJIT dlcloses an ffi.load
# namespace when it is collected (modules dropped and reloaded, busted's
# insulate), yet an FFI host may still hold pointers into the library: an
# ffi.gc finaliser such as ln_session_free, a session's signal handlers.
$(B)/liblanner.so: $(PIC_OBJ)
	$(Q)echo "  LD    $@"
	$(Q)$(CC) -shared -Wl,-z,nodelete -o $@ $^ $(LIBS)

# The Lua side as LuaJIT bytecode (with its debug info: errors keep file
# and line), which the binary loads instead of a source no newer than it:
# parsing the sources was most of `lanner -- true`'s start (13 ms of 15).
LUA_SRC := $(shell find lua/lanner -name '*.lua')
LUAC    := $(LUA_SRC:lua/%.lua=$(B)/luac/%.lua)
$(B)/luac/%.lua: lua/%.lua
	$(Q)mkdir -p $(@D)
	$(Q)luajit -b -g $< $@
.PHONY: luac
luac: $(LUAC)

# The FFI cdef comes from the header, never from a hand-kept copy.
$(B)/lua/lanner/cdef.lua: src/lanner.h
	$(Q)mkdir -p $(@D)
	$(Q){ echo "-- generated from src/lanner.h by the Makefile: do not edit"; \
	     echo "return [==["; $(CC) -E -P -DLN_CDEF src/lanner.h | grep -v '^\s*$$'; echo "]==]"; } > $@

# The man page, from the option table --help is made from (PREFIX goes
# into its FILES section).
MANGEN = LANNER_LIB=$(B)/liblanner.so luajit -e 'package.path="lua/?.lua;$(B)/lua/?.lua;"..package.path' \
	-e 'io.write(require("lanner.cli.manpage").render{ prefix = "$(PREFIX)" })'
$(B)/lanner.1: lua/lanner/cli/options.lua lua/lanner/cli/manpage.lua $(B)/liblanner.so $(B)/lua/lanner/cdef.lua
	$(Q)$(MANGEN) > $@.tmp && mv $@.tmp $@
man: $(B)/lanner.1

# Layout figures from the C compiler, for spec/abi_spec.lua.
$(B)/abi_layout: spec/c/abi_layout.c src/lanner.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -o $@ $<

# The fd table's tree against a plain list, under the sanitizers
# (spec/fdmap_unit_spec.lua).
$(B)/fdmap_check: spec/c/fdmap_check.c src/state/fdmap.c src/state/fdname.c src/core.h src/state/state.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -O1 -g $(SANITIZE) -o $@ spec/c/fdmap_check.c src/state/fdmap.c src/state/fdname.c

# The tracer's poll policy driven with made-up timings (spec/spin_policy_spec.lua).
$(B)/spin_check: spec/c/spin_check.c src/trace/spin_policy.c src/core.h src/trace/trace.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -O1 -g $(SANITIZE) -o $@ spec/c/spin_check.c src/trace/spin_policy.c

# Test programs: *_static.c link statically, *_m32.c are 32-bit x86
# programs (the int 0x80 ABI), *_static_m32.c both; everything gets pthreads.
$(B)/progs/%_static: spec/progs/%_static.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g -Wall -static -pthread -o $@ $< 
$(B)/progs/%_static_m32: spec/progs/%_static_m32.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -m32 -O1 -g -Wall -static -pthread -o $@ $< || \
	  { echo "$@: gcc -m32 -static failed; make deps installs gcc-multilib"; exit 1; }
$(B)/progs/%_m32: spec/progs/%_m32.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -m32 -O1 -g -Wall -pthread -o $@ $< || \
	  { echo "$@: gcc -m32 failed; make deps installs gcc-multilib"; exit 1; }
$(B)/progs/%: spec/progs/%.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g -Wall -pthread -o $@ $<
progs: $(PROGS)

BENCH_PROGS := $(patsubst bench/progs/%.c,$(B)/bench/bench_%,$(wildcard bench/progs/*.c))
$(B)/bench/bench_%: bench/progs/%.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -Wall -pthread -o $@ $<
$(B)/bench/floor_tracer: bench/floor_tracer.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -Wall -o $@ $< -lseccomp

asan: $(B)/asan/lanner

test: deps deps-optional deps-sysdig all progs asan $(B)/abi_layout $(B)/fdmap_check $(B)/spin_check
	$(Q)CI=$${CI:-} sh spec/run.sh

# The capture reader under libFuzzer (clang, ASan+UBSan): FUZZ_TIME seconds
# (default 60), FUZZ_ARGS for more libFuzzer flags.
fuzz: deps deps-optional
	$(Q)sh spec/fuzz/run.sh

bench-capture: deps all $(B)/bench/bench_scmix
	$(Q)sh bench/capture_replay.sh

# The packaged rules' trigger and benign cases, through lanner --test-rules.
test-rules: deps all
	$(Q)for f in spec/rules/cases*.yaml; do build/lanner -q --test-rules $$f || exit 1; done

demo: deps all
	$(Q)sh doc/demo/run.sh

bench: deps deps-bench all progs $(BENCH_PROGS) $(B)/bench/floor_tracer
	$(Q)sh bench/run.sh

# The rules go where the configuration and the README say they are
# (/etc/lanner/rules); an existing /etc/lanner/lanner.yaml is kept.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/lanner/lua/lanner \
	  $(DESTDIR)$(PREFIX)/share/lanner/chisels $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(SYSCONFDIR)/lanner/rules
	install -m 755 $(B)/lanner $(DESTDIR)$(PREFIX)/bin/lanner
	cp -r $(B)/luac/lanner/. $(DESTDIR)$(PREFIX)/share/lanner/lua/lanner/
	install -m 644 $(B)/lua/lanner/cdef.lua $(DESTDIR)$(PREFIX)/share/lanner/lua/lanner/cdef.lua
	cp -r chisels/. $(DESTDIR)$(PREFIX)/share/lanner/chisels/
	$(MANGEN) > $(DESTDIR)$(MANDIR)/man1/lanner.1
	cp -r rules/. $(DESTDIR)$(SYSCONFDIR)/lanner/rules/
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/lanner/lanner.yaml ]; then \
	  echo "kept $(DESTDIR)$(SYSCONFDIR)/lanner/lanner.yaml (the sample is doc/lanner.yaml)"; \
	else install -m 644 doc/lanner.yaml $(DESTDIR)$(SYSCONFDIR)/lanner/lanner.yaml; fi

clean:
	rm -rf $(B)
