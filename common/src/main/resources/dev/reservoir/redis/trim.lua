-- Removes acknowledged entries from the head of the tasks stream in bulk: everything older than
-- both the oldest claimed entry and the first entry not yet delivered to the group. Entries at or
-- after that point (claimed or waiting) are never touched.
-- KEYS[1] stream; ARGV[1] group. Returns the number of entries removed.
local last = nil
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, delivered
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then delivered = g[i + 1] end
  end
  if name == ARGV[1] then last = delivered end
end
if not last then return 0 end
local threshold
local summary = redis.call('XPENDING', KEYS[1], ARGV[1])
if summary[1] > 0 then
  threshold = summary[2]
else
  local ms, seq = string.match(last, '^(%d+)-(%d+)$')
  threshold = ms .. '-' .. string.format('%d', tonumber(seq) + 1)
end
return redis.call('XTRIM', KEYS[1], 'MINID', threshold)
