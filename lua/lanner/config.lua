-- lanner's configuration file, with Falco's key names where Falco has them
-- (a falco.yaml's output settings work unchanged), and `-o key=value`
-- overrides.
--
--   config.apply(o)          -> true | nil, message   (fills the CLI options o)
--   config.load(path, opts)  -> cfg, nil, warnings | nil, message
--
-- Precedence, lowest first: the file (--config FILE, else
-- /etc/lanner/lanner.yaml when it exists), then -o in the order given, then
-- the dedicated command-line options (-R adds to rules_files, -m, -j,
-- --stats-interval).  Errors name where the value came from and the key:
--   lanner.yaml:12: http_output.url: expected a string
--   -o outputs.rate: expected a number, got 'fast'
-- String values may name environment variables, as in Falco: ${VAR} is
-- replaced by its value, $${VAR} stays ${VAR}.
local yaml = require "lanner.yaml"
local priority = require "lanner.priority"

local M = {}

M.default_path = "/etc/lanner/lanner.yaml"

-- Value kinds: bool, string, number (>= 0), count (integer >= 0),
-- priority, paths (one path or a list), or a list of allowed words.
local TOP = {
	rules_files = "paths", rules_file = "paths",
	priority = "priority",
	json_output = "bool", json_include_output_property = "bool",
	json_include_tags_property = "bool", buffered_outputs = "bool",
	rule_matching = { "first", "all" },
	output_timeout = "count",
	stats_interval = "number",
	ignore_broken_rules = "bool", -- lanner's own: start without rules files that are missing or broken
	allow_seccomp_listener = "bool", refuse_io_uring = "bool",
	-- prevention (doc/writing-a-rule.md): rules with an action refuse
	-- calls; filter_alerts false: filter verdicts refuse with no stop and
	-- no alert
	enforce = "bool",
	enforce_filter_alerts = "bool",
}

local SECTIONS = {
	stdout_output = { enabled = "bool" },
	file_output = { enabled = "bool", keep_alive = "bool", filename = "string" },
	syslog_output = { enabled = "bool", socket = "string", format = { "rfc3164", "rfc5424" }, ident = "string" },
	program_output = { enabled = "bool", keep_alive = "bool", program = "string" },
	http_output = {
		enabled = "bool", url = "string", user_agent = "string", insecure = "bool",
		ca_cert = "string", ca_bundle = "string", ca_path = "string",
		mtls = "bool", client_cert = "string", client_key = "string",
		compress_uploads = "bool", keep_alive = "bool", echo = "bool",
		max_retries = "count", max_inflight = "count",
	},
	outputs = { rate = "number", max_burst = "count" },
	outputs_queue = { capacity = "count", drain_timeout = "number" },
	-- Falco's web server keys; ssl_* and threadiness are checked below
	webserver = {
		enabled = "bool", listen_port = "count", listen_address = "string",
		k8s_healthz_endpoint = "string", prometheus_metrics_enabled = "bool",
		ssl_enabled = "bool", ssl_certificate = "string", threadiness = "count",
	},
	-- lanner's own: container, task and pod metadata (lanner.meta)
	metadata = {
		ecs = "bool", ecs_endpoint = "string", refresh_interval = "number", timeout_ms = "count",
		k8s = "bool", k8s_podinfo_dir = "string", k8s_namespace_file = "string",
	},
}

-- Falco settings that lanner has no use for: one warning lists them, so a
-- falco.yaml can be used as it is.
local FALCO_ONLY = {}
for k in ([[load_plugins plugins watch_config_files time_format_iso_8601
	json_include_message_property json_include_output_fields_property
	grpc grpc_output log_stderr log_syslog log_level libs_logger
	syscall_event_timeouts syscall_event_drops metrics syscall_buf_size_preset
	syscall_drop_failed_exit base_syscalls modern_bpf metadata_download engine
	falco_libs config_files append_output static_fields container_engines
	plugins_hostinfo capture]]):gmatch("%S+") do FALCO_ONLY[k] = true end

-- The keys that make up the outputs' configuration (lanner.outputs.new).
local OUTPUT_KEYS = { "json_include_output_property", "json_include_tags_property",
	"buffered_outputs", "output_timeout", "outputs", "outputs_queue", "stdout_output",
	"file_output", "syslog_output", "program_output", "http_output" }

local function expand_env(s)
	return (s:gsub("(%$?)%${([%w_]+)}", function(esc, name)
		if esc == "$" then return "${" .. name .. "}" end
		return os.getenv(name) or ""
	end))
end

-- Where a key's value came from: "file:line: key", or "-o key" for an
-- override.
local function at(ctx, node, key)
	if node and node.src then return "-o " .. key end
	return ("%s:%d: %s"):format(ctx.file, node and node.line or 0, key)
end

local function fail(ctx, node, key, msg)
	error({ msg = ("%s: %s"):format(at(ctx, node, key), msg) }, 0)
end

local function scalar_text(ctx, node, key, what)
	if node.kind ~= "scalar" then fail(ctx, node, key, "expected " .. what) end
	return expand_env(node.value)
end

-- Converts one node to the kind the schema names; nil when the YAML value
-- is null (the key counts as not set).
local function convert(ctx, node, key, kind)
	if yaml.is_null(node) then return nil end
	if type(kind) == "table" then
		local v = scalar_text(ctx, node, key, "one of " .. table.concat(kind, ", ")):lower()
		for _, w in ipairs(kind) do
			if v == w then return v end
		end
		fail(ctx, node, key, ("expected one of %s, got '%s'"):format(table.concat(kind, ", "), v))
	elseif kind == "bool" then
		local text = scalar_text(ctx, node, key, "true or false")
		local b = yaml.bool({ kind = "scalar", value = text })
		if b == nil then fail(ctx, node, key, ("expected true or false, got '%s'"):format(text)) end
		return b
	elseif kind == "string" then
		return scalar_text(ctx, node, key, "a string")
	elseif kind == "number" or kind == "count" then
		local text = scalar_text(ctx, node, key, "a number")
		local n = tonumber(text)
		if not n or n < 0 or n ~= n or (kind == "count" and n ~= math.floor(n)) then
			fail(ctx, node, key, ("expected %s, got '%s'"):format(
				kind == "count" and "a whole number >= 0" or "a number >= 0", text))
		end
		return n
	elseif kind == "priority" then
		local text = scalar_text(ctx, node, key, "a priority")
		local _, name = priority.parse(text)
		if not name then
			fail(ctx, node, key, ("expected a priority (%s), got '%s'"):format(priority.WORDS, text))
		end
		return name
	elseif kind == "paths" then
		local items = node.kind == "seq" and node.items or { node }
		local out = {}
		for _, item in ipairs(items) do
			local p = scalar_text(ctx, item, key, "a path or a list of paths")
			-- relative to the config file, so a config and its rules can
			-- move together; -o paths are relative to the current directory
			if not item.src and ctx.dir and p:sub(1, 1) ~= "/" then p = ctx.dir .. "/" .. p end
			out[#out + 1] = p
		end
		return out
	end
	error("config: bad schema kind " .. tostring(kind))
end

local function new_map(src)
	return { kind = "map", keys = {}, map = {}, keynode = {}, src = src, line = 0 }
end

local function mark(node, src)
	node.src = src
	for _, n in pairs(node.map or {}) do mark(n, src) end
	for _, n in ipairs(node.items or {}) do mark(n, src) end
end

-- Applies one `-o key=value` to the document's node tree.  A value that
-- starts with [ or { is YAML flow (`-o rules_files=[a.yaml,b.yaml]`);
-- anything else is taken as written (a shell command may hold ": ").
-- `key[]=value` appends to a list.
local function override(root, opt)
	local key, value = opt:match("^([^=]+)=(.*)$")
	if not key then return nil, ("-o needs key=value, got '%s'"):format(opt) end
	local append = key:sub(-2) == "[]"
	if append then key = key:sub(1, -3) end
	local src = "-o"
	local node
	if value:match("^%s*[%[{]") then
		local docs, err = yaml.parse_nodes(value, "-o " .. key)
		if not docs then return nil, err end
		node = docs[1]
	else
		node = { kind = "scalar", plain = true, value = value, style = "plain" }
	end
	mark(node, src)
	local path = {}
	for part in key:gmatch("[^.]+") do path[#path + 1] = part end
	if #path == 0 then return nil, ("-o needs a key, got '%s'"):format(opt) end
	local map = root
	for i = 1, #path - 1 do
		local child = map.map[path[i]]
		if not child or child.kind ~= "map" then
			child = new_map(src)
			if map.map[path[i]] == nil then map.keys[#map.keys + 1] = path[i] end
			map.map[path[i]], map.keynode[path[i]] = child, nil
		end
		map = child
	end
	local last = path[#path]
	local old = map.map[last]
	if append then
		if old and old.kind == "seq" then
			old.items[#old.items + 1] = node
			return true
		end
		local items = (old and not yaml.is_null(old)) and { old, node } or { node }
		node = { kind = "seq", items = items, src = src }
	end
	if old == nil then map.keys[#map.keys + 1] = last end
	map.map[last], map.keynode[last] = node, nil
	return true
end

-- A section's settings that must hang together.  A missing key is
-- reported at the section's name, a bad one at its value.
local function check_section(ctx, name, v, node, knode)
	local function need(key, ok, msg)
		if ok then return end
		local at_node = node.map and node.map[key] or knode or node
		fail(ctx, at_node, name .. "." .. key, msg)
	end
	if name == "metadata" then
		need("timeout_ms", v.timeout_ms == nil or v.timeout_ms > 0, "expected a whole number > 0")
		return
	end
	if not v.enabled then return end
	if name == "webserver" then
		need("listen_port", v.listen_port == nil or v.listen_port <= 65535, "expected a port number (0-65535)")
		local ep = v.k8s_healthz_endpoint
		need("k8s_healthz_endpoint", ep == nil or ep:match("^/[!-~]*$"), ("expected a path starting with /, got '%s'"):format(tostring(ep)))
		-- plain HTTP where TLS was asked for would be worse than no server
		need("ssl_enabled", not v.ssl_enabled, "TLS is not supported by lanner's web server; put a proxy in front")
		if v.threadiness then ctx.warn(at(ctx, node.map.threadiness, "webserver.threadiness") .. ": ignored (one thread serves)") end
	elseif name == "file_output" then
		need("filename", v.filename and v.filename ~= "", "required when file_output is enabled")
	elseif name == "program_output" then
		need("program", v.program and v.program ~= "", "required when program_output is enabled")
	elseif name == "http_output" then
		need("url", v.url and v.url ~= "", "required when http_output is enabled")
		need("url", v.url:match("^[hH][tT][tT][pP][sS]?://"), ("expected an http:// or https:// URL, got '%s'"):format(v.url))
		if v.echo then ctx.warn(at(ctx, node, "http_output.echo") .. ": not supported by lanner, ignored") end
	end
end

local function validate(ctx, root)
	local cfg, falco_only = {}, {}
	for _, k in ipairs(root.keys) do
		local node, knode = root.map[k], root.keynode[k]
		local section = SECTIONS[k]
		if section then
			local v = {}
			if not yaml.is_null(node) then
				if node.kind ~= "map" then fail(ctx, node, k, "expected a mapping") end
				for _, sk in ipairs(node.keys) do
					local sn, skn = node.map[sk], node.keynode[sk]
					if section[sk] then
						v[sk] = convert(ctx, sn, k .. "." .. sk, section[sk])
					else
						ctx.warn(at(ctx, skn or sn, k .. "." .. sk) .. ": unknown key, ignored")
					end
				end
			end
			check_section(ctx, k, v, node, knode)
			cfg[k] = v
		elseif TOP[k] then
			cfg[k] = convert(ctx, node, k, TOP[k])
		elseif FALCO_ONLY[k] then
			falco_only[#falco_only + 1] = knode and ("%s (line %d)"):format(k, knode.line) or k
		else
			ctx.warn(at(ctx, knode or node, k) .. ": unknown key, ignored")
		end
	end
	if #falco_only > 0 then
		ctx.warn(("%s: Falco settings lanner does not use, ignored: %s"):format(ctx.file, table.concat(falco_only, ", ")))
	end
	return cfg
end

-- load(path, opts) -> cfg, nil, warnings | nil, message
-- path: the file (nil: none, only overrides); opts.overrides: {"k=v", ...}.
function M.load(path, opts)
	opts = opts or {}
	local root = new_map(nil)
	local ctx = { file = path or "-o", warnings = {} }
	ctx.warn = function(msg) ctx.warnings[#ctx.warnings + 1] = msg end
	if path then
		local docs, err = yaml.parse_file(path)
		if not docs then return nil, "config: " .. tostring(err) end
		local doc = docs[1]
		if doc and not yaml.is_null(doc) then
			if doc.kind ~= "map" then
				return nil, ("%s:%d: expected a mapping of settings at the top"):format(path, doc.line)
			end
			root = doc
		end
		ctx.dir = path:match("^(.*)/[^/]*$") or "."
	end
	for _, opt in ipairs(opts.overrides or {}) do
		local ok, err = override(root, opt)
		if not ok then return nil, err end
	end
	local ok, res = pcall(validate, ctx, root)
	if not ok then
		if type(res) == "table" then return nil, res.msg end
		error(res, 0)
	end
	return res, nil, ctx.warnings
end

local function exists(path)
	local f = io.open(path)
	if f then f:close() end
	return f ~= nil
end

-- Fills the command-line options o from the configuration: o.rules (the
-- config's rules_files first, then -R's), o.min_priority, o.json,
-- o.rule_matching, o.stats_interval and o.output_config (what
-- lanner.outputs.new takes).  Options given on the command line win.
function M.apply(o)
	local path = o.config
	if not path and exists(M.default_path) then path = M.default_path end
	local cfg, err, warnings = M.load(path, { overrides = o.options })
	if not cfg then return nil, err end
	o.config_warnings = warnings
	if not o.quiet then
		for _, w in ipairs(warnings) do io.stderr:write("lanner: warning: ", w, "\n") end
	end
	local files = {}
	for _, k in ipairs { "rules_file", "rules_files" } do
		for _, f in ipairs(cfg[k] or {}) do files[#files + 1] = f end
	end
	for _, f in ipairs(o.rules or {}) do files[#files + 1] = f end
	o.rules = files
	if o.min_priority == nil then o.min_priority = cfg.priority end
	if not o.json and cfg.json_output ~= nil then o.json = cfg.json_output end
	if o.rule_matching == nil then o.rule_matching = cfg.rule_matching end
	if o.stats_interval == nil then o.stats_interval = cfg.stats_interval end
	if o.ignore_broken_rules == nil then o.ignore_broken_rules = cfg.ignore_broken_rules end
	for _, k in ipairs { "allow_seccomp_listener", "refuse_io_uring" } do
		if o[k] == nil then o[k] = cfg[k] end
	end
	if o.enforce == nil then o.enforce = cfg.enforce end
	if o.filter_alerts == nil then o.filter_alerts = cfg.enforce_filter_alerts end
	local oc = { json_output = o.json == true, stats_interval = o.stats_interval, quiet = o.quiet }
	for _, k in ipairs(OUTPUT_KEYS) do oc[k] = cfg[k] end
	o.output_config = oc
	o.webserver, o.metadata = cfg.webserver, cfg.metadata
	return true
end

return M
