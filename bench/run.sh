#!/bin/sh
# make bench: wall-time ratios of lanner against untraced runs, strace
# --seccomp-bpf and the floor tracer, in one run.  Writes bench/RESULTS.md.
# Not part of make test: these machines are shared and noisy, so only ratios
# measured side by side mean anything.
set -eu
cd "$(dirname "$0")/.."
missing=""
for p in nginx wrk python3 git tar; do command -v $p >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
	echo "bench: installing$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null; } || true
fi
exec luajit bench/run.lua "$@"
