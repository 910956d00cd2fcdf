-- lanner.meta: the metadata store behind container.*, ecs.* and k8s.*,
-- against a stand-in for the ECS task metadata endpoint v4 on 127.0.0.1
-- (the outputs specs' receiver in files: mode, serving the documented JSON
-- shape from spec/fixtures/meta/)
-- and a fake downward-API directory: read at start, refreshed on a timer
-- and never per event, bounded when the endpoint hangs.
local meta = require "lanner.meta"
local fields = require "lanner.fields"
local sys = require "lanner.outputs.sys"
local H = dofile("spec/fixtures/outputs/helper.lua")
local F = dofile("spec/fields_helper.lua")

local WEB_ID = "5d2e8a0f4c7b41a3a6f0e9d81c2b7a4f5e6d7c8b9a0f1e2d3c4b5a6978877665"
local SIDE_ID = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"

-- The stand-in, serving copies of the fixtures from dir ("ok") or hung
-- ("stall"); { base, requests() -> paths asked, stop() }.
local function ecs_server(dir, mode)
	os.execute(("cp spec/fixtures/meta/container.json spec/fixtures/meta/task.json %s/"):format(H.q(dir)))
	local s = H.http_server(dir, mode == "ok" and "files:" .. dir or mode)
	return {
		base = s.url:gsub("/falco$", "/v4/7e6d5c4b"),
		requests = function()
			local out = {}
			for i, r in ipairs(s.records()) do out[i] = r.path end
			return out
		end,
		stop = s.stop,
	}
end

-- Each test gets a fresh dir; a server it started is stopped after it.
local ctx = {}
local function per_test()
	before_each(function() ctx.dir = H.tmpdir() end)
	after_each(function()
		if ctx.server then ctx.server.stop() end
		ctx.server = nil
		fields.set_metadata(nil)
		F.reset()
		H.rmdir(ctx.dir)
	end)
end

