-- The man page, lanner(1), in roff, from the option table that --help is
-- made from (cli/options.lua): the Makefile writes build/lanner.1 with it
-- and `make install` installs that, so the two cannot disagree.
--
--   manpage.render{ prefix = "/usr/local", version = "0.1.0" } -> roff text
local options = require "lanner.cli.options"

local M = {}

-- Text as roff reads it: backslashes doubled, hyphens as \- (so that
-- options can be copied from the page), no line taken for a request.
local function esc(s)
	s = s:gsub("\\", "\\e"):gsub("%-", "\\-")
	return (s:gsub("\n([.'])", "\n\\&%1"):gsub("^([.'])", "\\&%1"))
end

local function para(out, text)
	out[#out + 1] = ".PP"
	out[#out + 1] = esc(text)
end

-- .TP heading of an option: names in bold, the value in italics.
local function heading(opt)
	local names = {}
	for i, n in ipairs(opt.names) do names[i] = "\\fB" .. esc(n) .. "\\fR" end
	local h = table.concat(names, ", ")
	if opt.arg then
		local a = "\\fI" .. esc(opt.arg) .. "\\fR"
		h = h .. " " .. (opt.optional and "[" .. a .. "]" or a)
	end
	return h
end

function M.render(opts)
	opts = opts or {}
	local prefix = opts.prefix or "/usr/local"
	local snaplen = opts.max_snaplen
	local version = opts.version
	if not snaplen or not version then
		local core = require "lanner.core"
		snaplen = snaplen or tostring(tonumber(core.C.LN_MAX_SNAPLEN))
		version = version or core.ffi.string(core.C.ln_version())
	end
	local out = {
		('.TH LANNER 1 "" "lanner %s" "User Commands"'):format(esc(version)),
		".SH NAME",
		"lanner \\- trace syscalls with ptrace and seccomp; run Falco rules and sysdig chisels on them",
		".SH SYNOPSIS",
	}
	for i, s in ipairs(options.synopsis) do
		if i > 1 then out[#out + 1] = ".br" end
		out[#out + 1] = "\\fBlanner\\fR " .. esc(s)
	end
	out[#out + 1] = ".SH DESCRIPTION"
	out[#out + 1] = esc(options.intro)
	para(out, "FILTER is a condition in Falco's filter language (proc.name=cat and fd.name startswith /etc); "
		.. "lanner -l lists the fields and lanner -L the event types. An event type or a field that does not exist, "
		.. "or that lanner cannot fill, is an error with the nearest names.")
	para(out, "Only CAP_SYS_PTRACE is needed: lanner runs as a container entrypoint in front of the real "
		.. "workload, forwards the signals a process manager sends, and exits with the workload's status.")
	out[#out + 1] = ".SH OPTIONS"
	for _, s in ipairs(options.sections) do
		out[#out + 1] = ".SS " .. esc(s.title)
		for _, opt in ipairs(s.options) do
			out[#out + 1] = ".TP"
			out[#out + 1] = heading(opt)
			out[#out + 1] = esc((opt.help:gsub("MAX_SNAPLEN", snaplen)))
		end
	end
	out[#out + 1] = ".SH EXIT STATUS"
	out[#out + 1] = esc(options.exit_status)
	out[#out + 1] = ".SH FILES"
	for _, f in ipairs {
		{ "/etc/lanner/lanner.yaml", "the configuration, read when it exists (Falco's key names; --config names another)" },
		{ "/etc/lanner/rules", "the packaged rules (Falco's YAML); -R /etc/lanner/rules loads them" },
		{ prefix .. "/share/lanner/chisels", "the packaged chisels" },
		{ prefix .. "/share/lanner/lua", "lanner's Lua side" },
	} do
		out[#out + 1] = ".TP"
		out[#out + 1] = "\\fI" .. esc(f[1]) .. "\\fR"
		out[#out + 1] = esc(f[2])
	end
	out[#out + 1] = ".SH ENVIRONMENT"
	out[#out + 1] = ".TP"
	out[#out + 1] = "\\fBLANNER_CHISEL_PATH\\fR"
	out[#out + 1] = esc("more folders of chisels, separated by ':'")
	out[#out + 1] = ".SH EXAMPLES"
	for _, ex in ipairs {
		"lanner -R /etc/lanner/rules -- /app/server",
		"lanner -p '%evt.time %proc.name %fd.name' 'evt.type=openat and fd.name startswith /etc' -- make",
		"lanner -c topfiles_bytes -- make -j2",
		"lanner -w trace.lcap -z zstd -- ./app; lanner -r trace.lcap -R /etc/lanner/rules",
	} do
		out[#out + 1] = ".PP"
		out[#out + 1] = ".nf"
		out[#out + 1] = esc(ex)
		out[#out + 1] = ".fi"
	end
	out[#out + 1] = ".SH SEE ALSO"
	out[#out + 1] = "\\fBstrace\\fR(1), \\fBfalco\\fR(8), \\fBsysdig\\fR(8)"
	return table.concat(out, "\n") .. "\n"
end

return M
