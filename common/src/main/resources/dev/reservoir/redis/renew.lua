-- Renews the claim on tasks this consumer is still running (resets their idle time without
-- counting a delivery), so a long task is never handed to a second worker.
-- KEYS[1] stream; ARGV[1] group, ARGV[2] consumer, ARGV[3..] stream ids
-- Returns the ids no longer owned by this consumer (their outcome will be discarded).
local lost = {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if #p == 1 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
