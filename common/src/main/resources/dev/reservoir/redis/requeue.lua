-- Puts tasks back on the shared stream as new entries, atomically acknowledging and deleting the
-- old ones: used to retry after a failure, to hand back unstarted tasks when a worker drains, and
-- by the operator / local supervisor to hand back at once what a dead worker had claimed.
-- Only entries still owned by ARGV[2] are moved, so a task can never be duplicated.
-- KEYS[1] source stream (tasks or an inbox), KEYS[2] target stream (tasks), KEYS[3] stats hash,
--   KEYS[4] dead-letter stream
-- ARGV[1] group, ARGV[2] owner consumer, ARGV[3] extra attempts (0 = hand back unstarted,
--   1 = the task was run or may have been), ARGV[4] last error ('' keeps the old one),
--   ARGV[5] stats counter to increment, ARGV[6] max attempts (0: no limit here),
--   ARGV[7] dead-letter payload prefix (bytes), ARGV[8] dead-letter approximate max length,
--   ARGV[9..] stream ids
-- The new attempt is: attempt field + (deliveries - 1) + extra, so work lost with dead workers counts.
-- A task whose new attempt would exceed max attempts goes to the dead letters as WorkerLost instead,
-- decided here, in Redis: a task that kills every worker that reads it (a payload too big for the
-- heap) is never read by a worker again, so no worker could end it.
-- Returns the number of tasks moved (dead-lettered ones included).
local moved, lost = 0, 0
local maxAttempts = tonumber(ARGV[6])
for i = 9, #ARGV do
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
      local next = attempt + deliveries - 1 + tonumber(ARGV[3])
      if ARGV[4] ~= '' then lastError = ARGV[4] end
      if maxAttempts > 0 and next > maxAttempts then
        -- The fields of a worker's dead letter (docs/protocol.md), with a bounded prefix of the payload.
        local dead = {'status', 'failed', 'error_type', 'WorkerLost', 'worker', '', 'duration_us', '0'}
        local t = redis.call('TIME')
        dead[#dead + 1] = 'finished'
        dead[#dead + 1] = tostring(t[1] * 1000 + math.floor(t[2] / 1000))
        dead[#dead + 1] = 'attempts'
        dead[#dead + 1] = tostring(next - 1)
        dead[#dead + 1] = 'error_message'
        dead[#dead + 1] = 'gave up after ' .. (next - 1) .. ' attempt(s) (maxAttempts=' .. maxAttempts .. '): every worker that took it'
            .. ' stopped before finishing it' .. (lastError and (' (last: ' .. lastError .. ')') or '')
        for j = 1, #out, 2 do
          if out[j] == 'payload' then
            dead[#dead + 1] = 'payload'
            dead[#dead + 1] = string.sub(out[j + 1], 1, tonumber(ARGV[7]))
            dead[#dead + 1] = 'payload_bytes'
            dead[#dead + 1] = tostring(string.len(out[j + 1]))
          elseif out[j] == 'id' or out[j] == 'handler' then
            dead[#dead + 1] = out[j]
            dead[#dead + 1] = out[j + 1]
          end
        end
        redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', unpack(dead))
        lost = lost + 1
      else
        out[#out + 1] = 'attempt'
        out[#out + 1] = tostring(next)
        if lastError then
          out[#out + 1] = 'last_error'
          out[#out + 1] = lastError
        end
        redis.call('XADD', KEYS[2], '*', unpack(out))
      end
      moved = moved + 1
    end
    redis.call('XACK', KEYS[1], ARGV[1], id)
    redis.call('XDEL', KEYS[1], id)
  end
end
if moved - lost > 0 then redis.call('HINCRBY', KEYS[3], ARGV[5], moved - lost) end
if lost > 0 then
  redis.call('HINCRBY', KEYS[3], 'failed', lost)
  redis.call('HINCRBY', KEYS[3], 'dead_lettered', lost)
end
return moved
