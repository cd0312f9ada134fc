-- Keeps a pool's results within its retention (workers call it with every trim): drops result
-- buckets that have expired from the result index, then, while the pool holds more than the most
-- results it may keep, drops the oldest buckets whole; the newest bucket (the one being written) is
-- never dropped. Bounded work per call: at most 32 buckets looked at or dropped per pass, and the
-- count is one HVALS of the per-bucket sizes that complete.lua keeps. The buckets share the index's
-- hash tag, so they live in the same Redis Cluster slot.
-- KEYS[1] result index (sorted set of bucket keys), KEYS[2] result bucket sizes (hash: bucket -> results)
-- ARGV[1] most results to keep
-- Returns the number of index members removed.
local removed = 0
for _, bucket in ipairs(redis.call('ZRANGE', KEYS[1], 0, 31)) do
  if redis.call('EXISTS', bucket) == 0 then
    redis.call('ZREM', KEYS[1], bucket)
    redis.call('HDEL', KEYS[2], bucket)
    removed = removed + 1
  else
    break
  end
end
local total = 0
for _, size in ipairs(redis.call('HVALS', KEYS[2])) do total = total + tonumber(size) end
local maxResults = tonumber(ARGV[1])
if total <= maxResults then return removed end
local buckets = redis.call('ZRANGE', KEYS[1], 0, 32)
for i = 1, #buckets - 1 do
  if total <= maxResults then break end
  local bucket = buckets[i]
  total = total - (tonumber(redis.call('HGET', KEYS[2], bucket)) or 0)
  -- UNLINK: a full bucket is a big hash, freed off the main thread
  redis.call('UNLINK', bucket)
  redis.call('ZREM', KEYS[1], bucket)
  redis.call('HDEL', KEYS[2], bucket)
  removed = removed + 1
end
return removed
