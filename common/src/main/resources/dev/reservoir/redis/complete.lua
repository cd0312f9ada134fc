-- Writes a batch of task outcomes and acknowledges their tasks in one atomic step, only for tasks
-- that the calling consumer still owns (a task reclaimed by another worker is skipped: exactly one
-- outcome per task). The per-task work is kept to a minimum: each outcome is one pre-encoded value
-- (docs/protocol.md, "Outcome encoding"), written with one HSET into the current result bucket and
-- one XADD per reply stream for the whole batch, and acknowledged with one XACK. Acknowledged
-- entries are not deleted here (XDEL costs more than the rest of the work); trim.lua removes them
-- in bulk.
-- KEYS[1] tasks stream, KEYS[2] dead-letter stream, KEYS[3] stats hash, KEYS[4] result bucket hash,
--   KEYS[5] result bucket index (sorted set), KEYS[5+r] reply stream r (r = 1..#replies)
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] result TTL (ms), ARGV[4] reply TTL (ms),
--   ARGV[5] dead-letter approximate max length, ARGV[6] bucket number (index score),
--   ARGV[7] lowest and ARGV[8] highest stream id of the batch, ARGV[9] n outcomes,
--   ARGV[10] f failed outcomes,
--   then per outcome: stream id, task id, encoded outcome, reply stream number (0: none),
--   then per failed outcome: outcome number, field count, dead-letter fields...
-- Returns one integer per outcome: 1 written, 0 skipped (no longer owned by this consumer).
local group, consumer = ARGV[1], ARGV[2]
local resultTtl, replyTtl = tonumber(ARGV[3]), ARGV[4]
local n, f = tonumber(ARGV[9]), tonumber(ARGV[10])
-- One XPENDING for the whole batch, limited to the batch's id range: the consumer's claims there.
local owned = {}
for _, p in ipairs(redis.call('XPENDING', KEYS[1], group, ARGV[7], ARGV[8], 100000, consumer)) do
  owned[p[1]] = true
end
local written, results, acks, replies = {}, {}, {}, {}
local ok = 0
local a = 11
for i = 1, n do
  local sid = ARGV[a]
  if owned[sid] then
    owned[sid] = nil
    local tid, outcome, r = ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
    results[#results + 1] = tid
    results[#results + 1] = outcome
    acks[#acks + 1] = sid
    if r > 0 then
      local rep = replies[r]
      if not rep then
        rep = {}
        replies[r] = rep
      end
      rep[#rep + 1] = tid
      rep[#rep + 1] = outcome
    end
    written[i] = 1
    ok = ok + 1
  else
    written[i] = 0
  end
  a = a + 4
end
-- unpack() is bounded by the Lua stack: write big batches in slices.
local function sliced(cmd, head, list)
  local step = 4000
  for s = 1, #list, step do
    local args = {}
    for _, h in ipairs(head) do args[#args + 1] = h end
    for j = s, math.min(#list, s + step - 1) do args[#args + 1] = list[j] end
    redis.call(cmd, unpack(args))
  end
end
if #results > 0 then
  sliced('HSET', {KEYS[4]}, results)
  -- Every result lives at least the TTL after it was written; never shorten a bucket's life.
  if redis.call('PTTL', KEYS[4]) < resultTtl then redis.call('PEXPIRE', KEYS[4], resultTtl) end
  redis.call('ZADD', KEYS[5], 'NX', ARGV[6], KEYS[4])
  for r, rep in pairs(replies) do
    sliced('XADD', {KEYS[5 + r], '*'}, rep)
    redis.call('PEXPIRE', KEYS[5 + r], replyTtl)
  end
  sliced('XACK', {KEYS[1], group}, acks)
end
local failed = 0
for _ = 1, f do
  local i, nf = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  if written[i] == 1 then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', unpack(ARGV, a + 2, a + 1 + nf * 2))
    failed = failed + 1
  end
  a = a + 2 + nf * 2
end
ok = ok - failed
if ok > 0 then redis.call('HINCRBY', KEYS[3], 'completed', ok) end
if failed > 0 then
  redis.call('HINCRBY', KEYS[3], 'failed', failed)
  redis.call('HINCRBY', KEYS[3], 'dead_lettered', failed)
end
return written
