-- container.* and k8s.*: the container id comes from the process's cgroup
-- (the core reads it at exec); names, images and labels from the metadata
-- lanner.meta gathers (the ECS task metadata endpoint), the pod's from the
-- downward API; the CLI hands the store over (fields.set_metadata).  Neither is read per event: the getters look up tables
-- that a refresh on a timer replaces.  Fields with no source here are
-- listed so that Falco rules naming them load, and evaluate as missing
-- (<NA> in outputs).
local bit = require "bit"
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

-- The metadata record of the event's container, or nil.
local function record(ev)
	local store = cm.state.meta
	if store == nil or store.ecs == nil then return nil end
	return store:container(cid(ev))
end

local function from_record(key)
	return function(ev)
		local r = record(ev)
		return r and r[key]
	end
end

-- Falco's form of a label list: "k1:v1,k2:v2", keys sorted.  Made once per
-- record (a refresh makes new records).
local function joined(labels, holder)
	if holder.joined_labels == nil then
		local keys = {}
		for k in pairs(labels) do keys[#keys + 1] = k end
		table.sort(keys)
		for i, k in ipairs(keys) do keys[i] = k .. ":" .. labels[k] end
		holder.joined_labels = table.concat(keys, ",")
	end
	return holder.joined_labels
end

local function pod()
	local store = cm.state.meta
	return store and store.k8s
end

local band, rshift = bit.band, bit.rshift
local CT_SHIFT = tonumber(cm.C.LN_PROC_CT_SHIFT)
local CT_BITS = rshift(tonumber(cm.C.LN_PROC_CT_MASK), CT_SHIFT)
-- enum ln_container_runtime -> Falco's container.type names
local RUNTIME = {
	[tonumber(cm.C.LN_CT_DOCKER)] = "docker", [tonumber(cm.C.LN_CT_CONTAINERD)] = "containerd",
	[tonumber(cm.C.LN_CT_CRIO)] = "cri-o", [tonumber(cm.C.LN_CT_PODMAN)] = "podman",
	[tonumber(cm.C.LN_CT_CRI)] = "cri",
}

local NO_RUNTIME = "no container runtime metadata"
local NO_K8S = "no Kubernetes API"

local fields = {
	{ name = "container.id", type = "string",
		desc = "The truncated container ID (first 12 characters), 'host' for processes not in a container.",
		get = function(ev)
			local r = record(ev)
			if r then return short_id(r.id) end
			local id = cid(ev)
			if id == nil then return nil end
			return short_id(id)
		end,
		-- in place: the id's first 12 bytes (nil: get() decides, as it must
		-- when metadata may name the container)
		cview = function(ev)
			local store = cm.state.meta
			if store and store.ecs then return nil end
			local p = cm.proc(ev)
			if p == nil or p.container_id == nil then return nil end
			local n = tonumber(strlen(p.container_id))
			return p.container_id, n > 12 and 12 or n
		end },
	{ name = "container.full_id", type = "string",
		desc = "The full container ID, 'host' for processes not in a container.",
		get = function(ev)
			local r = record(ev)
			if r then return r.id end
			return cid(ev)
		end },
	{ name = "container.name", type = "string",
		desc = "The container name (ECS: the task definition's container name); 'host' for processes not in a container.",
		get = function(ev)
			local r = record(ev)
			if r then return r.name end
			local id = cid(ev)
			if id == "host" then return "host" end
			return nil
		end },
	{ name = "container.type", type = "string",
		desc = "The container runtime its cgroup names: docker, containerd, cri-o, podman, or cri (Kubernetes' cgroupfs layout, containerd or cri-o); missing on the host.",
		get = function(ev)
			local p = cm.proc(ev)
			if p == nil then return nil end
			return RUNTIME[band(rshift(p.flags, CT_SHIFT), CT_BITS)]
		end },
	{ name = "container.image", type = "string",
		desc = "The container image name (e.g. falcosecurity/falco:latest).", get = from_record("image") },
	{ name = "container.image.repository", type = "string",
		desc = "The container image repository (e.g. falcosecurity/falco).", get = from_record("repository") },
	{ name = "container.image.tag", type = "string",
		desc = "The container image tag (e.g. stable, latest).", get = from_record("tag") },
	{ name = "container.image.digest", type = "string",
		desc = "The container image registry digest (e.g. sha256:d69169…).", get = from_record("digest") },
	{ name = "container.label", type = "string", arg = { kind = "string", bracket = true, required = true },
		desc = "A container label, e.g. container.label[com.amazonaws.ecs.cluster].",
		get = function(ev, key)
			local r = record(ev)
			return r and r.labels[key]
		end },
	{ name = "container.labels", type = "string",
		desc = "The container labels, comma-separated key:value pairs (e.g. 'foo1:bar1,foo2:bar2').",
		get = function(ev)
			local r = record(ev)
			return r and joined(r.labels, r)
		end },
	{ name = "ecs.container.arn", type = "string",
		desc = "The ARN of the ECS container the process runs in (ContainerARN).", get = from_record("arn") },
	{ name = "k8s.pod.name", type = "string", desc = "The Kubernetes pod name (downward API).",
		get = function() local p = pod() return p and p.name end },
	{ name = "k8s.ns.name", type = "string",
		desc = "The Kubernetes namespace name (downward API, or the service account's namespace file).",
		get = function() local p = pod() return p and p.namespace end },
	{ name = "k8s.pod.uid", type = "string", desc = "The Kubernetes pod UID (downward API).",
		get = function() local p = pod() return p and p.uid end },
	{ name = "k8s.pod.id", type = "string", desc = "The Kubernetes pod UID (Falco's older name).",
		get = function() local p = pod() return p and p.uid end },
	{ name = "k8s.pod.label", type = "string", arg = { kind = "string", bracket = true, required = true },
		desc = "A Kubernetes pod label, e.g. k8s.pod.label[app] (downward API labels file).",
		get = function(_, key) local p = pod() return p and p.labels[key] end },
	{ name = "k8s.pod.labels", type = "string",
		desc = "The Kubernetes pod labels, comma-separated key:value pairs (e.g. 'foo1:bar1,foo2:bar2').",
		get = function()
			local p = pod()
			return p and next(p.labels) and joined(p.labels, p) or nil
		end },
}

