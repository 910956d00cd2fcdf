#!/bin/sh
# in_container.sh CMD [ARG...]: runs CMD from a cgroup named as docker's
# systemd driver names a container's (".../lanner-spec-<id>/docker-<id>.scope",
# one of Falco's layouts), which lanner reads as "in a container"
# (container.id != host).  lanner reads a process's container at its
# exec; lanner itself starts inside, so every process it runs is in it:
#   spec/rules/in_container.sh build/lanner -R rules/ -- CMD
# Needs root and a writable cgroup hierarchy (v2, or v1 pids/systemd);
# exits 77 when it cannot make one.  The cgroup is removed afterwards.
set -u
id=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
root= line=
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	root=/sys/fs/cgroup; line=$(grep '^0::' /proc/self/cgroup)
else
	for h in pids name=systemd memory cpu; do
		d=${h#name=}
		if [ -w "/sys/fs/cgroup/$d/cgroup.procs" ]; then
			root=/sys/fs/cgroup/$d; line=$(grep ":$h:" /proc/self/cgroup | head -1); break
		fi
	done
fi
[ -n "$root" ] && [ -n "$line" ] || { echo "in_container.sh: no writable cgroup hierarchy" >&2; exit 77; }
orig=${line#*:*:}
cg=$root/lanner-spec-$id/docker-$id.scope
mkdir -p "$cg" 2>/dev/null && echo $$ > "$cg/cgroup.procs" 2>/dev/null || {
	rmdir "$cg" "${cg%/*}" 2>/dev/null
	echo "in_container.sh: cannot join $cg" >&2; exit 77; }
"$@"
rc=$?
echo $$ > "$root${orig%/}/cgroup.procs" 2>/dev/null || echo $$ > "$root/cgroup.procs"
rmdir "$cg" "${cg%/*}" 2>/dev/null
exit $rc
