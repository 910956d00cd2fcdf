#!/bin/sh
# The demo workload behind `make demo`: a few things an intruder does, made
# harmless.  It works in a temporary folder; what would touch the system
# (binary dirs) happens in a private mount namespace over a tmpfs; it sends
# no network traffic.
set -u
T=$(mktemp -d /tmp/lanner-demo.XXXXXX)
echo "demo: reading the password hashes"
cat /etc/shadow > /dev/null
echo "demo: looking for credentials"
grep -ri password /etc/ssh/ssh_config > /dev/null 2>&1
echo "demo: stealing an ssh key"
mkdir -p "$T/.ssh" && printf key > "$T/.ssh/id_rsa" && cat "$T/.ssh/id_rsa" > /dev/null
echo "demo: dropping a program in /tmp and running it"
cp /bin/true "$T/payload" && "$T/payload"
echo "demo: making it setuid"
chmod u+s "$T/payload"
echo "demo: planting a binary in /usr/local/bin (private tmpfs)"
unshare -m sh -c 'mount -t tmpfs lanner-demo /usr/local/bin && cp /bin/true /usr/local/bin/backdoor'
echo "demo: covering tracks"
echo "ls" >> "$T/.bash_history" && rm "$T/.bash_history"
rm -rf "$T"
echo "demo: done"
