-- lanner.json's decoder (the encoder is covered through the outputs and
-- format specs): RFC 8259 values, escapes, and errors with a position.
local json = require "lanner.json"

describe("json.decode", function()
	it("reads objects, arrays, strings, numbers, true, false and null", function()
		local v = assert(json.decode(' { "a" : [1, -2.5, 3e2, true, false, null], "b": {"c": "d"}, "e": [] } '))
		assert.same({ 1, -2.5, 300, true, false }, { v.a[1], v.a[2], v.a[3], v.a[4], v.a[5] })
		assert.equal(json.null, v.a[6])
		assert.equal("d", v.b.c)
		assert.equal(0, #v.e)
	end)

	it("turns escapes into bytes: short ones, \\u, and surrogate pairs into one UTF-8 character", function()
		assert.equal('q"b\\s/n\nt\t', json.decode([["q\"b\\s\/n\nt\t"]]))
		assert.equal("\195\169", json.decode([["\u00e9"]]))
		assert.equal("\226\130\172", json.decode([["\u20AC"]]))
		assert.equal("\240\159\152\128", json.decode([["\ud83d\ude00"]]))
		-- a lone surrogate is no character: U+FFFD
		assert.equal("\239\191\189x", json.decode([["\ud83dx"]]))
	end)

	it("round-trips what json.encode writes", function()
		local t = { name = "w\195\169b \"x\"", n = 42, list = { "a", "b" }, nested = { ok = true } }
		assert.same(t, json.decode(json.encode(t)))
	end)

	it("says what is wrong and where, and never raises on bad text", function()
		local cases = {
			{ '{"a" 1}', "expected ':' at 6" },
			{ '{"a": 1,}', "expected a string key at 9" },
			{ '[1 2]', "expected ',' or ']' at 4" },
			{ '"abc', "unterminated string at 1" },
			{ '"a\x01"', "control character in string at 3" },
			{ '"\\q"', "bad escape at 2" },
			{ '{"a": tru}', "unexpected 't' at 7" },
			{ '{} x', "trailing text at 4" },
			{ '', "unexpected end at 1" },
			{ '-', "unexpected '-' at 1" },
			{ '1e', "bad number at 1" },
		}
		for _, c in ipairs(cases) do
			local v, err = json.decode(c[1])
			assert.is_nil(v, c[1])
			assert.equal("json: " .. c[2], err, c[1])
		end
		local deep = string.rep("[", 100) .. string.rep("]", 100)
		local v, err = json.decode(deep)
		assert.is_nil(v)
		assert.matches("nesting too deep", err)
	end)

	it("raises for misuse (not a string)", function()
		assert.has_error(function() json.decode(42) end, "json.decode: expected a string")
	end)
end)
