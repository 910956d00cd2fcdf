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
# run_spec FILE TAG: one busted process; TAG names a second pass
run_spec() {
	out=build/test/$(basename "$1" .lua)$2.tap
	busted --lua=luajit -o TAP "$1" > "$out" 2> "$out.err"
	rc=$?
	if [ -n "$2" ]; then
		sed -i "s/^\(\(not \)\{0,1\}ok [0-9]* - \)/\1[$2] /" "$out"
	fi
	cat "$out" >> "$tap"
	p=$(grep '^ok ' "$out" | grep -vc '# SKIP')
	k=$(grep '^ok ' "$out" | grep -c '# SKIP')
	x=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$x" -eq 0 ]; then
		# busted died before it could report (a crash, a file that does not load)
		echo "not ok - $1$2: busted exited with $rc:" >> "$tap"
		sed 's/^/# /' "$out.err" | tail -20 >> "$tap"
		x=1
	fi
	passed=$((passed + p)); skipped=$((skipped + k)); failed=$((failed + x))
}
files=${*:-$(ls spec/*_spec.lua)}
for f in $files; do
	run_spec "$f" ""
done
# Rules run on a thread of their own (--queue) by default only where
# lanner has 2 CPUs or more (lua/lanner/cli/run.lua); the specs that
# drive the whole CLI run again the other way (rules between stops, or
# the queue on a one-CPU machine), so that both stay tested anywhere.
SECOND_PASS="packaged_rules detect_packaged prevent prevent_race capture chisel_host attach cli stress
	invisible_threads escape_seccomp webserver"
if build/lanner -q --stats -- true 2>&1 | grep -q "queue: none"; then
	export LANNER_QUEUE=1M; tag=queue
else
	export LANNER_QUEUE=0; tag=inline
fi
for f in $files; do
	for q in $SECOND_PASS; do
		if [ "$f" = "spec/${q}_spec.lua" ]; then run_spec "$f" "$tag"; fi
	done
done
unset LANNER_QUEUE
cat "$tap"

sh spec/asan.sh > build/test/asan.tap
cat build/test/asan.tap
passed=$((passed + $(grep '^ok ' build/test/asan.tap | grep -vc '# SKIP')))
skipped=$((skipped + $(grep '^ok ' build/test/asan.tap | grep -c '# SKIP')))
failed=$((failed + $(grep -c '^not ok ' build/test/asan.tap)))

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
