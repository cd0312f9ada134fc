-- Puts tasks back on the shared stream as new entries, atomically acknowledging and deleting the
-- old ones: used to retry after a failure, to hand back unstarted tasks when a worker drains, and
-- by the operator / local supervisor to hand back at once what a dead worker had claimed.
-- Only entries still owned by ARGV[2] are moved, so a task can never be duplicated.
-- KEYS[1] source stream (tasks or an inbox), KEYS[2] target stream (tasks), KEYS[3] stats hash
-- ARGV[1] group, ARGV[2] owner consumer, ARGV[3] extra attempts (0 = hand back unstarted,
--   1 = the task was run or may have been), ARGV[4] last error ('' keeps the old one),
--   ARGV[5] stats counter to increment, ARGV[6..] stream ids
-- The new attempt is: attempt field + (deliveries - 1) + extra, so work lost with dead workers counts.
-- Returns the number of tasks moved.
local moved = 0
for i = 6, #ARGV do
  local id = ARGV[i]
  local owned = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1, ARGV[2])
  if #owned == 1 then
    local deliveries = tonumber(owned[1][4])
    local entry = redis.call('XRANGE', KEYS[1], id, id)
    if #entry == 1 then
      local f = entry[1][2]
      local out = {}
      local attempt = 1
      local lastError = nil
      for j = 1, #f, 2 do
        if f[j] == 'attempt' then
          attempt = tonumber(f[j + 1]) or 1
        elseif f[j] == 'last_error' then
          lastError = f[j + 1]
        else
          out[#out + 1] = f[j]
          out[#out + 1] = f[j + 1]
        end
      end
      out[#out + 1] = 'attempt'
      out[#out + 1] = tostring(attempt + deliveries - 1 + tonumber(ARGV[3]))
      if ARGV[4] ~= '' then lastError = ARGV[4] end
      if lastError then
        out[#out + 1] = 'last_error'
        out[#out + 1] = lastError
      end
      redis.call('XADD', KEYS[2], '*', unpack(out))
      moved = moved + 1
    end
    redis.call('XACK', KEYS[1], ARGV[1], id)
    redis.call('XDEL', KEYS[1], id)
  end
end
if moved > 0 then redis.call('HINCRBY', KEYS[3], ARGV[5], moved) end
return moved
