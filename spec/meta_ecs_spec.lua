-- lanner.meta.ecs: the task metadata endpoint v4's documents (the shape
-- AWS documents, in spec/fixtures/meta/) turned into the records behind
-- container.* and ecs.*.
local ecs = require "lanner.meta.ecs"

local function read(name)
	local f = assert(io.open("spec/fixtures/meta/" .. name, "rb"))
	local s = f:read("*a")
	f:close()
	return s
end

local WEB_ID = "5d2e8a0f4c7b41a3a6f0e9d81c2b7a4f5e6d7c8b9a0f1e2d3c4b5a6978877665"
local SIDE_ID = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"

describe("ECS task metadata", function()
	it("splits image references into repository, tag and digest", function()
		local cases = {
			{ "nginx", "nginx", nil, nil },
			{ "nginx:1.25", "nginx", "1.25", nil },
			{ "registry.local:5000/team/app", "registry.local:5000/team/app", nil, nil },
			{ "registry.local:5000/team/app:v2", "registry.local:5000/team/app", "v2", nil },
			{ "app@sha256:abc", "app", nil, "sha256:abc" },
			{ "r.io/app:1@sha256:abc", "r.io/app", "1", "sha256:abc" },
		}
		for _, c in ipairs(cases) do
			local repo, tag, digest = ecs.split_image(c[1])
			assert.same({ c[2], c[3], c[4] }, { repo, tag, digest }, c[1])
		end
		assert.is_nil(ecs.split_image(""))
		assert.is_nil(ecs.split_image(nil))
	end)

	it("reads the container document and the task document together", function()
		local info = assert(ecs.parse(read("container.json"), read("task.json")))
		local me = info.self
		assert.equal(WEB_ID, me.id)
		assert.equal("web", me.name)
		assert.equal("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.3.1", me.image)
		assert.equal("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web", me.repository)
		assert.equal("2.3.1", me.tag)
		-- ImageID is the manifest digest
		assert.equal("sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", me.digest)
		assert.equal("payments", me.labels.team)
		assert.equal("shop", me.labels["com.amazonaws.ecs.task-definition-family"])
		assert.matches("^arn:aws:ecs:eu%-west%-1:123456789012:container/prod/", me.arn)
		local t = info.task
		assert.equal("arn:aws:ecs:eu-west-1:123456789012:task/prod/3f9c1e0b7a6d4c2e8b5a9d0c1e2f3a4b", t.arn)
		assert.equal("3f9c1e0b7a6d4c2e8b5a9d0c1e2f3a4b", t.id)
		assert.equal("arn:aws:ecs:eu-west-1:123456789012:cluster/prod", t.cluster)
		assert.same({ "shop", "7", "eu-west-1b", "FARGATE" }, { t.family, t.revision, t.availability_zone, t.launch_type })
		assert.is_nil(t.service)
		-- every container of the task, by its id
		assert.equal(info.self, info.by_id[WEB_ID])
		local side = info.by_id[SIDE_ID]
		assert.equal("sidekick", side.name)
		assert.equal("falcosecurity/falcosidekick", side.repository)
		assert.is_nil(side.tag)
		assert.equal("sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0", side.digest)
		assert.equal("alerts", side.labels.role)
	end)

	it("keeps what one document tells when the other request failed", function()
		local only_task = assert(ecs.parse(nil, read("task.json")))
		assert.is_nil(only_task.self)
		assert.equal("shop", only_task.task.family)
		assert.equal("web", only_task.by_id[WEB_ID].name)
		local only_self = assert(ecs.parse(read("container.json"), nil))
		assert.is_nil(only_self.task)
		assert.equal("web", only_self.self.name)
	end)

	it("says why a document is unusable", function()
		local v, err = ecs.parse("<html>502</html>", nil)
		assert.is_nil(v)
		assert.matches("^container metadata: json: unexpected '<' at 1", err)
		v, err = ecs.parse(nil, "[1, 2]")
		assert.is_nil(v)
		assert.equal("task metadata: expected a JSON object", err)
		v, err = ecs.parse('{"Name": "x"}', nil)
		assert.is_nil(v)
		assert.equal("container metadata: no DockerId", err)
		v, err = ecs.parse(nil, nil)
		assert.is_nil(v)
		assert.equal("no metadata", err)
	end)

	it("takes numbers where the agent sends strings, and ignores values of other types", function()
		local t = ecs.task({ TaskARN = "arn:x:task/c/1", Revision = 12, Family = { "bad" },
			Containers = { { DockerId = "d1", Labels = { a = "b", n = 3, bad = {} } }, { Name = "no id" } } })
		assert.equal("12", t.revision)
		assert.is_nil(t.family)
		assert.equal(1, #t.containers)
		assert.same({ a = "b", n = "3" }, t.containers[1].labels)
	end)
end)
