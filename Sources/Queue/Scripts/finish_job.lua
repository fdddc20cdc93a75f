--[[
  Completes or fails an active job, applies the keep-jobs policy and per-minute metrics, and
  optionally fetches the next job in the same call (BullMQ's moveToFinished).

  KEYS: 1-10 the shared queue keys, 11 completed|failed set, 12 metrics:completed|failed hash, 13 job hash
  ARGV: 1 B, 2 jobId, 3 now ms, 4 "completed"|"failed", 5 return value JSON or failure reason,
        6 lock token ("0": not locked), 7 keep count (-1 all, 0 none, N newest), 8 keep age s (0: any),
        9 keep limit (max deleted per call), 10 attempts (for retries-exhausted), 11 stacktrace JSON or "",
        12 fetch next "1"/"0", 13 lock duration ms, 14 limiter max, 15 limiter duration ms,
        16 worker name, 17 metrics data points ("0": no metrics)
  Errors: -1 missing job, -2 missing lock, -3 not active, -4 children still pending, -6 lock owned by
          another token, -9 a child failed the parent (fpof)
  Effects: lock released, SREM stalled, LREM active, atm+1, ZADD target finishedOn (or delete),
           per-minute metrics of the queue and of the job's tenant (tm:<tenant>:<minute>),
           returnvalue|failedReason, finishedOn, dedup key released, events completed|failed
           (+ retries-exhausted, drained), tenant index kept consistent with deletions; a flow child
           settles with its parent (settleParent in lib.lua), possibly in another queue.
  Returns: fetch tuple as fetch_job.lua when fetching next, else 0; or a negative error code.
]]
local k = queueKeys()
local B = ARGV[1]
local jobId = ARGV[2]
local jobKey = KEYS[13]
local now = tonumber(ARGV[3])
local target = ARGV[4]
local limit = maxEvents(k.meta)

local token = ARGV[6]
-- A flow's parent completes only after its children (BullMQ's -4 and -9); Redis deletes empty
-- sets, so an existing key is a non-empty one.
if target == "completed" and redis.call("EXISTS", jobKey .. ":dependencies", jobKey .. ":unsuccessful") > 0 then
  if redis.call("EXISTS", jobKey .. ":dependencies") == 1 then return -4 end
  return -9
end
local released = releaseActiveJob(k, jobKey, jobId, token)
if released then return released end

local attemptsMade = redis.call("HINCRBY", jobKey, "atm", 1)
local fields = redis.call("HMGET", jobKey, "deid", "parent", "tid")
releaseDeduplication(B, jobId, fields[1], true)
settleParent(jobKey, fields[2], now, target == "completed", ARGV[5])

local keepCount = tonumber(ARGV[7])
local keepAge = tonumber(ARGV[8]) or 0
local keepLimit = tonumber(ARGV[9]) or 1000
if keepCount == 0 then
  deleteJob(B, jobId, true, "active")
else
  countJobMove(B, jobId, "active", target)
  local valueField = "returnvalue"
  if target == "failed" then valueField = "failedReason" end
  redis.call("ZADD", KEYS[11], now, jobId)
  redis.call("HSET", jobKey, valueField, ARGV[5], "finishedOn", now)
  if target == "failed" then
    redis.call("HDEL", jobKey, "defa")
    if ARGV[11] ~= "" then redis.call("HSET", jobKey, "stacktrace", ARGV[11]) end
  end
  if keepAge > 0 then
    local old = redis.call("ZRANGEBYSCORE", KEYS[11], 0, now - keepAge * 1000, "LIMIT", 0, keepLimit)
    for _, oldId in ipairs(old) do
      deleteJob(B, oldId, true, target)
      redis.call("ZREM", KEYS[11], oldId)
    end
  end
  if keepCount and keepCount > 0 then
    local excess = redis.call("ZRANGE", KEYS[11], 0, -(keepCount + 1))
    for _, oldId in ipairs(excess) do
      deleteJob(B, oldId, true, target)
      redis.call("ZREM", KEYS[11], oldId)
    end
  end
end

if target == "completed" then
  emit(k.events, limit, "completed", "jobId", jobId, "returnvalue", ARGV[5], "prev", "active")
else
  emit(k.events, limit, "failed", "jobId", jobId, "failedReason", ARGV[5], "prev", "active")
  local attempts = tonumber(ARGV[10]) or 0
  if attemptsMade >= attempts then
    emit(k.events, limit, "retries-exhausted", "jobId", jobId, "attemptsMade", attemptsMade)
  end
end

local dataPoints = tonumber(ARGV[17]) or 0
if dataPoints > 0 then
  -- Per-minute counts: "count" is the running total; each elapsed minute pushes the delta since
  -- the previous minute (zeros for idle minutes), newest first.
  local metricsKey = KEYS[12]
  local dataKey = metricsKey .. ":data"
  local count = redis.call("HINCRBY", metricsKey, "count", 1)
  local previous = redis.call("HMGET", metricsKey, "prevTS", "prevCount")
  local minute = math.floor(now / 60000) * 60000
  if not previous[1] then
    redis.call("HSET", metricsKey, "prevTS", minute, "prevCount", 0)
  else
    local elapsed = math.floor((minute - tonumber(previous[1])) / 60000)
    if elapsed > 0 then
      local delta = count - 1 - tonumber(previous[2])
      redis.call("LPUSH", dataKey, delta)
      for _ = 2, math.min(elapsed, dataPoints) do redis.call("LPUSH", dataKey, 0) end
      redis.call("LTRIM", dataKey, 0, dataPoints - 1)
      redis.call("HSET", metricsKey, "prevTS", minute, "prevCount", count - 1)
    end
  end
  -- Per tenant (our extension, for the dashboard): the minute's finishes of the job's tenant in
  -- B .. "tm:" .. tenant .. ":" .. minute number, a hash {completed, failed} that lives two hours.
  if fields[3] then
    local bucket = B .. "tm:" .. fields[3] .. ":" .. string.format("%d", minute / 60000)
    redis.call("HINCRBY", bucket, target, 1)
    redis.call("EXPIRE", bucket, 7260)
  end
end

if ARGV[12] == "1" then
  local next = fetchNextJob(k, B, now, token, tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15]), ARGV[16], limit)
  if next[2] ~= 0 then return next end
  if redis.call("LLEN", k.active) == 0 and not hasRunnable(k, B) then
    emit(k.events, limit, "drained")
  end
  return next
end
if redis.call("LLEN", k.active) == 0 and not hasRunnable(k, B) then
  emit(k.events, limit, "drained")
end
return 0
