--[[
  Single-job admin actions: promote a delayed job, retry a failed (or re-run a completed) job,
  remove a job, update progress, add a log line.

  KEYS: 1-10 the shared queue keys, 11 completed set, 12 failed set, 13 waiting-children set, 14 job hash
  ARGV: 1 B, 2 action ("promote" | "retry" | "remove" | "progress" | "log"), 3 jobId, 4 now ms,
        5 argument (progress JSON, log line), 6 keep logs (log: lines kept, "0": all)
  Errors: -1 missing job, -3 not in the state the action needs, -4 job is locked (remove)
  Returns: 0 (log: the number of lines)
]]
local k = queueKeys()
local B = ARGV[1]
local action = ARGV[2]
local jobId = ARGV[3]
local jobKey = KEYS[14]
local now = tonumber(ARGV[4])
local limit = maxEvents(k.meta)
if redis.call("EXISTS", jobKey) == 0 then return -1 end

local function wakeUnlessPaused()
  if not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end
end

if action == "promote" then
  if redis.call("ZREM", k.delayed, jobId) == 0 then return -3 end
  local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
  enqueueRunnable(k, B, jobId, priority, false, nil)
  countJobMove(B, jobId, "delayed", runnableState(priority))
  redis.call("HSET", jobKey, "delay", 0)
  wakeUnlessPaused()
  emit(k.events, limit, "waiting", "jobId", jobId, "prev", "delayed")
  return 0
elseif action == "retry" then
  local previous = "failed"
  if redis.call("ZREM", KEYS[12], jobId) == 0 then
    if redis.call("ZREM", KEYS[11], jobId) == 0 then return -3 end
    previous = "completed"
  end
  redis.call("HDEL", jobKey, "finishedOn", "processedOn", "failedReason", "returnvalue", "stacktrace", "defa", "stc", "cxl")
  redis.call("HSET", jobKey, "atm", 0, "ats", 0)
  local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
  enqueueRunnable(k, B, jobId, priority, false, nil)
  countJobMove(B, jobId, previous, runnableState(priority))
  wakeUnlessPaused()
  emit(k.events, limit, "waiting", "jobId", jobId, "prev", previous)
  return 0
elseif action == "remove" then
  if redis.call("EXISTS", jobKey .. ":lock") == 1 then return -4 end
  local previous = fairDequeue(k, B, jobId) or "unknown"
  if previous ~= "unknown" then
    -- taken out of its tenant's turn (fair queue)
  elseif redis.call("LREM", k.wait, 0, jobId) > 0 then previous = "waiting"
  elseif redis.call("LREM", k.active, 0, jobId) > 0 then
    previous = "active"
    leaveActive(k, B, jobId)
  elseif redis.call("ZREM", k.prioritized, jobId) > 0 then previous = "prioritized"
  elseif redis.call("ZREM", k.delayed, jobId) > 0 then previous = "delayed"
  elseif redis.call("ZREM", KEYS[11], jobId) > 0 then previous = "completed"
  elseif redis.call("ZREM", KEYS[12], jobId) > 0 then previous = "failed"
  elseif redis.call("ZREM", KEYS[13], jobId) > 0 then previous = "waiting-children"
  end
  redis.call("SREM", k.stalled, jobId)
  local counted = previous
  if previous == "unknown" then counted = nil end
  deleteJob(B, jobId, false, counted)
  emit(k.events, limit, "removed", "jobId", jobId, "prev", previous)
  return 0
elseif action == "progress" then
  redis.call("HSET", jobKey, "progress", ARGV[5])
  emit(k.events, limit, "progress", "jobId", jobId, "data", ARGV[5])
  return 0
elseif action == "log" then
  local count = redis.call("RPUSH", jobKey .. ":logs", ARGV[5])
  local keep = tonumber(ARGV[6]) or 0
  if keep > 0 then
    redis.call("LTRIM", jobKey .. ":logs", -keep, -1)
    count = math.min(count, keep)
  end
  return count
end
return redis.error_reply("unknown admin action " .. action)
