-- Writes a batch of task outcomes and acknowledges their tasks in one atomic step, only for tasks
-- that the calling consumer still owns (a task reclaimed by another worker is skipped: exactly one
-- outcome per task). The per-task work is kept to a minimum: each outcome is one pre-encoded value
-- (docs/protocol.md, "Outcome encoding"), written with one HSET into the current result bucket and
-- one XADD per reply stream for the whole batch, and acknowledged with one XACK. Acknowledged
-- entries are not deleted here (XDEL costs more than the rest of the work); trim.lua removes them
-- in bulk.
-- KEYS[1] tasks stream, KEYS[2] dead-letter stream, KEYS[3] stats hash, KEYS[4] result bucket hash,
--   KEYS[5] result bucket index (sorted set), KEYS[6] result bucket sizes (hash), KEYS[6+r] reply stream r
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] result TTL (ms), ARGV[4] reply TTL (ms),
--   ARGV[5] dead-letter approximate max length, ARGV[6] bucket number (index score),
--   ARGV[7] lowest and ARGV[8] highest stream id of the batch, ARGV[9] n outcomes,
--   ARGV[10] f failed outcomes, ARGV[11] g groups, ARGV[12] reply stream approximate max length,
--   then the n stream ids (outcome i = stream id i),
--   then per group: reply stream number r (0: none) and its size c,
--   then per outcome, group after group: task id, encoded outcome,
--   then per failed outcome: outcome number, field count, dead-letter fields...
-- A reply stream is bounded twice (dev.reservoir.protocol.ReplyStreams): by length (MAXLEN ~), and in
-- time: its TTL is set only by the write that creates it, and renewed only by its reader, so outcomes
-- for a client that went away do not keep its stream alive.
-- A script that fails half-way keeps what it wrote and acknowledges nothing, and its caller retries the
-- batch for ever: so no key that another Redis client can write may make a command here fail. A reply
-- key that is not a stream (the client's, left alone) gets no reply; the results are stored, so the
-- client finds them by id. A key of this pool holding the wrong type is replaced (own()).
-- Returns the numbers of the outcomes skipped (no longer owned by this consumer); usually empty.
local group = ARGV[1]
local resultTtl = tonumber(ARGV[3])
local n, f, g = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local sid0 = 13
local groups0 = sid0 + n
local pairs0 = groups0 + 2 * g
local dead0 = pairs0 + 2 * n
-- One XPENDING for the whole batch, limited to the batch's id range: the consumer's claims there.
local owned = {}
for _, p in ipairs(redis.call('XPENDING', KEYS[1], group, ARGV[7], ARGV[8], 100000, ARGV[2])) do
  owned[p[1]] = true
end
local skipped, written = {}, {}
for i = 1, n do
  local sid = ARGV[sid0 + i - 1]
  if owned[sid] then
    owned[sid] = nil -- a stream id listed twice is written once
    written[i] = true
  else
    skipped[#skipped + 1] = i
  end
end
-- Runs a command on a key of this pool; a wrong-typed value there (only a foreign client can put one
-- there) is deleted and the command run again. Any other error stops the script, as redis.call would.
local function own(cmd, key, ...)
  local r = redis.pcall(cmd, key, ...)
  if type(r) == 'table' and r.err then
    if string.sub(r.err, 1, 9) ~= 'WRONGTYPE' then error(r) end
    redis.call('DEL', key)
    r = redis.call(cmd, key, ...)
  end
  return r
end
-- Appends to a client's reply stream; a key that is not a stream gets nothing (see above).
local function reply(key, ...)
  local r = redis.pcall('XADD', key, 'MAXLEN', '~', ARGV[12], '*', ...)
  if type(r) == 'table' and r.err then
    if string.sub(r.err, 1, 9) ~= 'WRONGTYPE' then error(r) end
    return
  end
  if redis.call('PTTL', key) == -1 then redis.call('PEXPIRE', key, ARGV[4]) end
end
local function addReply(key, from, to)
  reply(key, unpack(ARGV, from, to))
end
local function finishBucket(results)
  -- Every result lives at least the TTL after it was written; never shorten a bucket's life.
  if redis.call('PTTL', KEYS[4]) < resultTtl then redis.call('PEXPIRE', KEYS[4], resultTtl) end
  own('ZADD', KEYS[5], 'NX', ARGV[6], KEYS[4])
  -- counted per bucket so that prune-results.lua bounds the results kept by count cheaply
  own('HINCRBY', KEYS[6], KEYS[4], results)
end
if #skipped == 0 and n <= 1000 then
  -- The usual case: everything is still ours, and the arguments are laid out to be passed on as they are.
  own('HSET', KEYS[4], unpack(ARGV, pairs0, dead0 - 1))
  finishBucket(n)
  local at = pairs0
  for j = 0, g - 1 do
    local r, c = tonumber(ARGV[groups0 + 2 * j]), tonumber(ARGV[groups0 + 2 * j + 1])
    if r > 0 then
      addReply(KEYS[6 + r], at, at + 2 * c - 1)
    end
    at = at + 2 * c
  end
  redis.call('XACK', KEYS[1], group, unpack(ARGV, sid0, groups0 - 1))
elseif #skipped < n then
  -- Some were taken over by other workers (or the batch is huge): write the rest in slices
  -- (unpack() is bounded by the Lua stack).
  local function sliced(run, head, list)
    for s = 1, #list, 4000 do
      local args = {}
      for _, h in ipairs(head) do args[#args + 1] = h end
      for k = s, math.min(#list, s + 3999) do args[#args + 1] = list[k] end
      run(unpack(args))
    end
  end
  local function xack(...) redis.call('XACK', ...) end
  local function hset(...) own('HSET', ...) end
  local results, acks = {}, {}
  local i, at = 1, pairs0
  for j = 0, g - 1 do
    local r, c = tonumber(ARGV[groups0 + 2 * j]), tonumber(ARGV[groups0 + 2 * j + 1])
    local rep = {}
    for _ = 1, c do
      if written[i] then
        results[#results + 1] = ARGV[at]
        results[#results + 1] = ARGV[at + 1]
        rep[#rep + 1] = ARGV[at]
        rep[#rep + 1] = ARGV[at + 1]
        acks[#acks + 1] = ARGV[sid0 + i - 1]
      end
      i = i + 1
      at = at + 2
    end
    if r > 0 and #rep > 0 then
      local key = KEYS[6 + r]
      sliced(function(...) reply(key, ...) end, {}, rep)
    end
  end
  sliced(hset, {KEYS[4]}, results)
  finishBucket(#results / 2)
  sliced(xack, {KEYS[1], group}, acks)
end
local failed, a = 0, dead0
for _ = 1, f do
  local i, nf = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  if written[i] then
    own('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', unpack(ARGV, a + 2, a + 1 + nf * 2))
    failed = failed + 1
  end
  a = a + 2 + nf * 2
end
local ok = n - #skipped - failed
if ok > 0 then own('HINCRBY', KEYS[3], 'completed', ok) end
if failed > 0 then
  own('HINCRBY', KEYS[3], 'failed', failed)
  own('HINCRBY', KEYS[3], 'dead_lettered', failed)
end
return skipped
