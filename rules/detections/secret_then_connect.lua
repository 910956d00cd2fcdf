-- Secret read then outbound connection: a credential file (shadow, SSH
-- keys, cloud and registry credentials), or a copy of one, is read, and
-- within a minute the reader or a relative connects to an address that is
-- not loopback.  Relatives are found through the recorded ancestry
-- (d.ancestors, which keeps shells that already exited): processes with a
-- common ancestor at most three generations up, as the steps of one
-- command line or script are (`cat key > /tmp/k` in one shell, `curl -T
-- /tmp/k` in another).  Copies are followed by identity (device and
-- inode): a file a reader writes, or its stdout redirected to a file,
-- becomes a secret too.  Each YAML rule sees one event; the pair is what
-- tells exfiltration from a login or a backup.
--
--   lanner --script rules/detections/secret_then_connect.lua -- ./app
local d = require "lanner.detect"

local WINDOW_NS, GENERATIONS = 60e9, 3
local copies = d.files(4096, 600)  -- dev:ino of a file holding a secret -> the read
local reads = d.map(4096, 60)      -- pid of a reader or its ancestor -> the read

-- The process and its ancestors, as far as GENERATIONS (pids).
local function family(pid)
	local out = { pid }
	for _, a in ipairs(d.ancestors(pid, GENERATIONS)) do
		if a.pid > 1 then out[#out + 1] = a.pid end
	end
	return out
end

local function note(e, proc, read)
	proc.state.secret = read
	for _, pid in ipairs(family(e.pid)) do reads:set(pid, read) end
	-- `cat secret > file`: the shell opened the file before cat read
	if e["proc.stdout.type"] == "file" then
		copies:set(copies:of_stream(e, "stdout"), read)
	end
end

d.on([[evt.type in (open, openat, openat2) and evt.is_open_read = true and evt.rawres >= 0
       and fd.typechar = 'f'
       and (fd.name in (/etc/shadow, /etc/gshadow, /etc/sudoers, /root/.aws/credentials,
                        /root/.docker/config.json, /root/.kube/config, /root/.netrc)
            or fd.name glob '/root/.ssh/id_*' or fd.name glob '/home/*/.ssh/id_*'
            or fd.name glob '/home/*/.aws/credentials')]],
function(e, proc)
	note(e, proc, { time = e.time, name = e["fd.name"], pid = e.pid })
end)

-- a copy read, or a file written by a process that read a secret
d.on([[evt.type in (open, openat, openat2, creat) and evt.rawres >= 0 and fd.typechar = 'f']],
function(e, proc)
	local k = copies:of_fd(e)
	if not k then return end
	if e["evt.is_open_write"] then
		local read = proc.state.secret
		if read and e.time - read.time <= WINDOW_NS then copies:set(k, read) end
		return
	end
	local read = copies:get(k)
	if read then note(e, proc, { time = e.time, name = read.name, pid = e.pid, copy = e["fd.name"] }) end
end)

d.on([[evt.type = connect and fd.typechar in (4, 6)
       and (evt.rawres >= 0 or evt.res = EINPROGRESS)
       and fd.sip exists and not fd.snet in ("127.0.0.0/8", "::1/128")]],
function(e)
	local read, via
	for _, pid in ipairs(family(e.pid)) do
		local r = reads:get(pid)
		if r and e.time - r.time <= WINDOW_NS then read, via = r, pid; break end
	end
	if not read then return end
	for _, pid in ipairs(family(read.pid)) do reads:del(pid) end   -- one alert per read
	d.alert {
		rule = "Secret read then outbound connection",
		priority = "critical",
		output = "Secret file read then outbound connection (secret=" .. d.quote(read.name)
			.. " copy=" .. d.quote(read.copy or "-") .. " reader_pid=" .. read.pid .. " common_ancestor=" .. via
			.. " connection=%fd.name process=%proc.name pid=%proc.pid command=%proc.cmdline"
			.. " parent=%proc.pname user=%user.name container=%container.id)",
		tags = { "exfiltration", "credential_access", "mitre_exfiltration", "T1041" },
		fields = { ["secret.name"] = read.name, ["secret.pid"] = read.pid, ["secret.copy"] = read.copy },
	}
end)
