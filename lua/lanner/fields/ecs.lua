-- ecs.*: lanner's own fields for the Amazon ECS task lanner runs in, from
-- the task metadata endpoint v4 (lanner.meta reads it at start and on a
-- timer).  Falco has no such fields; these are named after the endpoint's
-- keys (ecs.container.arn is with container.* in container.lua, since it
-- is per container).  Missing when lanner does not run in an ECS task (no
-- ECS_CONTAINER_METADATA_URI_V4) or the endpoint has not answered.
local cm = require "lanner.fields.common"

local function task_field(key)
	return function()
		local store = cm.state.meta
		local t = store and store.ecs and store.ecs.task
		return t and t[key]
	end
end

local fields = {}
for _, f in ipairs {
	{ "ecs.task.arn", "arn", "The ECS task's ARN (TaskARN)." },
	{ "ecs.task.id", "id", "The ECS task's id, the last part of its ARN." },
	{ "ecs.task.family", "family", "The task definition's family (Family)." },
	{ "ecs.task.revision", "revision", "The task definition's revision (Revision)." },
	{ "ecs.cluster", "cluster", "The ECS cluster, ARN or short name (Cluster)." },
	{ "ecs.availability_zone", "availability_zone", "The task's availability zone (AvailabilityZone)." },
	{ "ecs.launch_type", "launch_type", "The task's launch type, FARGATE or EC2 (LaunchType)." },
	{ "ecs.service", "service", "The ECS service the task belongs to (ServiceName; EC2 only)." },
} do
	fields[#fields + 1] = { name = f[1], type = "string", desc = f[3], get = task_field(f[2]) }
end

return fields
