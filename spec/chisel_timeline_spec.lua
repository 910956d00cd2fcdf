-- timeline_html, the chisel whose answer is a picture: the page's content
-- for a known process tree, then what headless Chromium draws of it (the
-- lanes, marks, labels and table it laid out, and a screenshot); those go
-- pending on a machine without Chromium.
local H = require "spec.fixtures.chisels.support.helper"

local NETPAIR = H.FIXTURES .. "/support/netpair.pl"

local function esc(s) return (tostring(s):gsub("%p", "%%%0")) end

-- The <g class="process"> element of each pid, as text.
local function groups(html)
	local out = {}
	for pid, body in html:gmatch('<g class="process" data%-pid="(%d+)">(.-)</g>') do
		out[tonumber(pid)] = body
	end
	return out
end

local function name_of(g)
	return g:match("<text[^>]*>([%w_.-]+) %(%d+%)")
end

describe("timeline_html", function()
	local d, html, r

	setup(function()
		d = H.tmpdir()
		H.write(d .. "/f", string.rep("y", 2000))
		r = H.lanner({ "-c", "timeline_html", d .. "/t.html", "--", "sh", "-c",
			"cat " .. d .. "/f >/dev/null; head -c1 " .. d .. "/nope 2>/dev/null; perl " .. NETPAIR .. " 0 3000" })
		html = H.read(d .. "/t.html")
	end)
	teardown(function() H.rmdir(d) end)

	it("writes an HTML page with an SVG and says where", function()
		assert.equal(0, r.status, r.err)
		assert.is_not_nil(html)
		assert.matches("^<!DOCTYPE html>", html)
		assert.matches('<svg xmlns="http://www.w3.org/2000/svg"', html)
		assert.matches("</svg>", html)
		assert.matches("timeline of 4 processes written to " .. esc(d) .. "/t%.html", r.out)
	end)

	it("draws one lane per process, with its I/O, execs and errors", function()
		local byname = {}
		local n = 0
		for pid, g in pairs(groups(html)) do
			n = n + 1
			byname[name_of(g)] = g
			assert.matches('<rect class="lane"', g)
			assert.matches("%(" .. pid .. "%)", g)
		end
		assert.equal(4, n)
		for _, name in ipairs { "sh", "cat", "head", "perl" } do assert.is_not_nil(byname[name], name) end
		assert.matches('class="io%-file"', byname.cat)
		assert.matches(esc(d) .. "/f", byname.cat)
		assert.matches('class="io%-net"', byname.perl)
		assert.not_matches('class="io%-net"', byname.cat)
		assert.matches('class="error"[^>]*><title>failed: [^<]*' .. esc(d) .. "/nope", byname.head)
		assert.matches('class="exec"', byname.perl)
		local forks = 0
		for _ in byname.sh:gmatch('class="fork"') do forks = forks + 1 end
		assert.equal(3, forks)
	end)

	it("adds a table of bytes per process", function()
		assert.matches("<td>%d+</td><td class=\"l\">perl</td><td>[^<]*</td><td>[^<]*</td><td>2%.93KB</td><td>2%.93KB</td>", html)
		local cat_read = html:match("<td class=\"l\">cat</td><td>([^<]*)</td>")
		assert.matches("KB$", cat_read)
	end)

	it("needs a file to write", function()
		local r2 = H.lanner({ "-c", "timeline_html", "--", "true" })
		assert.equal(2, r2.status)
	end)

	-- Headless Chromium, run on url with extra switches; nil when this
	-- machine has no Chromium (the browser checks then go pending).
	local function chromium(args, url)
		local bin = H.chromium()
		if not bin then return nil end
		local prof = H.tmpdir()
		os.execute(string.format("timeout 90 %s --headless --no-sandbox --disable-gpu "
			.. "--disable-background-networking --disable-component-update --disable-sync --no-first-run "
			.. "--user-data-dir=%s --window-size=1200,800 %s %s 2>/dev/null",
			H.q(bin), H.q(prof), args, H.q(url)))
		H.rmdir(prof)
		return true
	end

	-- Runs in the page once Chromium laid it out, and writes what is on
	-- screen into a <pre>: per lane its pid, drawn size, the marks drawn on
	-- it and its label; the legend; the table's rows as rendered text.
	local PROBE = [[
<script>
(function () {
  function shown(el) { var b = el.getBoundingClientRect(); return b.width > 0 || b.height > 0; }
  function count(g, sel) {
    var n = 0;
    g.querySelectorAll(sel).forEach(function (el) { if (shown(el)) n++; });
    return n;
  }
  var lines = [];
  document.querySelectorAll("svg g.process").forEach(function (g) {
    var b = g.querySelector("rect.lane").getBoundingClientRect();
    lines.push(["lane", g.getAttribute("data-pid"), Math.round(b.width), Math.round(b.height),
      count(g, "rect.io-file"), count(g, "rect.io-net"), count(g, "path.exec"), count(g, "circle.error"),
      count(g, "line.fork"), g.querySelector("text").textContent.trim()].join(" "));
  });
  document.querySelectorAll("svg g.legend text").forEach(function (t) {
    if (shown(t)) lines.push("legend " + t.textContent);
  });
  document.querySelectorAll("table tr").forEach(function (tr) {
    if (shown(tr)) lines.push("row " + tr.innerText.replace(/\s+/g, " ").trim());
  });
  var pre = document.createElement("pre");
  pre.id = "lanner-probe";
  pre.textContent = lines.join("\n");
  document.body.appendChild(pre);
})();
</script>
]]

	it("renders in a browser: the lanes, marks, labels, legend and table are on screen", function()
		if not H.chromium() then pending("chromium not installed") return end
		local page = html:gsub("</body></html>%s*$", function() return PROBE .. "</body></html>" end)
		H.write(d .. "/probe.html", page)
		chromium("--dump-dom > " .. H.q(d .. "/dom.html"), "file://" .. d .. "/probe.html")
		local dom = H.read(d .. "/dom.html") or ""
		local probe = dom:match('<pre id="lanner%-probe">(.-)</pre>')
		assert.is_not_nil(probe, "no probe output in the rendered DOM:\n" .. dom:sub(1, 300))
		local lanes, legend, rows = {}, {}, {}
		for l in probe:gmatch("[^\n]+") do
			local pid, w, h, file, net, exec, err, fork, name, lpid =
				l:match("^lane (%d+) (%d+) (%d+) (%d+) (%d+) (%d+) (%d+) (%d+) ([%w_.-]+) %((%d+)%)$")
			if pid then
				assert.equal(pid, lpid, l)
				-- visible: a short-lived process's lane is narrow (46 px seen once)
				assert.is_true(tonumber(w) > 20 and tonumber(h) > 5, "lane drawn " .. w .. "x" .. h .. ": " .. l)
				lanes[name] = { file = tonumber(file), net = tonumber(net), exec = tonumber(exec),
					err = tonumber(err), fork = tonumber(fork) }
			elseif l:match("^legend ") then
				legend[#legend + 1] = l:sub(8)
			elseif l:match("^row ") then
				rows[#rows + 1] = l:sub(5)
			end
		end
		local names = {}
		for name in pairs(lanes) do names[#names + 1] = name end
		table.sort(names)
		assert.same({ "cat", "head", "perl", "sh" }, names)
		assert.is_true(lanes.cat.file >= 1, "cat's file I/O")
		assert.equal(0, lanes.cat.net)
		assert.is_true(lanes.perl.net >= 1, "perl's network I/O")
		assert.is_true(lanes.perl.exec >= 1, "perl's exec")
		assert.is_true(lanes.head.err >= 1, "head's failed open")
		assert.equal(3, lanes.sh.fork)
		assert.same({ "file I/O", "network I/O", "\u{25C6} exec", "\u{25CF} failed call" }, legend)
		assert.matches("^PID Process File read", rows[1])
		local perl_row
		for _, row in ipairs(rows) do if row:match("^%d+ perl ") then perl_row = row end end
		assert.matches("2%.93KB 2%.93KB", perl_row)
	end)

	it("renders in a browser: a screenshot of the page's size, not blank", function()
		if not H.chromium() then pending("chromium not installed") return end
		local function shot(url, png)
			chromium("--screenshot=" .. H.q(png) .. " >/dev/null", url)
			return H.read(png)
		end
		H.write(d .. "/blank.html", "<!DOCTYPE html><html><body></body></html>")
		local blank = shot("file://" .. d .. "/blank.html", d .. "/blank.png")
		local png = shot("file://" .. d .. "/t.html", d .. "/t.png")
		assert.is_not_nil(png, "no screenshot")
		assert.equal("\137PNG\r\n\26\n", png:sub(1, 8))
		-- IHDR: width and height, big-endian
		local w = png:byte(17) * 2 ^ 24 + png:byte(18) * 2 ^ 16 + png:byte(19) * 2 ^ 8 + png:byte(20)
		assert.equal(1200, w)
		assert.is_true(#png > 15000, "screenshot of " .. #png .. " bytes")
		if blank then assert.is_true(#png > 4 * #blank, #png .. " vs blank " .. #blank) end
	end)
end)
