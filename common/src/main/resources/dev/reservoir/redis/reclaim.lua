-- Claims tasks whose owner has not renewed them for the visibility timeout (a dead or stuck worker)
-- and returns them with their delivery count, so the caller can compute the attempt number.
-- Each call looks at one page of the group's pending list, starting after a cursor the caller keeps
-- and passes back, so that repeated calls walk the whole list whatever its length and however few
-- slots the caller has free: a dead worker's claims are reached even behind many renewed ones. The
-- work per call is bounded by the page size (one XPENDING of at most that many entries, then one
-- XCLAIM per claimed task). XAUTOCLAIM is not used because it scans at most ten times its COUNT,
-- which is the caller's free slots: with one or two free, it would see only the head of the list.
-- KEYS[1] stream, KEYS[2] stats hash; ARGV[1] group, ARGV[2] consumer, ARGV[3] min idle ms,
--   ARGV[4] count (most tasks to claim), ARGV[5] cursor (a stream id; '0-0' = from the start),
--   ARGV[6] page (most pending entries to look at)
-- Returns { next cursor ('0-0' when the list was walked to its end), { {id, fields, deliveries}, ... } }
local minIdle, count, page = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '(' .. ARGV[5], '+', page)
local out, next = {}, '0-0'
if #pending == page then next = pending[#pending][1] end
for _, p in ipairs(pending) do
  if #out >= count then
    -- Out of slots: the next call starts right after the last task claimed, so nothing is skipped.
    next = out[#out][1]
    break
  end
  if tonumber(p[3]) >= minIdle then
    -- XCLAIM checks the idle time again (atomic here anyway) and counts the delivery. An entry that
    -- was deleted from the stream comes back empty (and leaves the pending list): nothing to run.
    local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], minIdle, p[1])
    local e = claimed[1]
    if type(e) == 'table' and type(e[2]) == 'table' then
      out[#out + 1] = {e[1], e[2], tonumber(p[4]) + 1}
    end
  end
end
if #out > 0 then redis.call('HINCRBY', KEYS[2], 'reclaimed', #out) end
return {next, out}
