-- Errors and warnings from loading rules. Each names the file, the line of
-- the item (or of the key at fault) and the item:
--   rules.yaml:42: rule 'Write below etc': Undefined macro 'foo' used in filter.
local M = {}

local Diag = {}
Diag.__index = Diag
Diag.__tostring = function(d) return d.text end

local function make(ctx, msg, line, code, raw)
  local d = setmetatable({ file = ctx.file, line = line or ctx.line, item = ctx.item,
                           message = msg, code = code }, Diag)
  if raw then
    d.text = msg
  else
    local where = d.file or "<rules>"
    if d.line then where = where .. ":" .. d.line end
    d.text = where .. ": " .. (d.item and d.item .. ": " or "") .. msg
  end
  return d
end
M.make = make

local Result = {}
Result.__index = Result

function M.new() return setmetatable({ errors = {}, warnings = {} }, Result) end

-- warn(ctx, msg [, line [, code]]): ctx = {file=, line=, item=}
function Result:warn(ctx, msg, line, code)
  local d = make(ctx, msg, line, code)
  self.warnings[#self.warnings + 1] = d
  return d
end

-- error(ctx, msg [, line [, code [, raw]]]); raw: msg already says where.
function Result:error(ctx, msg, line, code, raw)
  local d = make(ctx, msg, line, code, raw)
  self.errors[#self.errors + 1] = d
  return d
end

return M
