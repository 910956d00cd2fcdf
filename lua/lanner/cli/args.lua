-- Command-line parsing, sysdig style: options, then a filter made of the
-- remaining words, then `--` and the command to run.
local M = {}

-- The core clamps to it too (ln_set_snaplen): past it, an event with every
-- buffer that long would not fit a capture block.
local MAX_SNAPLEN = tonumber(require("lanner.core").C.LN_MAX_SNAPLEN)

local options = require "lanner.cli.options"
local priority = require "lanner.priority"

M.usage = options.help { MAX_SNAPLEN = tostring(MAX_SNAPLEN) }

local COMPRESSORS = { zlib = true, zstd = true }
-- Names of other compressors: taken as a (wrong) value of -z/--compress,
-- not as a filter word, so that `-z lz4` says what is wrong.
local OTHER_COMPRESSORS = { lz4 = true, gzip = true, gz = true, xz = true, bzip2 = true, bz2 = true,
	lzma = true, lzo = true, brotli = true, snappy = true, deflate = true, none = true }

-- A hint where another tool spells a flag otherwise (strace's -o and -p,
-- a rules file given to -r), or nil.
local function hint(opt, v)
	if opt == "-o" and not v:find("=", 1, true) then
		return ("-o needs key=value, got '%s': lanner's -o sets a configuration key; "
			.. "to write output to a file use --output-file %s"):format(v, v)
	elseif opt == "-p" and v:match("^%d+$") then
		return ("-p %s: -p is the output format (sysdig's -p); to trace process %s use --pid %s"):format(v, v, v)
	elseif opt == "-r" and v:match("%.ya?ml$") then
		return ("-r %s: not a capture; rules files go with -R (lanner -R %s -- COMMAND)"):format(v, v)
	end
end

local NUMERIC = { "numevents", "snaplen", "duration", "stats_interval", "rotate_mb", "rotate_secs", "rotate_files" }

-- chisel_nargs(name) tells how many argument words a chisel takes (0 or 1
-- here: sysdig passes a chisel's arguments as one word, split later).
function M.parse(argv, chisel_nargs)
	local o = { rules = {}, chisels = {}, filter_words = {}, command = nil }
	local i = 1
	while i <= #argv do
		local a = argv[i]
		local long, eqv = a:match("^(%-%-[%w-]+)=(.*)$")
		if long then a = long end
		local opt = options.by_name[a]
		-- the option's value: after '=' or the next word
		local function value()
			if eqv then return eqv end
			local v = argv[i + 1]
			if v == nil then return nil, "option " .. a .. " needs a value" end
			i = i + 1
			return v
		end
		if a == "--" then
			o.command = {}
			for k = i + 1, #argv do o.command[#o.command + 1] = argv[k] end
			break
		elseif opt and opt.kind == "flag" then
			if eqv then return nil, "option " .. a .. " takes no value" end
			o[opt.key] = true
		elseif opt and (opt.kind == "value" or opt.kind == "list") then
			local v, err = value()
			if not v then return nil, err end
			local h = hint(a, v)
			if h then return nil, h end
			if opt.kind == "list" then
				o[opt.key] = o[opt.key] or {}
				table.insert(o[opt.key], v)
			else
				o[opt.key] = v
			end
		elseif a == "--pid" then
			local v, err = value()
			if not v then return nil, err end
			local pid = tonumber(v)
			if not pid or pid <= 0 or pid ~= math.floor(pid) then
				return nil, "--pid needs a process id, got '" .. v .. "'"
			end
			o.pids = o.pids or {}
			o.pids[#o.pids + 1] = pid
		elseif a == "-o" or a == "--option" then
			local v, err = value()
			if not v then return nil, err end
			local h = hint("-o", v)
			if h then return nil, h end
			o.options = o.options or {}
			o.options[#o.options + 1] = v
		elseif a == "-z" or a == "--compress" then
			-- the algorithm is optional: -z alone means zlib, as sysdig's -z
			local nxt = eqv or argv[i + 1]
			local word = nxt and nxt:lower()
			if word and (COMPRESSORS[word] or OTHER_COMPRESSORS[word] or eqv) then
				if not eqv then i = i + 1 end
				if not COMPRESSORS[word] then
					return nil, ("%s: unknown compression algorithm '%s': lanner compresses with zlib or zstd"):format(a, nxt)
				end
				o.compress = word
			elseif not o.compress then
				o.compress = "zlib"
			end
		elseif a == "-l" or a == "--list" then
			o.list_fields = true
			local nxt = eqv or argv[i + 1]
			if nxt and nxt ~= "--" and nxt:sub(1, 1) ~= "-" then
				o.list_prefix = nxt
				if not eqv then i = i + 1 end
			end
		elseif a == "-c" or a == "--chisel" then
			local name, err = value()
			if not name then return nil, err end
			local ch = { name = name }
			local nxt = argv[i + 1]
			-- sysdig's rule: optional-only arguments give way to a filter
			local n = chisel_nargs and chisel_nargs(name, nxt) or 0
			if n > 0 and nxt and nxt ~= "--" then
				ch.args = nxt
				i = i + 1
			end
			o.chisels[#o.chisels + 1] = ch
		elseif a:sub(1, 1) == "-" and #a > 1 and not a:match("^%-%d") then
			return nil, "unknown option '" .. a .. "' (lanner -h lists them)"
		else
			o.filter_words[#o.filter_words + 1] = argv[i]
		end
		i = i + 1
	end
	if #o.filter_words > 0 then o.filter = table.concat(o.filter_words, " ") end
	for _, k in ipairs(NUMERIC) do
		if o[k] then
			local n = tonumber(o[k])
			if not n or n < 0 or n ~= n or n == math.huge then
				return nil, "option for " .. k .. " needs a number, got '" .. o[k] .. "'"
			end
			o[k] = n
		end
	end
	if o.snaplen and o.snaplen ~= math.floor(o.snaplen) then
		return nil, "-s: the snaplen is a whole number of bytes, got " .. o.snaplen
	elseif o.snaplen and o.snaplen > MAX_SNAPLEN then
		return nil, string.format("-s: %.0f bytes per buffer would make events too long for a capture block: at most %d",
			o.snaplen, MAX_SNAPLEN)
	end
	if o.min_priority and not priority.parse(o.min_priority) then
		return nil, priority.unknown(o.min_priority, "-m: ") .. " (" .. priority.WORDS .. ")"
	end
	if o.compress and not o.write_file then return nil, "-z/--compress needs -w FILE" end
	if o.append and not o.output_file then return nil, "-A/--append needs --output-file FILE" end
	if o.capture_format and o.capture_format ~= "scap" and o.capture_format ~= "lcap" then
		return nil, "--capture-format takes scap or lcap, got '" .. o.capture_format .. "'"
	end
	return o
end

return M
