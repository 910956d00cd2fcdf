-- Character-level scanning for Falco's condition language.
--
-- The grammar is context-sensitive (`10.0.0.0/8` is a value after `=` but
-- would be nonsense where a field is expected), so there is no token stream:
-- the parser asks for the kind of token it expects at a position, exactly as
-- libsinsp's parser does (userspace/libsinsp/filter/parser.cpp). The
-- character classes below are libsinsp's, so a condition Falco accepts reads
-- the same here.
local M = {}

local find, sub, byte = string.find, string.sub, string.byte

-- libsinsp's lex_blank skips these; note \b counts and \v, \f do not.
local BLANK = "^[ \t\b\r\n]*"
-- RGX_BARESTR: anything but parens, quotes, '=', ',' and isspace().
M.BARE_CHARS = "[^%(%)\"'=,%s]"
local BARE = "^" .. M.BARE_CHARS .. "+"
-- RGX_FIELDARGBARESTR: anything but brackets, quotes and isspace().
local ARG_BARE = "^[^%[%]\"'%s]+"
local WORD = "^[%a_][%w_]*"
local DOTTED = "^[%a_][%w_.]*"

-- A keyword or word operator ends where an identifier could not go on;
-- '.' counts as identifier, or `not.x` would read as `not` + `.x`.
local function word_end(src, j)
  local c = byte(src, j)
  return c == nil or not (c == 95 or c == 46 or (c >= 48 and c <= 57)
    or (c >= 65 and c <= 90) or (c >= 97 and c <= 122))
end
M.word_end = word_end

function M.skip_blank(src, i)
  local _, e = find(src, BLANK, i)
  return e + 1
end

-- `word` at i as a whole word: returns the position after it, or nil.
function M.keyword(src, i, word)
  local j = i + #word
  if sub(src, i, j - 1) == word and word_end(src, j) then return j end
end

-- An identifier ([A-Za-z_][A-Za-z0-9_]*): text, next position.
function M.word(src, i)
  local s, e = find(src, WORD, i)
  if s then return sub(src, s, e), e + 1 end
end

-- A field name: an identifier-like run that contains a dot.
function M.field_name(src, i)
  local s, e = find(src, DOTTED, i)
  if s then
    local name = sub(src, s, e)
    if find(name, ".", 1, true) then return name, e + 1 end
  end
end

function M.bare(src, i)
  local s, e = find(src, BARE, i)
  if s then return sub(src, s, e), e + 1 end
end

function M.arg_bare(src, i)
  local s, e = find(src, ARG_BARE, i)
  if s then return sub(src, s, e), e + 1 end
end

-- libsinsp's unescape_str. Its quirk is kept: "\ " yields a single
-- backslash (the space is dropped), for rules written before escapes were
-- decoded. \" is only valid in "-strings and \' only in '-strings.
local ESC = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", [" "] = "\\", ["\\"] = "\\", ["/"] = "/" }

-- A quoted string at i (src[i] is the quote): value, next position; or
-- nil, message, error position.
function M.quoted(src, i)
  local q = sub(src, i, i)
  local out, j, n = {}, i + 1, #src
  local from = j
  while j <= n do
    local c = sub(src, j, j)
    if c == q then
      out[#out + 1] = sub(src, from, j - 1)
      return table.concat(out), j + 1
    elseif c == "\\" then
      out[#out + 1] = sub(src, from, j - 1)
      local e = sub(src, j + 1, j + 1)
      local r = ESC[e]
      if not r and (e == '"' or e == "'") then
        if e ~= q then
          return nil, ("invalid escape '\\%s' in a %s-quoted string"):format(e, q), j
        end
        r = e
      end
      if not r then
        if e == "" then break end
        return nil, ("unsupported escape '\\%s' in string"):format(e), j
      end
      out[#out + 1] = r
      j = j + 2
      from = j
    else
      j = j + 1
    end
  end
  return nil, "unterminated string", i
end

-- Falco's number forms: RGX_HEXNUM and RGX_NUMBER (the exponent sign is
-- required there, as in libsinsp). Returns the value or nil.
function M.number(text)
  if find(text, "^0[xX]%x+$") then return tonumber(sub(text, 3), 16) end
  if find(text, "^[+-]?%d+%.?%d*$") or find(text, "^[+-]?%d+%.?%d*[eE][+-]%d+$") then
    if byte(text, 1) == 43 then text = sub(text, 2) end -- tonumber rejects "+5"
    return tonumber(text)
  end
end

-- Line, column (1-based, bytes) of position pos.
function M.line_col(src, pos)
  local line, ls = 1, 1
  local i = find(src, "\n", 1, true)
  while i and i < pos do
    line, ls = line + 1, i + 1
    i = find(src, "\n", ls, true)
  end
  return line, pos - ls + 1, ls
end

-- Longest line shown in an error message; a longer one is cut to a window
-- around the column (one-line YAML conditions run to thousands of bytes).
local WINDOW = 100

-- "msg at column C" (or "at line L, column C" for multi-line sources),
-- then the source line and a caret under the column.
function M.error_at(src, pos, msg)
  pos = math.max(1, math.min(pos, #src + 1))
  local line, col, ls = M.line_col(src, pos)
  local le = find(src, "\n", ls, true)
  local text = sub(src, ls, (le or #src + 1) - 1)
  local where = find(src, "\n", 1, true) and ("line %d, column %d"):format(line, col)
    or ("column %d"):format(col)
  local c0 = col
  if #text > WINDOW then
    local first = math.max(1, col - WINDOW / 2)
    local last = first + WINDOW - 1
    local pre = first > 1 and "..." or ""
    text = pre .. sub(text, first, last) .. (last < #text and "..." or "")
    c0 = col - first + 1 + #pre
  end
  -- Tabs stay tabs under the caret so it lines up in a terminal.
  local pad = sub(text, 1, c0 - 1):gsub("[^\t]", " ")
  return ("%s at %s\n%s\n%s^"):format(msg, where, text, pad)
end

return M