local function quiet_store(cfg)
	local warnings = {}
	local store = meta.new(cfg, { warn = function(m) warnings[#warnings + 1] = m end, getenv = function() return nil end })
	return store, warnings
end

describe("metadata store", function()
	if not H.PYTHON then
		pending("needs python3 (the endpoint stand-in)")
		return
	end
	per_test()

	it("reads the endpoint and /task under it once at start", function()
		ctx.server = ecs_server(ctx.dir, "ok")
		local store, warnings = quiet_store({ ecs_endpoint = ctx.server.base .. "/", k8s = false })
		store:start()
		assert.same({}, warnings)
		-- the two go out together: in either order
		local asked = ctx.server.requests()
		table.sort(asked)
		assert.same({ "/v4/7e6d5c4b", "/v4/7e6d5c4b/task" }, asked)
		assert.equal("web", store:container("host").name)
		assert.equal("web", store:container(WEB_ID).name)
		assert.equal("sidekick", store:container(SIDE_ID).name)
		-- a container id the task does not hold is no ECS container
		assert.is_nil(store:container(string.rep("ab", 32)))
		assert.equal("shop", store.ecs.task.family)
		store:close()
	end)

	it("fills container.*, ecs.* and k8s.* for an event's process", function()
		ctx.server = ecs_server(ctx.dir, "ok")
		H.write(ctx.dir .. "/labels", 'app="shop-web"\nteam="payments"\n')
		H.write(ctx.dir .. "/name", "shop-web-1")
		local store = quiet_store({ ecs_endpoint = ctx.server.base, k8s_podinfo_dir = ctx.dir,
			k8s_namespace_file = ctx.dir .. "/ns" })
		H.write(ctx.dir .. "/ns", "shop")
		fields.set_metadata(store:start())
		local function ev(cid)
			return F.event { type = "read", res = 0, thread = F.thread { proc = F.proc { container_id = cid } } }
		end
		local here, side = ev("host"), ev(SIDE_ID)
		assert.equal("5d2e8a0f4c7b", F.get(here, "container.id"))
		assert.equal(WEB_ID, F.get(here, "container.full_id"))
		assert.equal("web", F.get(here, "container.name"))
		assert.equal("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.3.1", F.get(here, "container.image"))
		assert.equal("2.3.1", F.get(here, "container.image.tag"))
		assert.equal("payments", F.get(here, "container.label[team]"))
		assert.matches("^com%.amazonaws%.ecs%.cluster:arn:.*,team:payments$", F.get(here, "container.labels"))
		assert.equal("c0ffee00c0ff", F.get(side, "container.id"))
		assert.equal("sidekick", F.get(side, "container.name"))
		assert.equal("falcosecurity/falcosidekick", F.get(side, "container.image.repository"))
		assert.is_nil(F.get(side, "container.image.tag"))
		assert.equal("role:alerts", F.get(side, "container.labels"))
		for name, want in pairs {
			["ecs.task.arn"] = "arn:aws:ecs:eu-west-1:123456789012:task/prod/3f9c1e0b7a6d4c2e8b5a9d0c1e2f3a4b",
			["ecs.task.id"] = "3f9c1e0b7a6d4c2e8b5a9d0c1e2f3a4b", ["ecs.task.family"] = "shop",
			["ecs.task.revision"] = "7", ["ecs.cluster"] = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
			["ecs.availability_zone"] = "eu-west-1b", ["ecs.launch_type"] = "FARGATE",
			["k8s.pod.name"] = "shop-web-1", ["k8s.ns.name"] = "shop", ["k8s.pod.label[app]"] = "shop-web",
			["k8s.pod.labels"] = "app:shop-web,team:payments",
		} do
			assert.equal(want, F.get(here, name), name)
		end
		assert.is_nil(F.get(here, "ecs.service"))
		assert.matches("/7e6d5c4b%-3a29%-4817%-9f6e%-5d4c3b2a1908$", F.get(here, "ecs.container.arn"))
		store:close()
	end)

	it("refreshes on its timer, and keeps the last answer when a refresh fails", function()
		ctx.server = ecs_server(ctx.dir, "ok")
		local store, warnings = quiet_store({ ecs_endpoint = ctx.server.base, refresh_interval = 0.2, k8s = false })
		store:start()
		assert.equal(2, #ctx.server.requests())
		-- nothing is due yet: tick does not ask
		store:tick()
		assert.equal(2, #ctx.server.requests())
		local doc = H.read(ctx.dir .. "/container.json"):gsub('"Name": "web"', '"Name": "web-v2"', 1)
		H.write(ctx.dir .. "/container.json", doc)
		assert.is_true(H.wait_for(function()
			store:tick()
			return store:container("host").name == "web-v2"
		end, 5))
		assert.equal(4, #ctx.server.requests())
		-- the endpoint goes away: names stay, one warning says why
		ctx.server.stop()
		ctx.server = nil
		assert.is_true(H.wait_for(function()
			store:tick()
			return #warnings > 0
		end, 5))
		assert.matches("^ECS task metadata: GET http://127%.0%.0%.1:%d+/v4/7e6d5c4b: ", warnings[1])
		assert.equal("web-v2", store:container("host").name)
		store:close()
	end)

	it("waits at most its time-out for a hung endpoint at start, and never while refreshing", function()
		ctx.server = ecs_server(ctx.dir, "stall")
		local store, warnings = quiet_store({ ecs_endpoint = ctx.server.base, refresh_interval = 0.05,
			timeout_ms = 300, k8s = false })
		local t0 = sys.now()
		store:start()
		local took = sys.now() - t0
		assert.is_true(took >= 0.25 and took < 1.5, "start took " .. took)
		assert.equal(1, #warnings)
		assert.matches("timed out", warnings[1])
		assert.is_nil(store.ecs)
		-- refreshes in flight: every tick returns at once
		local deadline = sys.now() + 1
		local slowest = 0
		while sys.now() < deadline do
			local t = sys.now()
			store:tick()
			slowest = math.max(slowest, sys.now() - t)
			assert.is_true(store:wake_ms() <= 1000)
			sys.sleep_ms(10)
		end
		assert.is_true(slowest < 0.05, "a tick took " .. slowest)
		store:close()
	end)

	it("sets no timer where there is nothing to refresh", function()
		local store = quiet_store({ k8s_podinfo_dir = ctx.dir .. "/none", k8s_namespace_file = ctx.dir .. "/none" })
		store:start()
		assert.is_nil(store:wake_ms())
		assert.is_nil(store.ecs)
		assert.is_nil(store.k8s)
	end)
end)

describe("metadata in lanner", function()
	if not (H.PYTHON and H.ready()) then
		pending("needs python3 and build/lanner")
		return
	end
	per_test()

	it("prints and filters on container.* and ecs.* with ECS_CONTAINER_METADATA_URI_V4 set, asking once", function()
		ctx.server = ecs_server(ctx.dir, "ok")
		local files = {}
		for i = 1, 40 do files[i] = "/etc/hostname" end
		local rc, out, err = H.sh(("ECS_CONTAINER_METADATA_URI_V4=%s %s -p '%%container.id %%container.name "
			.. "%%container.image.repository %%ecs.task.family:%%ecs.task.revision %%ecs.availability_zone' "
			.. "'evt.type=openat and container.name=web and fd.name=/etc/hostname' -- %s")
			:format(ctx.server.base, H.LANNER, H.workload(files)))
		assert.equal(0, rc, err)
		local lines = {}
		for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
		assert.equal(40, #lines)
		assert.equal("5d2e8a0f4c7b web 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web shop:7 eu-west-1b", lines[1])
		-- 40 opens and more events, one start-up read
		assert.equal(2, #ctx.server.requests())
	end)

	it("fills k8s.* from the paths -o metadata.* names", function()
		H.write(ctx.dir .. "/name", "api-0")
		H.write(ctx.dir .. "/labels", 'app="api"\n')
		H.write(ctx.dir .. "/sa-ns", "backend")
		local rc, out, err = H.sh(("env -u ECS_CONTAINER_METADATA_URI_V4 %s -o metadata.k8s_podinfo_dir=%s "
			.. "-o metadata.k8s_namespace_file=%s/sa-ns -p '%%k8s.ns.name/%%k8s.pod.name %%k8s.pod.label[app]' "
			.. "'evt.type=openat and fd.name=/etc/hostname' -- cat /etc/hostname"):format(H.LANNER, ctx.dir, ctx.dir))
		assert.equal(0, rc, err)
		assert.equal("backend/api-0 api", (out:match("[^\n]*backend[^\n]*")))
	end)

	it("asks the endpoint directly whatever http_proxy says", function()
		ctx.server = ecs_server(ctx.dir, "ok")
		local rc, out, err = H.sh(("http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 "
			.. "ECS_CONTAINER_METADATA_URI_V4=%s %s -p '%%container.name' 'evt.type=openat and fd.name=/etc/hostname' "
			.. "-- cat /etc/hostname"):format(ctx.server.base, H.LANNER))
		assert.equal(0, rc, err)
		assert.equal("", err)
		assert.matches("web", out)
	end)

	it("goes on tracing, with a warning, when the endpoint does not answer", function()
		ctx.server = ecs_server(ctx.dir, "stall")
		local rc, out, err, took = H.sh(("ECS_CONTAINER_METADATA_URI_V4=%s %s -o metadata.timeout_ms=300 "
			.. "-p '%%proc.name %%container.id' 'evt.type=openat and fd.name=/etc/hostname' -- cat /etc/hostname")
			:format(ctx.server.base, H.LANNER))
		assert.equal(0, rc, err)
		assert.matches("lanner: warning: ECS task metadata: GET http://127%.0%.0%.1:%d+/v4/7e6d5c4b: [^\n]*timed out", err)
		assert.matches("cat host", out)
		assert.is_true(took < 3, "took " .. took)
	end)

	it("lists the ecs.* fields and no longer calls the filled container.* fields unsupported", function()
		local rc, out = H.lanner("-l ecs")
		assert.equal(0, rc)
		for _, n in ipairs { "ecs.task.arn", "ecs.task.family", "ecs.task.revision", "ecs.cluster",
			"ecs.availability_zone", "ecs.container.arn" } do
			assert.matches("\n?" .. n:gsub("%.", "%%.") .. "%s+CHARBUF", out, nil, n)
		end
		rc, out = H.lanner("-l container.image")
		assert.equal(0, rc)
		assert.not_matches("container%.image%.tag[^\n]*not supported", out)
		assert.matches("container%.image%.id[^\n]*not supported", out)
	end)
end)
