-- Secret read then outbound connection: a process reads a credential file
-- (shadow, SSH keys, cloud credentials) and within a minute it, or another
-- child of its parent (`cat key | curl ...`), connects to an address that
-- is not loopback.  Each YAML rule sees one event; the pair is what tells
-- exfiltration from a login or a backup.
--
--   lanner --script rules/detections/secret_then_connect.lua -- ./app
local d = require "lanner.detect"

local WINDOW_NS = 60e9

d.on([[evt.type in (open, openat, openat2) and evt.is_open_read = true and evt.rawres >= 0
       and fd.typechar = 'f'
       and (fd.name in (/etc/shadow, /etc/gshadow, /etc/sudoers, /root/.aws/credentials,
                        /root/.docker/config.json, /root/.kube/config, /root/.netrc)
            or fd.name glob '/root/.ssh/id_*' or fd.name glob '/home/*/.ssh/id_*'
            or fd.name glob '/home/*/.aws/credentials')]],
function(e, proc)
	local read = { time = e.time, name = e["fd.name"], pid = e.pid }
	proc.state.secret = read
	-- the parent keeps it too, for a sibling that does the sending
	local parent = d.proc(e["proc.ppid"] or 0)
	if parent then parent.state.child_secret = read end
end)

d.on([[evt.type = connect and fd.typechar in (4, 6)
       and (evt.rawres >= 0 or evt.res = EINPROGRESS)
       and fd.sip exists and not fd.snet in ("127.0.0.0/8", "::1/128")]],
function(e, proc)
	local read, holder = proc.state.secret, proc
	if not read then
		holder = d.proc(e["proc.ppid"] or 0)
		read = holder and holder.state.child_secret
	end
	if not read or e.time - read.time > WINDOW_NS then return end
	d.alert {
		rule = "Secret read then outbound connection",
		priority = "critical",
		output = "Secret file read then outbound connection (secret=" .. d.quote(read.name)
			.. " connection=%fd.name process=%proc.name pid=%proc.pid command=%proc.cmdline"
			.. " parent=%proc.pname user=%user.name container=%container.id)",
		tags = { "exfiltration", "credential_access", "mitre_exfiltration" },
		fields = { ["secret.name"] = read.name, ["secret.pid"] = read.pid },
	}
	-- one alert per read
	if holder == proc then proc.state.secret = nil else holder.state.child_secret = nil end
end)
