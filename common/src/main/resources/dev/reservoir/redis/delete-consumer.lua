-- Deletes a consumer from the group only when it owns no pending entries (never lose a claim).
-- KEYS[1] stream; ARGV[1] group, ARGV[2] consumer. Returns 1 deleted, 0 kept (still owns tasks).
local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
