-- Drops result buckets that have expired from the result index, oldest first, a few per call
-- (workers call it with every trim). The buckets share the index's hash tag, so they live in the
-- same Redis Cluster slot.
-- KEYS[1] result index (sorted set of bucket keys). Returns the number of index members removed.
local removed = 0
for _, bucket in ipairs(redis.call('ZRANGE', KEYS[1], 0, 31)) do
  if redis.call('EXISTS', bucket) == 0 then
    redis.call('ZREM', KEYS[1], bucket)
    removed = removed + 1
  else
    break
  end
end
return removed
