#!/bin/sh
# The C core built with AddressSanitizer and UBSan (build/asan/lanner) runs
# the test programs; a case passes when the exit status is the program's
# and the sanitizers said nothing.  Prints TAP lines.
set -u
cd "$(dirname "$0")/.."
L=build/asan/lanner
P=build/progs
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
n=0

check() {	# expected-status description -- command...
	want=$1; desc=$2; shift 2
	n=$((n + 1))
	out=build/test/asan.$n
	"$L" -q --output-file "$out.events" "$@" > "$out.stdout" 2> "$out.stderr"
	got=$?
	if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' -e 'ERROR: LeakSanitizer' "$out.stderr"; then
		echo "not ok $n - asan: $desc: sanitizer report"; sed 's/^/# /' "$out.stderr" | head -30
	elif [ "$got" -ne "$want" ]; then
		echo "not ok $n - asan: $desc: exit $got, expected $want"; sed 's/^/# /' "$out.stderr" | head -10
	elif ! [ -s "$out.events" ]; then
		echo "not ok $n - asan: $desc: no events"
	else
		echo "ok $n - asan: $desc"
	fi
}

check 3 "shell, fork, exec, exit status" -- sh -c 'cat /etc/hostname > /dev/null; exit 3'
for prog in $(ls $P 2>/dev/null); do
	case $prog in
	*_segv*) check 139 "$prog" -- "$P/$prog" ;;
	*_m32)	# 32-bit x86, in a directory of its own; 126: the kernel
		# execs no 32-bit programs (no IA32 emulation)
		D=$(mktemp -d)
		if "$P/$prog" "$D" > /dev/null 2>&1 || [ $? -ne 126 ]; then
			check 0 "$prog" -- "$P/$prog" "$D"
		else
			n=$((n + 1)); echo "ok $n - asan: $prog # SKIP this kernel runs no 32-bit x86 programs"
		fi
		rm -rf "$D" ;;
	*) check 0 "$prog" -- "$P/$prog" ;;
	esac
done
# rules off the stop path (src/session/async.c): the tracing thread, the
# queue and the replica, waiting for room and dropping, under the sanitizers
check 3 "queue: shell, fork, exec, exit status" --queue 1M -- sh -c 'cat /etc/hostname > /dev/null; exit 3'
check 0 "queue: threads" --queue 1M -- "$P/threads"
check 0 "queue: a full queue waits" --queue 64K -- "$P/burst" 2 3000
check 0 "queue: a full queue drops" --stats --queue 64K --queue-full drop -c spec/fixtures/chisels/lag.lua \
	"- 100" -- "$P/burst" 2 3000
# and it did drop (the lag chisel spends 100 us per event)
n=$((n + 1))
if grep -q "dropped [1-9]" "build/test/asan.$((n - 1)).stderr"; then
	echo "ok $n - asan: queue: the drop path ran"
else
	echo "not ok $n - asan: queue: nothing was dropped"; sed 's/^/# /' "build/test/asan.$((n - 1)).stderr" | head -5
fi
check 0 "queue: exec from a thread" --queue 1M -- "$P/exec_thread"
# fds numbered near the limit (src/state/fdmap.c), in the replica too
check 0 "queue: high fds and forks" --queue 1M -p '%evt.type %fd.num %fd.name' 'fd.num >= 50' -- "$P/highfd" 20
# fd names shared by forks (src/state/fdname.c), in the replica too
check 0 "queue: shared fd names" --queue 1M -p '%evt.type %fd.name' 'fd.num >= 0' -- "$P/forkfds"
# argument areas let go once their events are consumed (trace/stops.c)
check 0 "large argument areas released" -s 65536 -p '%evt.type %evt.buflen' 'evt.type=read' -- "$P/manypeers" reads 20
check 0 "queue: large argument areas released" --queue 1M -s 65536 -p '%evt.type %evt.buflen' 'evt.type=read' \
	-- "$P/manypeers" reads 20
# forks and chdirs sent as FORK and CWD blocks (capture/write.c, read_state.c)
check 0 "queue: forks and chdirs" --queue 1M -p '%proc.cwd %fd.name' 'evt.type=openat and fd.name=/etc/hostname' \
	-- sh -c 'for i in 1 2 3; do cd /tmp; ( : </etc/hostname ); cd /; done'
