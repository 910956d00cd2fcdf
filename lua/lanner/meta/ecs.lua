-- Amazon ECS (and Fargate) task metadata endpoint, version 4: what the
-- agent serves at $ECS_CONTAINER_METADATA_URI_V4 (the container lanner
-- runs in) and at $ECS_CONTAINER_METADATA_URI_V4/task (the task and all
-- its containers), turned into plain records.  Parsing only: meta.lua
-- fetches and refreshes.
--
--   ecs.container(doc) -> record        (a container object of either doc)
--   ecs.task(doc)      -> task record   (doc: the /task document)
--   ecs.parse(container_text, task_text) -> { self =, task =, by_id = } | nil, message
--   ecs.split_image(ref) -> repository, tag, digest
--
-- A container record: id (DockerId), name (the task definition's container
-- name), docker_name, image, repository, tag, digest, labels ({k = v}),
-- arn.  A task record: arn, id (the ARN's last part), cluster, family,
-- revision, availability_zone, launch_type, service, containers (records).
local json = require "lanner.json"

local M = {}

local function str(v)
	if type(v) == "string" then return v end
	if type(v) == "number" then return json.number(v) end
	return nil
end

-- "registry:5000/team/app:1.4@sha256:ab…" -> "registry:5000/team/app",
-- "1.4", "sha256:ab…".  The tag is the part after the last ':' of the last
-- path element only: a registry's port is not a tag.
function M.split_image(ref)
	if type(ref) ~= "string" or ref == "" then return nil end
	local name, digest = ref:match("^([^@]*)@(.+)$")
	name = name or ref
	local last = name:match("[^/]*$")
	local repo, tag = name, nil
	local t = last:match(":([^:]*)$")
	if t then
		tag = t
		repo = name:sub(1, #name - #t - 1)
	end
	return repo, tag, digest
end

function M.container(doc)
	if type(doc) ~= "table" then return nil end
	local image = str(doc.Image)
	local repo, tag, digest = M.split_image(image)
	-- ImageID is the manifest's digest (what `image@sha256:…` pulls), which
	-- is what Falco's container.image.digest means; a digest in the image
	-- reference itself says the same.
	local image_id = str(doc.ImageID)
	if not digest and image_id and image_id:match("^sha256:") then digest = image_id end
	local labels = {}
	if type(doc.Labels) == "table" then
		for k, v in pairs(doc.Labels) do
			if type(k) == "string" and str(v) then labels[k] = str(v) end
		end
	end
	return {
		id = str(doc.DockerId), name = str(doc.Name), docker_name = str(doc.DockerName),
		image = image, repository = repo, tag = tag, digest = digest, labels = labels,
		arn = str(doc.ContainerARN),
	}
end

function M.task(doc)
	if type(doc) ~= "table" then return nil end
	local arn = str(doc.TaskARN)
	local t = {
		arn = arn, id = arn and arn:match("[^/]+$"), cluster = str(doc.Cluster),
		family = str(doc.Family), revision = str(doc.Revision),
		availability_zone = str(doc.AvailabilityZone), launch_type = str(doc.LaunchType),
		service = str(doc.ServiceName), containers = {},
	}
	if type(doc.Containers) == "table" then
		for _, c in ipairs(doc.Containers) do
			local rec = M.container(c)
			if rec and rec.id then t.containers[#t.containers + 1] = rec end
		end
	end
	return t
end

local function decode(text, what)
	local doc, err = json.decode(text)
	if doc == nil then return nil, what .. ": " .. err end
	if type(doc) ~= "table" or doc[1] ~= nil then return nil, what .. ": expected a JSON object" end
	return doc
end

-- Either text may be nil (that request failed): whatever the other one
-- tells is kept.  The /task document's entry for lanner's own container
-- fills what the container document lacks.
function M.parse(container_text, task_text)
	local info = { by_id = {} }
	if task_text then
		local doc, err = decode(task_text, "task metadata")
		if not doc then return nil, err end
		info.task = M.task(doc)
		for _, c in ipairs(info.task.containers) do info.by_id[c.id] = c end
	end
	if container_text then
		local doc, err = decode(container_text, "container metadata")
		if not doc then return nil, err end
		local rec = M.container(doc)
		if not rec.id then return nil, "container metadata: no DockerId" end
		info.self = rec
		info.by_id[rec.id] = rec
	end
	if not info.self and not info.task then return nil, "no metadata" end
	return info
end

return M
