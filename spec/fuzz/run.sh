#!/bin/sh
# make fuzz: build the capture reader's libFuzzer target
# (spec/fuzz/capture_fuzz.c) with ASan and UBSan, and run it for a bounded
# time on a copy of the seed corpus (spec/fuzz/corpus: small real captures,
# uncompressed (format 1) and with zlib and zstd COMPRESSED blocks).
#
#   FUZZ_TIME=600 sh spec/fuzz/run.sh     # seconds, default 60
#   FUZZ_ARGS='-jobs=4 -workers=4'         # more libFuzzer flags
#
# Exit 0 when nothing was found; 1 with the crashing input kept in
# build/fuzz/ (re-run it: build/fuzz/capture_fuzz build/fuzz/crash-...).
set -u
cd "$(dirname "$0")/../.."
out=build/fuzz
bin=$out/capture_fuzz
time=${FUZZ_TIME:-60}
CC=${FUZZ_CC:-clang}
mkdir -p "$out/corpus"

# The core's sources and preprocessor flags, as the Makefile says.
makevar() {
	printf 'print-var:\n\t@echo $(%s)\n' "$1" | make -s --no-print-directory -f Makefile -f - print-var
}
src=$(makevar CORE_SRC)
cppflags=$(makevar CPPFLAGS)
libs=$(makevar LIBS)
[ -n "$src" ] || src=$(ls src/*/*.c)
[ -n "$cppflags" ] || cppflags="-D_GNU_SOURCE -Isrc"
[ -n "$libs" ] || libs="-lseccomp -lz -lzstd"
newer=$(find spec/fuzz/capture_fuzz.c src -newer "$bin" -name '*.[ch]' 2>/dev/null | head -1)
if ! [ -x "$bin" ] || [ -n "$newer" ]; then
	echo "  CC    $bin (libFuzzer, ASan+UBSan)"
	if ! $CC -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		$cppflags spec/fuzz/capture_fuzz.c $src $libs -o "$bin"; then
		echo "fuzz: cannot build; clang's fuzzer runtime may be missing:" >&2
		echo "  apt-get install -y clang libclang-rt-14-dev" >&2
		exit 2
	fi
fi

# New inputs go to build/fuzz/corpus; the seeds stay as they are.
cp spec/fuzz/corpus/* "$out/corpus/"

# symbolize=0 and -print_funcs=0: no llvm-symbolizer child while fuzzing.
# ln_session_free on a replay session with threads left waits for any
# child of the process (waitpid(-1)) and would hang on the symbolizer.
# Reports are symbolized below, by re-running the input alone.
log=$out/fuzz.log
ASAN_OPTIONS=symbolize=0:allocator_may_return_null=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
"$bin" "$out/corpus" -max_total_time="$time" -timeout=10 -max_len=65536 \
	-malloc_limit_mb=64 -rss_limit_mb=2048 -print_funcs=0 -print_final_stats=1 \
	-artifact_prefix="$out/" ${FUZZ_ARGS:-} > "$log" 2>&1
rc=$?
tail -n 12 "$log" | grep -E '^(#[0-9]|Done|stat::|SUMMARY|==)' || true
if [ "$rc" -ne 0 ]; then
	art=$(ls -t "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* 2>/dev/null | head -1)
	echo "fuzz: FAILED (exit $rc), full log in $log"
	if [ -n "$art" ]; then
		echo "fuzz: input kept in $art; its report:"
		UBSAN_OPTIONS=print_stacktrace=1 "$bin" -malloc_limit_mb=64 -rss_limit_mb=2048 "$art" 2>&1 |
			grep -v '^INFO:' | head -60
	fi
	exit 1
fi
echo "fuzz: capture reader, ${time}s, nothing found"
