-- A picture of the capture: one lane per process over time, with its file
-- and network I/O, its execs and its children, written as an HTML page
-- with an inline SVG that any browser opens.
local report = require "lib.report"

description = "Writes an HTML page with an SVG timeline of the capture: one lane per traced process from its start to its exit, file I/O (blue) and network I/O (orange) as bars whose height grows with the bytes moved, execs as diamonds, failed calls as red dots, and a line from each parent to the child it started. Hover over anything for details. A table of bytes per process follows the picture."
short_description = "HTML/SVG timeline of processes and their I/O"
category = "Visualization"
args = {
	{ name = "file", description = "the HTML file to write", argtype = "string" },
}

local outfile
local h = {}
local procs, order = {}, {}
local t0_s, t0_ns
local t_end = 0
local WIDTH, LEFT, RIGHT, LANE, TOP, BUCKETS = 1200, 230, 30, 30, 50, 400

function on_set_arg(name, val)
	outfile = val
	return val ~= ""
end

function on_init()
	for _, f in ipairs { "proc.pid", "proc.ppid", "proc.name", "proc.cmdline", "evt.type", "evt.rawres",
		"evt.io_dir", "fd.type", "fd.name", "evt.failed", "evt.is_io" } do
		h[f] = chisel.request_field(f)
	end
	-- failed calls show among these (not every syscall: that would stop them all)
	chisel.set_filter("evt.is_io=true or evt.type in (execve, execveat, procexit, clone, clone3, fork, "
		.. "vfork, open, openat, openat2, creat, connect, accept, accept4, bind, listen, stat, lstat, "
		.. "newfstatat, statx, access, faccessat, faccessat2, unlink, unlinkat, mkdir, mkdirat)")
	return true
end

local function now_rel()
	local s, ns = evt.get_ts()
	if t0_s == nil then t0_s, t0_ns = s, ns end
	local t = (s - t0_s) + (ns - t0_ns) / 1e9
	if t > t_end then t_end = t end
	return t
end

