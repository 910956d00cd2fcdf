-- Credential stores swept: the processes of one session read four or more
-- different kinds of stored credentials (registry tokens, package-index
-- passwords, SCM tokens, shell histories, cloud and database passwords,
-- keys, browser logins) within a minute.  Each tool reads its own store
-- now and then, and no rule alerts on that; a stealer (a poisoned package's
-- install hook, an infostealer in a container) reads them all at once.
-- A store read by its own tool (npm reading .npmrc) does not count.
--
--   lanner --script rules/detections/credential_burst.lua -- ./app
local d = require "lanner.detect"

local KINDS_TO_ALERT, SECONDS = 4, 60

-- kind, Lua pattern on the resolved name, the programs it belongs to
local STORES = {
	{ "ssh key", "/%.ssh/id_[%w_]+$", { ssh = 1, sshd = 1, ["ssh-add"] = 1, ["ssh-agent"] = 1, ["ssh-keygen"] = 1, scp = 1, sftp = 1 } },
	{ "aws", "/%.aws/credentials$", { aws = 1 } },
	{ "docker", "/%.docker/config%.json$", { docker = 1, podman = 1, buildah = 1, skopeo = 1, crane = 1 } },
	{ "kubernetes", "/%.kube/config$", { kubectl = 1, helm = 1, k9s = 1, kubelet = 1 } },
	{ "gcloud", "/%.config/gcloud/", { gcloud = 1, gsutil = 1 } },
	{ "git", "/%.git%-credentials$", { git = 1, ["git-credential-"] = 1 } },
	{ "netrc", "/%.netrc$", { curl = 1, wget = 1, ftp = 1, ["git-remote-http"] = 1 } },
	{ "npm", "/%.npmrc$", { npm = 1, node = 1, yarn = 1, pnpm = 1 } },
	{ "pypi", "/%.pypirc$", { twine = 1, pip = 1, pip3 = 1 } },
	{ "github cli", "/%.config/gh/hosts%.yml$", { gh = 1 } },
	{ "postgres", "/%.pgpass$", { psql = 1, pg_dump = 1 } },
	{ "mysql", "/%.my%.cnf$", { mysql = 1, mysqldump = 1, mariadb = 1 } },
	{ "vault", "/%.vault%-token$", { vault = 1 } },
	{ "s3", "/%.s3cfg$", { s3cmd = 1 } },
	{ "rclone", "/rclone%.conf$", { rclone = 1 } },
	{ "terraform", "/credentials%.tfrc%.json$", { terraform = 1 } },
	{ "gnupg", "/%.gnupg/private%-keys", { gpg = 1, ["gpg-agent"] = 1 } },
	{ "history", "/%.[%w_]*_history$", { bash = 1, zsh = 1, sh = 1, mysql = 1, psql = 1, python3 = 1 } },
	{ "browser", "/logins%.json$", { firefox = 1 } },
	{ "browser", "/key4%.db$", { firefox = 1 } },
	{ "browser", "/Login Data$", { chrome = 1, chromium = 1 } },
	{ "wallet", "/wallet%.dat$", {} },
}

local function kind_of(name)
	for _, s in ipairs(STORES) do
		if name:find(s[2]) then return s[1], s[3] end
	end
end

-- per session: the kinds read, each with its last time
local sessions = d.map(4096, SECONDS)

d.on([[evt.type in (open, openat, openat2) and evt.is_open_read = true and evt.rawres >= 0
       and fd.typechar = 'f'
       and (fd.filename in (credentials, config.json, config, .git-credentials, .netrc, .npmrc,
                            .pypirc, hosts.yml, .pgpass, .my.cnf, .vault-token, .s3cfg,
                            rclone.conf, credentials.tfrc.json, logins.json, key4.db,
                            "Login Data", wallet.dat)
            or fd.filename glob 'id_*' or fd.filename glob '.*_history'
            or fd.name contains '/.config/gcloud/' or fd.name contains '/.gnupg/private-keys')]],
function(e)
	local name = e["fd.name"]
	local kind, owners = kind_of(name)
	if not kind or owners[e["proc.name"]] or name:find("%.pub$") then return end
	local sid = e["proc.sid"] or e.pid
	local s = sessions:get(sid)
	if not s then
		s = { kinds = {}, n = 0 }
	end
	local now = e.time
	for k, t in pairs(s.kinds) do
		if now - t > SECONDS * 1e9 then s.kinds[k] = nil; s.n = s.n - 1 end
	end
	if not s.kinds[kind] then s.n = s.n + 1 end
	s.kinds[kind] = now
	sessions:set(sid, s)
	if s.n < KINDS_TO_ALERT or s.alerted then return end
	s.alerted = true
	local list = {}
	for k in pairs(s.kinds) do list[#list + 1] = k end
	table.sort(list)
	local kinds = table.concat(list, ",")
	d.alert {
		rule = "Credential stores swept",
		priority = "critical",
		output = s.n .. " kinds of stored credentials read within " .. SECONDS .. " s in one session (kinds="
			.. d.quote(kinds) .. " last=%fd.name process=%proc.name pid=%proc.pid command=%proc.cmdline"
			.. " session=%proc.sid user=%user.name container=%container.id)",
		tags = { "credential_access", "mitre_credential_access", "T1552.001", "T1555" },
		fields = { kinds = kinds, count = s.n },
	}
end)
