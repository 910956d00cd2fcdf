#!/bin/sh
# make test's runner: every busted spec, then the core under AddressSanitizer
# and UBSan.  Ends with the one line CI reads: "tests: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export LANNER_LIB="$PWD/build/liblanner.so"
mkdir -p build/test
tap=build/test/busted.tap

busted --lua=luajit -o TAP "$@" > "$tap" 2> build/test/busted.err
rc=$?
cat "$tap"
passed=$(grep '^ok ' "$tap" | grep -vc '# SKIP')
skipped=$(grep '^ok ' "$tap" | grep -c '# SKIP')
failed=$(grep -c '^not ok ' "$tap")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	# busted died before it could report (a spec file that does not load)
	echo "not ok - busted exited with $rc:"; sed 's/^/# /' build/test/busted.err | tail -20
	failed=$((failed + 1))
fi

sh spec/asan.sh > build/test/asan.tap
cat build/test/asan.tap
passed=$((passed + $(grep -c '^ok ' build/test/asan.tap)))
failed=$((failed + $(grep -c '^not ok ' build/test/asan.tap)))

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
