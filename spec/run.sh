#!/bin/sh
# make test's runner: every busted spec, then the core under AddressSanitizer
# and UBSan.  Ends with the one line CI reads: "tests: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export LANNER_LIB="$PWD/build/liblanner.so"
# The suite's own rules cache: no run depends on what an earlier one (or
# the user's ~/.cache) left, and specs that load the same rules hit it.
LANNER_CACHE_DIR=$(mktemp -d /tmp/lanner-rules-cache.XXXXXX)
export LANNER_CACHE_DIR
trap 'rm -rf "$LANNER_CACHE_DIR"' EXIT
mkdir -p build/test
tap=build/test/busted.tap

# One busted process per spec file: a crash is then charged to its file,
# and no file's leftovers (sessions, timers, handlers) reach another's.
: > "$tap"
passed=0; failed=0; skipped=0
files=${*:-$(ls spec/*_spec.lua)}
for f in $files; do
	out=build/test/$(basename "$f" .lua).tap
	busted --lua=luajit -o TAP "$f" > "$out" 2> "$out.err"
	rc=$?
	cat "$out" >> "$tap"
	p=$(grep '^ok ' "$out" | grep -vc '# SKIP')
	k=$(grep '^ok ' "$out" | grep -c '# SKIP')
	x=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$x" -eq 0 ]; then
		# busted died before it could report (a crash, a file that does not load)
		echo "not ok - $f: busted exited with $rc:" >> "$tap"
		sed 's/^/# /' "$out.err" | tail -20 >> "$tap"
		x=1
	fi
	passed=$((passed + p)); skipped=$((skipped + k)); failed=$((failed + x))
done
cat "$tap"

sh spec/asan.sh > build/test/asan.tap
cat build/test/asan.tap
passed=$((passed + $(grep '^ok ' build/test/asan.tap | grep -vc '# SKIP')))
skipped=$((skipped + $(grep '^ok ' build/test/asan.tap | grep -c '# SKIP')))
failed=$((failed + $(grep -c '^not ok ' build/test/asan.tap)))

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
