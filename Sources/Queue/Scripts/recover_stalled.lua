--[[
  The two-phase stalled check (BullMQ's moveStalledJobsToWait), at most once per interval across
  all workers. In a fair queue a recovered job frees its tenant's slot and goes to the front of
  its tenant's turn; tenants held at their concurrency limit are checked again.

  KEYS: 1-10 the shared queue keys, 11 stalled-check mutex
  ARGV: 1 B, 2 max stalled count, 3 now ms, 4 stalled interval ms
  Effects: jobs suspected at the previous run whose lock has lapsed leave active, stc+1, go to the
           front of wait (with defa set once stc exceeds the maximum, so the next fetch fails them),
           events waiting + stalled; then every active job becomes a suspect for the next run.
  Returns: { recovered ids, ids marked to fail }
]]
local k = queueKeys()
local B = ARGV[1]
if redis.call("EXISTS", KEYS[11]) == 1 then return { {}, {} } end
redis.call("SET", KEYS[11], ARGV[3], "PX", ARGV[4])
local limit = maxEvents(k.meta)
redis.call("XTRIM", k.events, "MAXLEN", "~", limit)

local maxStalled = tonumber(ARGV[2]) or 1
local recovered, doomed = {}, {}
local suspects = redis.call("SMEMBERS", k.stalled)
redis.call("DEL", k.stalled)
local wake = false
for _, jobId in ipairs(suspects) do
  local jobKey = B .. jobId
  if redis.call("EXISTS", jobKey .. ":lock") == 0 and redis.call("LREM", k.active, 1, jobId) > 0 then
    if redis.call("EXISTS", jobKey) == 1 then
      local stalls = redis.call("HINCRBY", jobKey, "stc", 1)
      if stalls > maxStalled and redis.call("HEXISTS", jobKey, "rjk") == 0 then
        redis.call("HSET", jobKey, "defa", "job stalled more than allowable limit")
        table.insert(doomed, jobId)
      end
      leaveActive(k, B, jobId)
      local tenant = isFair(k) and redis.call("HGET", jobKey, "tid")
      if tenant and tenant ~= "" then
        fairEnqueue(B, jobId, 0, true, tenant)
      else
        redis.call("RPUSH", k.wait, jobId)
      end
      countJobMove(B, jobId, "active", "waiting")
      emit(k.events, limit, "waiting", "jobId", jobId, "prev", "active")
      emit(k.events, limit, "stalled", "jobId", jobId)
      table.insert(recovered, jobId)
      wake = true
    end
  end
end
fairRecheckHeld(k, B)
if wake and not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end

local active = redis.call("LRANGE", k.active, 0, -1)
for i = 1, #active, 5000 do
  redis.call("SADD", k.stalled, unpack(active, i, math.min(i + 4999, #active)))
end
return { recovered, doomed }
