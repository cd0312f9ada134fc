-- Writes task outcomes and acknowledges their tasks in one atomic step, only for tasks that the
-- calling consumer still owns (a task reclaimed by another worker is skipped: exactly one outcome).
-- Acknowledged entries are not deleted here (XDEL costs more than the rest of the work); trim.lua
-- removes them in bulk.
-- KEYS[1] source stream, KEYS[2] dead-letter stream, KEYS[3] stats hash,
--   then per outcome i: KEYS[2+2i] result hash, KEYS[3+2i] reply stream (= result hash when none)
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] result TTL (s), ARGV[4] reply TTL (s),
--   ARGV[5] dead-letter approximate max length, ARGV[6] n,
--   then per outcome: stream id, status, has-reply (1/0), field count, fields..., and when failed:
--   handler, payload (kept in the dead letter so it can be replayed)
-- Returns one integer per outcome: 1 written, 0 skipped (no longer owned by this consumer).
local group, consumer = ARGV[1], ARGV[2]
local resultTtl, replyTtl, deadMax = ARGV[3], ARGV[4], ARGV[5]
local n = tonumber(ARGV[6])
-- One XPENDING for the whole batch: the consumer's claims (a worker holds at most threads + prefetch).
local owned = {}
for _, p in ipairs(redis.call('XPENDING', KEYS[1], group, '-', '+', 100000, consumer)) do
  owned[p[1]] = true
end
local a = 7
local written = {}
local ok, failed = 0, 0
local replies = {}
for i = 1, n do
  local resultKey, replyKey = KEYS[2 + 2 * i], KEYS[3 + 2 * i]
  local msgId, status, hasReply, nf = ARGV[a], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
  local first = a + 4
  a = first + nf * 2
  local handler, payload
  if status == 'failed' then
    handler, payload = ARGV[a], ARGV[a + 1]
    a = a + 2
  end
  if owned[msgId] then
    owned[msgId] = nil
    local last = first + nf * 2 - 1
    redis.call('HSET', resultKey, unpack(ARGV, first, last))
    redis.call('EXPIRE', resultKey, resultTtl)
    if hasReply == '1' then
      redis.call('XADD', replyKey, '*', unpack(ARGV, first, last))
      replies[replyKey] = true
    end
    if status == 'failed' then
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', deadMax, '*', 'handler', handler, 'payload', payload, unpack(ARGV, first, last))
      failed = failed + 1
    else
      ok = ok + 1
    end
    redis.call('XACK', KEYS[1], group, msgId)
    written[i] = 1
  else
    written[i] = 0
  end
end
for key in pairs(replies) do redis.call('EXPIRE', key, replyTtl) end
if ok > 0 then redis.call('HINCRBY', KEYS[3], 'completed', ok) end
if failed > 0 then
  redis.call('HINCRBY', KEYS[3], 'failed', failed)
  redis.call('HINCRBY', KEYS[3], 'dead_lettered', failed)
end
return written
