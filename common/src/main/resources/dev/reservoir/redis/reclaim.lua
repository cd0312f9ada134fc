-- Claims tasks whose owner has not renewed them for the visibility timeout (a dead or stuck worker)
-- and returns them with their delivery count, so the caller can compute the attempt number.
-- KEYS[1] stream, KEYS[2] stats hash; ARGV[1] group, ARGV[2] consumer, ARGV[3] min idle ms, ARGV[4] count
-- Returns { {id, fields, deliveries}, ... }
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', ARGV[4])
local out = {}
for _, e in ipairs(claimed[2]) do
  if type(e) == 'table' and type(e[2]) == 'table' then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    local deliveries = 1
    if #p == 1 then deliveries = p[1][4] end
    out[#out + 1] = {e[1], e[2], deliveries}
  end
end
if #out > 0 then redis.call('HINCRBY', KEYS[2], 'reclaimed', #out) end
return out
