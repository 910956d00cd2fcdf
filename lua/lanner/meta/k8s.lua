-- Kubernetes pod metadata, from what a pod can offer itself without the
-- API server: the downward API (environment variables or a volume of
-- files) and the service account's namespace file.  See
-- doc/outputs-and-config.md for the pod spec that provides them.
--
--   k8s.read(opts) -> { name=, namespace=, uid=, labels = {k = v} } | nil
--   k8s.parse_labels(text) -> {k = v}   (the downward API's labels file)
--
-- opts: podinfo_dir (files name, namespace, uid, labels), namespace_file,
-- getenv (os.getenv; specs pass their own).  Sources, first found wins:
--   pod name      podinfo_dir/name, $POD_NAME
--   namespace     podinfo_dir/namespace, $POD_NAMESPACE, namespace_file
--   uid           podinfo_dir/uid, $POD_UID
--   labels        podinfo_dir/labels
local M = {}

M.PODINFO_DIR = "/etc/podinfo"
M.NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

local read_file = require("lanner.base").read_file

-- A file's text without surrounding blanks; nil if missing or empty.
local function read(path)
	local s = read_file(path)
	s = s and s:match("^%s*(.-)%s*$")
	if s == "" then return nil end
	return s
end

local GO_ESC = { n = "\n", t = "\t", r = "\r", ['"'] = '"', ["\\"] = "\\", a = "\a", b = "\b", f = "\f", v = "\v" }

-- The kubelet writes one `key="value"` a line, the value quoted as Go's
-- %q does (label values are [A-Za-z0-9_.-] in practice, but a value of
-- an annotation-like file may hold anything).
local function unquote(q)
	local inner = q:match('^"(.*)"$')
	if not inner then return q end
	return (inner:gsub("\\(x%x%x)", function(h) return string.char(tonumber(h:sub(2), 16)) end)
		:gsub("\\u(%x%x%x%x)", function(h)
			local cp = tonumber(h, 16)
			if cp < 0x80 then return string.char(cp) end
			if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64) end
			return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
		end)
		:gsub("\\(.)", function(c) return GO_ESC[c] or c end))
end

function M.parse_labels(text)
	local labels = {}
	for line in (text or ""):gmatch("[^\n]+") do
		local k, v = line:match("^%s*([^=%s][^=]*)=(.*)$")
		if k then labels[k:match("^(.-)%s*$")] = unquote(v:match("^(.-)%s*$")) end
	end
	return labels
end

function M.read(opts)
	opts = opts or {}
	local dir = opts.podinfo_dir or M.PODINFO_DIR
	local getenv = opts.getenv or os.getenv
	local function env(name)
		local v = getenv(name)
		if v == "" then return nil end
		return v
	end
	local pod = {
		name = read(dir .. "/name") or env("POD_NAME"),
		namespace = read(dir .. "/namespace") or env("POD_NAMESPACE")
			or read(opts.namespace_file or M.NAMESPACE_FILE),
		uid = read(dir .. "/uid") or env("POD_UID"),
	}
	local lf = io.open(dir .. "/labels", "rb")
	if lf then
		pod.labels = M.parse_labels(lf:read("*a"))
		lf:close()
	end
	if not (pod.name or pod.namespace or pod.uid or pod.labels) then return nil end
	pod.labels = pod.labels or {}
	return pod
end

return M
