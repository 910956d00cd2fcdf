-- timeline_html, the chisel whose answer is a picture: the page's content
-- for a known process tree, then a headless Chromium screenshot when this
-- machine has Chromium.
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

	it("renders in a browser", function()
		local chromium = H.chromium()
		if not chromium then
			print("\nnote: chromium is not installed; the screenshot check of timeline_html is skipped")
			return
		end
		local function shot(url, png)
			local prof = H.tmpdir()
			os.execute(string.format("timeout 90 %s --headless --no-sandbox --disable-gpu "
				.. "--disable-background-networking --disable-component-update --disable-sync --no-first-run "
				.. "--user-data-dir=%s --screenshot=%s --window-size=1200,800 %s >/dev/null 2>&1",
				H.q(chromium), H.q(prof), H.q(png), H.q(url)))
			H.rmdir(prof)
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
