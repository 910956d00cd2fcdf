-- Discovery burst: one process starts six or more different discovery
-- programs (who am I, what host, what network, what runs, what may I do)
-- within 30 seconds.  It is what a web shell or a fresh reverse shell does
-- first: `id; uname -a; hostname; ip a; ps aux; sudo -l; cat /etc/passwd`,
-- each line harmless, and run by every admin now and then, so no rule
-- alerts on any of them.  A login profile or a build script runs two or
-- three of them, not six different ones.
--
--   lanner --script rules/detections/recon_burst.lua -- ./app
local d = require "lanner.detect"

local DISTINCT, SECONDS = 6, 30

d.on([[evt.type in (execve, execveat) and evt.rawres = 0
       and proc.name in (id, whoami, uname, hostname, hostnamectl, ifconfig, ip, netstat, ss,
                         route, arp, ps, w, who, last, lastlog, getent, lscpu, lsblk, lsmod,
                         mount, df, env, printenv, groups, sudo, crontab, systemctl, iptables,
                         nft, capsh, getcap, dmesg, uptime, lsb_release, nproc)]],
function(e)
	local name = e["proc.name"]
	-- sudo -l and crontab -l are the discovery forms; sudo CMD is not
	if (name == "sudo" or name == "crontab") and not (e["proc.args"] or ""):find("%-l") then return end
	local lin = d.lineage(e.pid)
	local spawner = d.proc(lin and lin.ppid or e["proc.ppid"] or 0)
	if not spawner then return end
	local w = spawner.state.recon
	if not w then
		w = d.window(SECONDS, 64)
		spawner.state.recon = w
	end
	w:add(name)
	local seen, n = {}, 0
	for _, v in ipairs(w:values()) do
		if not seen[v] then seen[v] = true; n = n + 1 end
	end
	if n < DISTINCT or spawner.state.recon_alerted then return end
	spawner.state.recon_alerted = true
	local list = {}
	for v in pairs(seen) do list[#list + 1] = v end
	table.sort(list)
	local programs = table.concat(list, ",")
	d.alert {
		rule = "Discovery commands in a burst",
		priority = "warning",
		output = n .. " different discovery programs started within " .. SECONDS .. " s by one process"
			.. " (programs=" .. d.quote(programs) .. " spawner=%proc.pname spawner_pid=%proc.ppid"
			.. " last=%proc.cmdline user=%user.name session=%proc.sid container=%container.id)",
		tags = { "discovery", "mitre_discovery", "T1082", "T1033", "T1016" },
		fields = { programs = programs, count = n },
	}
end)
