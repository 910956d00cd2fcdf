#!/bin/sh
# Capture replay speed: record a syscall-heavy program with every syscall
# traced (`lanner -w`), then replay the capture through the packaged rules
# (`lanner -r FILE -R rules/`), and print how much faster the replay was.
# The goal is a replay at least 5x faster than the recording.
#
#   sh bench/capture_replay.sh            # 500,000 open/close pairs: 1M events
#   PAIRS=100000 sh bench/capture_replay.sh
#
# Needs `make all build/bench/bench_scmix`.
set -eu
cd "$(dirname "$0")/.."
L=${LANNER:-build/lanner}
P=build/bench/bench_scmix
PAIRS=${PAIRS:-500000}
[ -x "$P" ] || make -s "$P"
[ -x "$L" ] || { echo "capture_replay: build $L first (make all)" >&2; exit 2; }

dir=$(mktemp -d /tmp/lanner-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM
cap=$dir/bench.lcap

now() { date +%s.%N; }
elapsed() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }

t0=$(now)
"$L" -q -w "$cap" -- "$P" 0 "$PAIRS"
t1=$(now)
"$L" -q -r "$cap" -R rules/ --stats > "$dir/alerts" 2> "$dir/stats"
t2=$(now)

rec=$(elapsed "$t0" "$t1")
rep=$(elapsed "$t1" "$t2")
events=$(sed -n 's/^events: *\([0-9]*\).*/\1/p' "$dir/stats")
size=$(stat -c %s "$cap")
alerts=$(grep -c . "$dir/alerts" || true)
echo "$rec $rep $events $size $alerts" | awk '{
	printf "capture replay: %d events, %.1f MB (%.0f bytes/event), %d alerts\n", $3, $4 / 1048576, $4 / ($3 ? $3 : 1), $5
	printf "  record  (-w, every syscall traced)  %8.2f s  %9.0f events/s\n", $1, $3 / ($1 > 0 ? $1 : 1)
	printf "  replay  (-r, -R rules/)             %8.2f s  %9.0f events/s\n", $2, $3 / ($2 > 0 ? $2 : 1)
	printf "  replay is %.1fx faster than recording (goal: 5x)\n", $1 / ($2 > 0 ? $2 : 1)
}'