local function unsupported(name, ftype, why, desc, arg)
	fields[#fields + 1] = { name = name, type = ftype, desc = desc, unsupported = why, arg = arg }
end

local bracket = { kind = "string", bracket = true, required = true }
unsupported("container.image.id", "string", NO_RUNTIME, "The container image id.")
unsupported("container.privileged", "bool", NO_RUNTIME, "'true' for containers running as privileged.")
unsupported("container.mounts", "string", NO_RUNTIME, "A space-separated list of mount information.")
unsupported("container.mount", "string", NO_RUNTIME, "Information about a single mount, by number or source path.", bracket)
unsupported("container.mount.source", "string", NO_RUNTIME, "The mount source, by number or destination path.", bracket)
unsupported("container.mount.dest", "string", NO_RUNTIME, "The mount destination, by number or source path.", bracket)
unsupported("container.mount.mode", "string", NO_RUNTIME, "The mount mode, by number or source path.", bracket)
unsupported("container.mount.rdwr", "string", NO_RUNTIME, "The mount rdwr value, by number or source path.", bracket)
unsupported("container.mount.propagation", "string", NO_RUNTIME, "The mount propagation value, by number or source path.", bracket)
unsupported("container.image.labels", "string", NO_RUNTIME, "The container image labels.")
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
for _, n in ipairs { "k8s.ns.id", "k8s.ns.labels", "k8s.pod.ip", "k8s.pod.cni.json", "k8s.pod.sandbox_id",
	"k8s.pod.full_sandbox_id", "k8s.rc.name", "k8s.rs.name", "k8s.svc.name",
	"k8s.deployment.name" } do
	unsupported(n, "string", NO_K8S, "Kubernetes metadata (" .. n .. ").")
end
unsupported("k8s.ns.label", "string", NO_K8S, "A Kubernetes namespace label, e.g. k8s.ns.label[foo].", bracket)

return fields
