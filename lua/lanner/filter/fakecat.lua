-- A small field catalogue over plain Lua-table events, for the filter specs
-- (and any spec that needs to compile conditions without the C core).
-- It implements the interface lanner.filter expects of the real one.
--
-- Event shape: { type = "openat", res = 0, latency = 5, ts = <int64>,
--   proc = { name=, pname=, cmdline=, pid=, exe=, ancestors = {...},
--            env = { HOME = ... }, args = {...} },
--   fd = { name=, sip = "10.0.0.1", sraw = <4/16 raw bytes>, types = {...} },
--   buffer = <bytes>, is_open_write = bool, args = { [1] = ..., flags = ... } }
local M = {}

M.EVENT_TYPES = { "open", "openat", "openat2", "close", "read", "write", "connect",
  "accept", "accept4", "execve", "execveat", "clone", "unlink", "unlinkat", "rename" }

local FD_TYPES = { open = true, openat = true, openat2 = true, close = true, read = true,
  write = true, connect = true, accept = true, accept4 = true }
local NET_TYPES = { connect = true, accept = true, accept4 = true }

local function proc(k) return function(ev) return ev.proc and ev.proc[k] end end
local function fd(k) return function(ev) return ev.fd and ev.fd[k] end end

local FIELDS = {
  ["evt.type"] = { type = "string", get = function(ev) return ev.type end },
  ["syscall.type"] = { type = "string", get = function(ev) return ev.type end },
  ["evt.res"] = { type = "number", get = function(ev) return ev.res end, needs_exit = true },
  ["evt.latency"] = { type = "reltime", get = function(ev) return ev.latency end, needs_exit = true },
  ["evt.rawtime"] = { type = "abstime", get = function(ev) return ev.ts end },
  ["evt.buffer"] = { type = "bytes", get = function(ev) return ev.buffer end,
    types = { read = true, write = true } },
  ["evt.is_open_write"] = { type = "bool", get = function(ev) return ev.is_open_write end,
    types = { open = true, openat = true, openat2 = true } },
  ["proc.name"] = { type = "string", get = proc("name") },
  ["proc.pname"] = { type = "string", get = proc("pname") },
  ["proc.cmdline"] = { type = "string", get = proc("cmdline") },
  ["proc.exe"] = { type = "string", get = proc("exe") },
  ["proc.pid"] = { type = "number", get = proc("pid") },
  ["fd.name"] = { type = "string", get = fd("name"), types = FD_TYPES },
  -- known at entry for an existing fd, at exit for one the call creates
  ["fd.num"] = { type = "number", get = fd("num"), types = FD_TYPES,
    needs_exit = { open = true, openat = true, openat2 = true, accept = true, accept4 = true } },
  ["fd.directory"] = { type = "string", get = fd("directory"), types = FD_TYPES },
  ["fd.sip"] = { type = "ipaddr", get = fd("sip"), types = NET_TYPES },
  ["fd.sraw"] = { type = "ipaddr", get = fd("sraw"), types = NET_TYPES },
  ["fd.net"] = { type = "ipnet", get = fd("sip"), types = NET_TYPES },
  ["fd.types"] = { type = "string", list = true,
    get = function(ev, _, i) return ev.fd and ev.fd.types and ev.fd.types[i] end },
}

-- proc.aname: any ancestor; proc.aname[N]: the Nth (1 = parent).
local ANAME_MULTI = { type = "string", multi = true,
  get = function(ev, _, i) return ev.proc and ev.proc.ancestors and ev.proc.ancestors[i] end }
local function aname_at(n)
  return { type = "string", get = function(ev) return ev.proc and ev.proc.ancestors and ev.proc.ancestors[n] end }
end

-- Counts resolve() calls so specs can see what analysis and compile ask.
M.calls = 0

function M.resolve(name, arg)
  M.calls = M.calls + 1
  if name == "proc.aname" then
    if arg == nil then return ANAME_MULTI end
    local n = tonumber(arg)
    if not n then return nil, "proc.aname needs a numeric argument" end
    return aname_at(n)
  elseif name == "proc.env" then
    if arg == nil then return nil, "proc.env needs an argument" end
    return { type = "string", get = function(ev, a) return ev.proc and ev.proc.env and ev.proc.env[a] end }
  elseif name == "proc.args" then
    -- proc.args[N] is one argument; proc.args alone is every argument.
    if arg == nil then
      return { type = "string", multi = true,
        get = function(ev, _, i) return ev.proc and ev.proc.args and ev.proc.args[i] end }
    end
    return { type = "string", get = function(ev, a) return ev.proc and ev.proc.args and ev.proc.args[tonumber(a) + 1] end }
  elseif name == "evt.arg" then
    if arg == nil then return nil, "evt.arg needs an argument" end
    return { type = "string", get = function(ev, a) return ev.args and ev.args[tonumber(a) or a] end }
  elseif name:sub(1, 8) == "evt.arg." and #name > 8 then
    local key = name:sub(9)
    return { type = "string", get = function(ev) return ev.args and ev.args[key] end }
  end
  local spec = FIELDS[name]
  if not spec then return nil, "unknown field '" .. name .. "'" end
  if arg ~= nil then return nil, "field '" .. name .. "' takes no argument" end
  return spec
end

function M.event_types() return M.EVENT_TYPES end

-- Flag names a numeric comparison may use (evt.res = ENOENT).
local CONSTS = { ENOENT = -2, EACCES = -13, EPERM = -1 }
function M.const_value(_, word) return CONSTS[word] end

return M
