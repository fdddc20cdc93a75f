--[[
  Adds one job (standard, LIFO, prioritized or delayed), honouring a custom id and deduplication.

  KEYS: 1-10 the shared queue keys (see queueKeys), 11 id counter, 12 tenant index (only when ARGV[14] is set)
  ARGV: 1 B, 2 custom job id or "", 3 name, 4 timestamp ms, 5 data JSON, 6 opts JSON, 7 delay ms,
        8 priority, 9 lifo "1"/"0", 10 dedup id or "", 11 dedup ttl ms ("0": until the job finishes),
        12 dedup extend "1"/"0", 13 dedup replace "1"/"0", 14 tenant id or ""
  Effects: INCR id always (as BullMQ does); job hash; wait/prioritized/delayed entry; marker;
           events added + waiting|delayed (or duplicated / deduplicated); tenant index entry.
  Returns: { jobId, "added" | "duplicated" | "deduplicated" }
]]
local k = queueKeys()
local B = ARGV[1]
local counter = redis.call("INCR", KEYS[11])
local jobId = ARGV[2]
if jobId == "" then jobId = tostring(counter) end
local jobKey = B .. jobId
local limit = maxEvents(k.meta)
local timestamp = tonumber(ARGV[4])
local delay = tonumber(ARGV[7]) or 0
local priority = tonumber(ARGV[8]) or 0

if ARGV[2] ~= "" and redis.call("EXISTS", jobKey) == 1 then
  emit(k.events, limit, "duplicated", "jobId", jobId)
  return { jobId, "duplicated" }
end

local dedupId = ARGV[10]
if dedupId ~= "" then
  local dedupKey = B .. "de:" .. dedupId
  local ttl = tonumber(ARGV[11]) or 0
  local claimed
  if ttl > 0 then
    claimed = redis.call("SET", dedupKey, jobId, "PX", ttl, "NX")
  else
    claimed = redis.call("SET", dedupKey, jobId, "NX")
  end
  if not claimed then
    local owner = redis.call("GET", dedupKey)
    local ownerGone = owner and redis.call("EXISTS", B .. owner) == 0
    local ownerDelayed = owner and redis.call("ZSCORE", k.delayed, owner)
    if ownerGone and redis.call("PTTL", dedupKey) == -1 then
      -- A key left behind by a job that no longer exists: the new job takes it.
      claimed = true
    elseif ARGV[13] == "1" and ownerDelayed then
      -- Replace (debounce): the delayed owner gives way to the new job.
      redis.call("ZREM", k.delayed, owner)
      deleteJob(B, owner)
      emit(k.events, limit, "removed", "jobId", owner, "prev", "delayed")
      claimed = true
    end
    if claimed then
      if ttl > 0 then
        redis.call("SET", dedupKey, jobId, "PX", ttl)
      else
        redis.call("SET", dedupKey, jobId)
      end
    else
      if ARGV[12] == "1" and ttl > 0 then redis.call("PEXPIRE", dedupKey, ttl) end
      emit(k.events, limit, "deduplicated", "jobId", owner, "deduplicationId", dedupId, "deduplicatedJobId", jobId)
      return { owner, "deduplicated" }
    end
  end
end

local fields = { "name", ARGV[3], "data", ARGV[5], "opts", ARGV[6], "timestamp", timestamp, "delay", delay, "priority", priority }
if dedupId ~= "" then
  table.insert(fields, "deid")
  table.insert(fields, dedupId)
end
if ARGV[14] ~= "" then
  table.insert(fields, "tid")
  table.insert(fields, ARGV[14])
end
redis.call("HSET", jobKey, unpack(fields))
emit(k.events, limit, "added", "jobId", jobId, "name", ARGV[3])

if delay > 0 then
  local due = timestamp + delay
  redis.call("ZADD", k.delayed, delayedScore(k.delayed, due), jobId)
  emit(k.events, limit, "delayed", "jobId", jobId, "delay", due)
  scheduleDelayedWake(k.marker, k.delayed)
else
  enqueueRunnable(k, jobId, priority, ARGV[9] == "1")
  if not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end
  emit(k.events, limit, "waiting", "jobId", jobId)
end

if ARGV[14] ~= "" then redis.call("ZADD", KEYS[12], timestamp, jobId) end
return { jobId, "added" }
