#!/bin/sh
# make demo: lanner with the packaged rules on the demo workload.
cd "$(dirname "$0")/../.."
echo "== lanner -R rules/ -- sh doc/demo/workload.sh"
build/lanner -R rules/ -- sh doc/demo/workload.sh
echo "== exit status: $?"