local function proc(pid, t)
	local p = procs[pid]
	if p == nil then
		p = { pid = pid, start = t, stop = nil, execs = {}, io = {}, errors = {}, children = {},
			file_r = 0, file_w = 0, net_r = 0, net_w = 0 }
		procs[pid] = p
		order[#order + 1] = pid
	end
	return p
end

function on_event()
	local t = now_rel()
	local pid = evt.field(h["proc.pid"])
	if pid == nil then return true end
	local p = proc(pid, t)
	p.name = evt.field(h["proc.name"]) or p.name
	p.cmd = evt.field(h["proc.cmdline"]) or p.cmd
	p.ppid = p.ppid or evt.field(h["proc.ppid"])
	local ty = evt.field(h["evt.type"])
	local res = evt.field(h["evt.rawres"])
	if ty == "procexit" then
		p.stop = t
	elseif (ty == "execve" or ty == "execveat") and res == 0 then
		p.execs[#p.execs + 1] = { t = t, cmd = p.cmd }
	elseif (ty == "clone" or ty == "clone3" or ty == "fork" or ty == "vfork") and type(res) == "number" and res > 0 then
		local c = proc(res, t)
		c.ppid, c.forked = pid, t
		p.children[#p.children + 1] = { t = t, pid = res }
	elseif evt.field(h["evt.is_io"]) and type(res) == "number" and res > 0 then
		local ft = evt.field(h["fd.type"])
		local kind = (ft == "ipv4" or ft == "ipv6") and "net" or ((ft == "file" or ft == "directory") and "file" or nil)
		if kind then
			local rd = evt.field(h["evt.io_dir"]) == "read"
			local k = kind .. (rd and "_r" or "_w")
			p[k] = p[k] + res
			p.io[#p.io + 1] = { t = t, kind = kind, bytes = res, read = rd, name = evt.field(h["fd.name"]) }
		end
	end
	if evt.field(h["evt.failed"]) then
		p.errors[#p.errors + 1] = { t = t, what = tostring(ty) .. " " .. tostring(evt.field(h["fd.name"]) or "") }
	end
	return true
end

local function esc(s)
	return (tostring(s == nil and "" or s):gsub("[&<>\"]",
		{ ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

-- A round tick step for a span of seconds.
local function tick_step(span)
	local raw = span / 8
	local p = 10 ^ math.floor(math.log10(raw > 0 and raw or 1e-3))
	for _, m in ipairs { 1, 2, 5, 10 } do
		if m * p >= raw then return m * p end
	end
	return 10 * p
end

local function fmt_t(t)
	if t >= 1 then return string.format("%.2fs", t) end
	return string.format("%.1fms", t * 1000)
end

local function svg(out)
	local span = t_end > 0 and t_end or 1e-3
	local plot = WIDTH - LEFT - RIGHT
	local function x(t) return LEFT + t / span * plot end
	local lane_of = {}
	for i, pid in ipairs(order) do lane_of[pid] = i end
	local height = TOP + #order * LANE + 40
	out[#out + 1] = string.format('<svg xmlns="http://www.w3.org/2000/svg" width="100%%" viewBox="0 0 %d %d" '
		.. 'style="max-width:%dpx" font-family="monospace" font-size="12">', WIDTH, height, WIDTH)
	out[#out + 1] = string.format('<rect x="0" y="0" width="%d" height="%d" fill="#fcfcfc"/>', WIDTH, height)
	local step = tick_step(span)
	local t = 0
	while t <= span + 1e-12 do
		out[#out + 1] = string.format('<line class="tick" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
			.. '<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>', x(t), TOP - 10, x(t),
			height - 30, x(t), TOP - 16, fmt_t(t))
		t = t + step
	end
	for i, pid in ipairs(order) do
		local p = procs[pid]
		local y = TOP + (i - 1) * LANE
		local x0, x1 = x(p.start), x(p.stop or span)
		out[#out + 1] = string.format('<g class="process" data-pid="%d"><text x="8" y="%d">%s</text>'
			.. '<rect class="lane" x="%.1f" y="%d" width="%.1f" height="%d" fill="#e6e9f0" stroke="#9aa4b8">'
			.. '<title>%s (pid %d): %s\nfrom %s to %s</title></rect>',
			pid, y + 19, esc(report.pad(tostring(p.name) .. " (" .. pid .. ")", 28)), x0, y + 4,
			math.max(x1 - x0, 1), LANE - 8, esc(p.name), pid, esc(p.cmd), fmt_t(p.start), fmt_t(p.stop or span))
		-- I/O in buckets, so the page stays small whatever the volume
		local buckets = {}
		for _, e in ipairs(p.io) do
			local b = math.floor(e.t / span * (BUCKETS - 1))
			local key = e.kind .. b
			local bk = buckets[key] or { kind = e.kind, b = b, bytes = 0, n = 0, names = {} }
			bk.bytes, bk.n = bk.bytes + e.bytes, bk.n + 1
			if e.name then bk.names[e.name] = true end
			buckets[key] = bk
		end
		for _, bk in pairs(buckets) do
			local hgt = math.min(LANE - 10, 3 + 2 * math.log(1 + bk.bytes) / math.log(4))
			local names = {}
			for n in pairs(bk.names) do names[#names + 1] = n end
			table.sort(names)
			out[#out + 1] = string.format('<rect class="io-%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
				.. 'fill="%s"><title>%s I/O: %s in %d calls\n%s</title></rect>', bk.kind,
				x(bk.b / (BUCKETS - 1) * span), y + LANE - 4 - hgt, math.max(plot / BUCKETS, 1.5), hgt,
				bk.kind == "net" and "#f28e2b" or "#4e79a7", bk.kind, report.bytes(bk.bytes), bk.n,
				esc(table.concat(names, "\n")))
		end
		for _, e in ipairs(p.execs) do
			local ex, ey = x(e.t), y + LANE / 2
			out[#out + 1] = string.format('<path class="exec" d="M%.1f %.1f l5 5 l-5 5 l-5 -5 z" fill="#59a14f">'
				.. '<title>exec %s at %s</title></path>', ex, ey - 5, esc(e.cmd), fmt_t(e.t))
		end
		for _, e in ipairs(p.errors) do
			out[#out + 1] = string.format('<circle class="error" cx="%.1f" cy="%d" r="2.5" fill="#e15759">'
				.. '<title>failed: %s at %s</title></circle>', x(e.t), y + 7, esc(e.what), fmt_t(e.t))
		end
		for _, c in ipairs(p.children) do
			local ci = lane_of[c.pid]
			if ci then
				out[#out + 1] = string.format('<line class="fork" x1="%.1f" y1="%d" x2="%.1f" y2="%d" '
					.. 'stroke="#76b7b2" stroke-width="1.5"><title>%d started %d</title></line>', x(c.t),
					y + LANE / 2, x(c.t), TOP + (ci - 1) * LANE + LANE / 2, pid, c.pid)
			end
		end
		out[#out + 1] = "</g>"
	end
	local ly = height - 12
	out[#out + 1] = string.format('<g class="legend"><rect x="%d" y="%d" width="10" height="10" fill="#4e79a7"/>'
		.. '<text x="%d" y="%d">file I/O</text><rect x="%d" y="%d" width="10" height="10" fill="#f28e2b"/>'
		.. '<text x="%d" y="%d">network I/O</text><text x="%d" y="%d" fill="#59a14f">&#9670; exec</text>'
		.. '<text x="%d" y="%d" fill="#e15759">&#9679; failed call</text></g>', LEFT, ly - 9, LEFT + 14, ly,
		LEFT + 100, ly - 9, LEFT + 114, ly, LEFT + 230, ly, LEFT + 320, ly)
	out[#out + 1] = "</svg>"
end

function on_capture_end(ts_s, ts_ns, delta)
	local out = { "<!DOCTYPE html>", '<html><head><meta charset="utf-8"><title>lanner timeline</title>',
		"<style>body{font-family:sans-serif;margin:16px}table{border-collapse:collapse}"
		.. "td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}"
		.. "td.l,th.l{text-align:left}</style></head><body>",
		string.format("<h2>lanner timeline: %d processes, %s</h2>", #order, fmt_t(t_end)) }
	svg(out)
	out[#out + 1] = '<table><tr><th>PID</th><th class="l">Process</th><th>File read</th><th>File written</th>'
		.. '<th>Net in</th><th>Net out</th><th>Errors</th><th class="l">Command line</th></tr>'
	for _, pid in ipairs(order) do
		local p = procs[pid]
		out[#out + 1] = string.format('<tr><td>%d</td><td class="l">%s</td><td>%s</td><td>%s</td><td>%s</td>'
			.. '<td>%s</td><td>%d</td><td class="l">%s</td></tr>', pid, esc(p.name), report.bytes(p.file_r),
			report.bytes(p.file_w), report.bytes(p.net_r), report.bytes(p.net_w), #p.errors, esc(p.cmd))
	end
	out[#out + 1] = "</table></body></html>"
	local f, err = io.open(outfile, "w")
	if not f then error("cannot write " .. tostring(outfile) .. ": " .. tostring(err)) end
	f:write(table.concat(out, "\n"), "\n")
	f:close()
	print(string.format("timeline of %d processes written to %s", #order, outfile))
	return true
end