check 0 "queue: renames" --queue 1M -p '%proc.comm' 'evt.type=close and evt.rawres < 0' -- "$P/procstate" renames 20
# memory figures read at exec, fork and mmap (state/tasks.c), sent in PROC,
# FORK and VM blocks (capture/write_state.c, read_state.c)
check 0 "queue: memory figures" --queue 1M -p '%proc.vmsize %proc.vmrss %thread.vmsize %fd.name' \
	'evt.type in (openat, mmap, munmap, brk)' -- "$P/vmfigures"
# a queue that drops, its reader stalled: state no longer encoded, then sent whole
D=$(mktemp -d)
check 0 "queue: state sent again after a stall" --queue-full drop -c spec/fixtures/chisels/lag.lua \
	"$D/done 0" 'evt.type=read' -- "$P/swapread" 20000 "$D/done"
rm -rf "$D"
# ended processes freed while no event is out (trace/stops.c, capture/read.c)
check 0 "queue: processes freed between events" --queue 1M -p '%evt.num' 'evt.type=openat' -- "$P/forkmany" 300
# the user-notification engine (src/trace/notify.c): register-only calls,
# beside ptrace stops on threads and a fork, and under a signal storm
NOTIFY='evt.type in (kill, tgkill, ftruncate, dup, setuid, setgid, fcntl, lseek, shutdown, unshare, setns, getppid)'
check 3 "notifications: one of each call" -p '%evt.type %evt.args' "$NOTIFY" -- "$P/notify_calls" calls
check 0 "notifications: threads and a fork" -p '%thread.tid %evt.type %evt.args' 'evt.type in (openat, lseek)' \
	-- "$P/notify_calls" order 4 100
check 0 "notifications: signals" --queue 0 -p '%evt.type' 'evt.type=kill' -- "$P/notify_calls" signals 20000
D=$(mktemp -d)
cat > "$D/deny.yaml" <<'EOF'
- rule: No hostname
  desc: an open decided on the kernel's name, held at its exit
  condition: evt.type in (open, openat) and fd.name = /etc/hostname
  output: "hostname opened by %proc.name"
  priority: ERROR
  tags: [lanner.deny]
EOF
check 1 "queue: held opens denied from the rules' thread" --queue 1M --enforce -R "$D/deny.yaml" -- cat /etc/hostname
rm -rf "$D"
# --attach-mode=seccomp: the injection (src/trace/inject.c) under the sanitizers;
# the program waits for the filter to appear, runs, and lanner follows it out
D=$(mktemp -d)
$P/inv_attach_busy "$D" 20 2 wait-filter > /dev/null 2>&1 &
bp=$!
i=0; while [ ! -s "$D/ready" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
check 0 "attach --attach-mode=seccomp" --attach-mode=seccomp --pid "$bp" 'evt.type=openat'
kill -9 "$bp" 2>/dev/null; wait "$bp" 2>/dev/null; rm -rf "$D"
# the web server's thread under the sanitizers: the traced program scrapes
# it, so the thread serves while the tracer works
WP=$((20000 + $$ % 20000))
check 0 "web server scraped by the traced program" -o webserver.enabled=true \
	-o webserver.listen_address=127.0.0.1 -o webserver.listen_port=$WP \
	-o webserver.prometheus_metrics_enabled=true -- python3 -c "
import sys, urllib.request
h = urllib.request.urlopen('http://127.0.0.1:$WP/healthz', timeout=10).status
m = urllib.request.urlopen('http://127.0.0.1:$WP/metrics', timeout=10).read()
sys.exit(0 if h == 200 and b'lanner_stops_total' in m else 5)"
check 0 "filter and format" -p '%proc.name %evt.type %fd.name' 'evt.type in (openat, close)' -- sh -c 'cat /etc/hostname >/dev/null'
# the rules cache's files (src/base/cachefile.c): kept, then read back and
# used (an alert from the packaged rules),
# with a folder full enough to be pruned
D=$(mktemp -d)
for i in $(seq 1 40); do echo x > "$D/rules-old$i.luac"; done
LANNER_CACHE_DIR=$D check 0 "rules cache kept" -R rules/ -- sh -c 'cat /etc/shadow >/dev/null'
LANNER_CACHE_DIR=$D check 0 "rules cache read" --stats -R rules/ -- sh -c 'cat /etc/shadow >/dev/null'
n=$((n + 1))
if grep -q '^rules cache: hit' "build/test/asan.$((n - 1)).stderr"; then
	echo "ok $n - asan: rules cache hit"
else
	echo "not ok $n - asan: rules cache hit"; sed 's/^/# /' "build/test/asan.$((n - 1)).stderr" | tail -5
fi
rm -rf "$D"
