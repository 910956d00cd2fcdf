#!/bin/sh
# Capture replay speed: record a syscall-heavy program with every syscall
# traced (`lanner -w`), then replay the capture through the packaged rules
# (`lanner -r FILE -R rules/`), and print how much faster the replay was.
# The goal is a replay at least 5x faster than the recording.  Done once
# uncompressed and once per compression (-z, --compress zstd).
#
#   sh bench/capture_replay.sh            # 500,000 open/close pairs: 1M events
#   PAIRS=100000 sh bench/capture_replay.sh
#   COMPRESS="none zstd" sh bench/capture_replay.sh
#
# Needs `make all build/bench/bench_scmix`.
set -eu
cd "$(dirname "$0")/.."
L=${LANNER:-build/lanner}
P=build/bench/bench_scmix
PAIRS=${PAIRS:-500000}
COMPRESS=${COMPRESS:-none zlib zstd}
[ -x "$P" ] || make -s "$P"
[ -x "$L" ] || { echo "capture_replay: build $L first (make all)" >&2; exit 2; }

dir=$(mktemp -d /tmp/lanner-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM

# Wall and CPU seconds (user + system, with the children lanner reaps: the
# traced program when recording) of a command, as "WALL CPU".  CPU time
# says what the work costs on a machine that others share.
timed() {
	/usr/bin/time -f '%e %U %S' -o "$dir/time" "$@"
	awk '{ printf "%.2f %.2f", $1, $2 + $3 }' "$dir/time"
}
[ -x /usr/bin/time ] || { echo "capture_replay: needs /usr/bin/time (Debian: time)" >&2; exit 2; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
for z in $COMPRESS; do
	cap=$dir/bench-$z.lcap
	case $z in
	none) zopt= ;;
	zlib) zopt=-z ;;
	*) zopt="--compress $z" ;;
	esac
	# shellcheck disable=SC2086
	rec=$(timed "$L" -q -w "$cap" $zopt -- "$P" 0 "$PAIRS")
	rm -f "$dir/alerts"
	rep=$(timed "$L" -q -r "$cap" -R rules/ --stats --output-file "$dir/alerts" 2> "$dir/stats")
	# the reader alone: no rules, a filter that matches nothing, no output
	bare=$(timed "$L" -q -r "$cap" 'evt.num < 0')
	events=$(sed -n 's/^events: *\([0-9]*\).*/\1/p' "$dir/stats")
	size=$(stat -c %s "$cap")
	alerts=$(grep -c . "$dir/alerts" || true)
	echo "$rec $rep $bare $events $size $alerts $z" | awk '{
		n = $7 ? $7 : 1
		printf "capture replay (%s): %d events, %.1f MB (%.0f bytes/event), %d alerts\n", $10, $7, $8 / 1048576, $8 / n, $9
		printf "  %-38s %8s %8s %12s\n", "", "wall s", "CPU s", "events/s"
		printf "  %-38s %8.2f %8.2f %12.0f\n", "record  (-w, every syscall traced)", $1, $2, n / ($1 > 0 ? $1 : 1)
		printf "  %-38s %8.2f %8.2f %12.0f\n", "replay  (-r, -R rules/)", $3, $4, n / ($3 > 0 ? $3 : 1)
		printf "  %-38s %8.2f %8.2f %12.0f\n", "replay  (-r, a filter matching none)", $5, $6, n / ($5 > 0 ? $5 : 1)
		printf "  replay is %.1fx faster than recording, wall time (goal: 5x); CPU time %.1fx\n",
			$1 / ($3 > 0 ? $3 : 1), $2 / ($4 > 0 ? $4 : 1)
	}'
	rm -f "$cap"
done
