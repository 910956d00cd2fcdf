-- container.* and k8s.*: lanner knows a process's container id (from its
-- cgroup) and nothing a container runtime or the Kubernetes API would tell.
-- The rest is listed so that Falco rules naming these fields load, and
-- evaluates as missing (<NA> in outputs).
local cm = require "lanner.fields.common"

local ffi = cm.ffi
require("lanner.base").declare("size_t strlen(const char *s);")
local strlen = ffi.C.strlen

local function cid(ev)
	local p = cm.proc(ev)
	if p == nil or p.container_id == nil then return nil end
	return ffi.string(p.container_id)
end

local short_id = cm.memo(function(id) return #id > 12 and id:sub(1, 12) or id end, 256)

local NO_RUNTIME = "no container runtime metadata"
local NO_K8S = "no Kubernetes metadata"

local fields = {
	{ name = "container.id", type = "string",
		desc = "The truncated container ID (first 12 characters), 'host' for processes not in a container.",
		get = function(ev)
			local id = cid(ev)
			if id == nil then return nil end
			return short_id(id)
		end,
		-- in place: the id's first 12 bytes
		cview = function(ev)
			local p = cm.proc(ev)
			if p == nil or p.container_id == nil then return nil end
			local n = tonumber(strlen(p.container_id))
			return p.container_id, n > 12 and 12 or n
		end },
	{ name = "container.full_id", type = "string",
		desc = "The full container ID, 'host' for processes not in a container.", get = cid },
	{ name = "container.name", type = "string",
		desc = "The container name: 'host' for processes not in a container; missing in containers (no runtime metadata).",
		get = function(ev)
			local id = cid(ev)
			if id == "host" then return "host" end
			return nil
		end },
}

local function unsupported(name, ftype, why, desc, arg)
	fields[#fields + 1] = { name = name, type = ftype, desc = desc, unsupported = why, arg = arg }
end

local bracket = { kind = "string", bracket = true, required = true }
unsupported("container.image", "string", NO_RUNTIME, "The container image name (e.g. falcosecurity/falco:latest).")
unsupported("container.image.id", "string", NO_RUNTIME, "The container image id.")
unsupported("container.image.repository", "string", NO_RUNTIME, "The container image repository (e.g. falcosecurity/falco).")
unsupported("container.image.tag", "string", NO_RUNTIME, "The container image tag (e.g. stable, latest).")
unsupported("container.image.digest", "string", NO_RUNTIME, "The container image registry digest.")
unsupported("container.type", "string", NO_RUNTIME, "The container type, e.g. docker, cri-o, containerd.")
unsupported("container.privileged", "bool", NO_RUNTIME, "'true' for containers running as privileged.")
unsupported("container.mounts", "string", NO_RUNTIME, "A space-separated list of mount information.")
unsupported("container.mount", "string", NO_RUNTIME, "Information about a single mount, by number or source path.", bracket)
unsupported("container.mount.source", "string", NO_RUNTIME, "The mount source, by number or destination path.", bracket)
unsupported("container.mount.dest", "string", NO_RUNTIME, "The mount destination, by number or source path.", bracket)
unsupported("container.mount.mode", "string", NO_RUNTIME, "The mount mode, by number or source path.", bracket)
unsupported("container.mount.rdwr", "string", NO_RUNTIME, "The mount rdwr value, by number or source path.", bracket)
unsupported("container.mount.propagation", "string", NO_RUNTIME, "The mount propagation value, by number or source path.", bracket)
unsupported("container.image.labels", "string", NO_RUNTIME, "The container image labels.")
unsupported("container.label", "string", NO_RUNTIME, "A container label, e.g. container.label[foo].", bracket)
unsupported("container.labels", "string", NO_RUNTIME, "The container labels.")
unsupported("container.healthcheck", "string", NO_RUNTIME, "The container's health check.")
unsupported("container.liveness_probe", "string", NO_RUNTIME, "The container's liveness probe.")
unsupported("container.readiness_probe", "string", NO_RUNTIME, "The container's readiness probe.")
unsupported("container.start_ts", "abstime", NO_RUNTIME, "Container start as epoch timestamp in nanoseconds.")
unsupported("container.duration", "reltime", NO_RUNTIME, "Number of nanoseconds since the container started.")
unsupported("container.ip", "string", NO_RUNTIME, "The container's primary ip address.")
unsupported("container.cni.json", "string", NO_RUNTIME, "The container's CNI result field.")
unsupported("container.host_pid", "bool", NO_RUNTIME, "'true' if the container is running in the host PID namespace.")
unsupported("container.host_network", "bool", NO_RUNTIME, "'true' if the container is running in the host network namespace.")
unsupported("container.host_ipc", "bool", NO_RUNTIME, "'true' if the container is running in the host IPC namespace.")
unsupported("container.info", "string", NO_RUNTIME, "Container details that Falco fills in for -pc/-pk.")
for _, n in ipairs { "k8s.ns.name", "k8s.ns.id", "k8s.ns.labels", "k8s.pod.name", "k8s.pod.id",
	"k8s.pod.uid", "k8s.pod.labels", "k8s.pod.ip", "k8s.pod.cni.json", "k8s.pod.sandbox_id",
	"k8s.pod.full_sandbox_id", "k8s.rc.name", "k8s.rs.name", "k8s.svc.name",
	"k8s.deployment.name" } do
	unsupported(n, "string", NO_K8S, "Kubernetes metadata (" .. n .. ").")
end
unsupported("k8s.pod.label", "string", NO_K8S, "A Kubernetes pod label, e.g. k8s.pod.label[foo].", bracket)
unsupported("k8s.ns.label", "string", NO_K8S, "A Kubernetes namespace label, e.g. k8s.ns.label[foo].", bracket)

return fields
