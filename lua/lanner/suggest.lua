-- "Did you mean": the nearest names to a word that is not one, by edit
-- distance (insertions, deletions, substitutions, and a swap of two
-- neighbours counting as one, since `nmae` for `name` is the usual slip).
--
--   suggest.distance("nmae", "name") -> 1
--   suggest.nearest("proc.nmae", names) -> { "proc.name" }
--   suggest.hint("proc.nmae", names) -> "; did you mean proc.name?" or ""
local M = {}

local min = math.min

function M.distance(a, b)
	local la, lb = #a, #b
	if la == 0 then return lb end
	if lb == 0 then return la end
	-- three rows: the one before the previous is for the swap
	local prev2, prev, cur = {}, {}, {}
	for j = 0, lb do prev[j] = j end
	for i = 1, la do
		cur[0] = i
		local ca = a:byte(i)
		for j = 1, lb do
			local cb = b:byte(j)
			local cost = ca == cb and 0 or 1
			local d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
			if i > 1 and j > 1 and ca == b:byte(j - 1) and a:byte(i - 1) == cb then
				d = min(d, prev2[j - 2] + 1)
			end
			cur[j] = d
		end
		prev2, prev, cur = prev, cur, prev2
	end
	return prev[lb]
end

-- How far a word may be from a name and still be suggested: one slip in a
-- short word, about one in four characters in a long one.
local function limit(word)
	return math.max(1, math.floor(#word / 4))
end

-- The names nearest to word, within the limit: those at the smallest
-- distance found, in name order (at most 3).
function M.nearest(word, names)
	local lim = limit(word)
	local found = {}
	for _, n in ipairs(names) do
		local d = M.distance(word, n)
		if d <= lim and n ~= word then found[#found + 1] = { n = n, d = d } end
	end
	table.sort(found, function(x, y)
		if x.d ~= y.d then return x.d < y.d end
		return x.n < y.n
	end)
	local out = {}
	for i = 1, math.min(3, #found) do
		if found[i].d == found[1].d then out[i] = found[i].n end
	end
	return out
end

-- "; did you mean X?" / "; did you mean X or Y?", or "" when nothing is near.
function M.hint(word, names)
	local near = M.nearest(word, names)
	if #near == 0 then return "" end
	return "; did you mean " .. table.concat(near, " or ") .. "?"
end

return M
