--[[
  Queue-wide admin actions: retry all failed jobs, promote all delayed jobs, clean a state,
  drain, obliterate. Each call handles at most ARGV[5] jobs and reports whether work remains,
  so large queues never block Redis for long.

  KEYS: 1-10 the shared queue keys, 11 completed, 12 failed, 13 waiting-children, 14 id counter,
        15 stalled-check, 16 metrics:completed, 17 metrics:failed, 18 legacy paused list, 19 repeat
  ARGV: 1 B, 2 action ("retry-failed" | "promote-delayed" | "clean" | "drain" | "obliterate"),
        3 now ms, 4 state (clean: completed|failed|delayed|wait|prioritized|active|paused),
        5 batch size, 6 grace ms (clean), 7 flag (drain: include delayed "1"; obliterate: force "1")
  Errors: obliterate: -1 queue not paused, -2 active jobs without force
  Returns: { handled count, 1 if more remain else 0, handled ids (clean only) }
]]
local k = queueKeys()
local B = ARGV[1]
local action = ARGV[2]
local now = tonumber(ARGV[3])
local batch = tonumber(ARGV[5]) or 1000
local limit = maxEvents(k.meta)

-- Deletes up to `budget` jobs from the tenants' sets of a fair queue; returns how many, and
-- whether any remain.
local function deleteFairQueued(budget)
  local deleted, remain = 0, false
  for _, name in ipairs(redis.call("SMEMBERS", B .. "fair:tenants")) do
    local queued = B .. "fq:" .. name
    if deleted >= budget then
      if redis.call("EXISTS", queued) == 1 then remain = true end
    else
      local entries = redis.call("ZRANGE", queued, 0, budget - deleted - 1, "WITHSCORES")
      for i = 1, #entries, 2 do
        redis.call("ZREM", queued, entries[i])
        deleteJob(B, entries[i], false, fairQueuedState(entries[i + 1]))
      end
      deleted = deleted + #entries / 2
      if redis.call("ZCARD", queued) > 0 then remain = true end
    end
  end
  return deleted, remain
end

local function moveToWait(setKey, previous)
  local ids = redis.call("ZRANGE", setKey, 0, batch - 1)
  for _, jobId in ipairs(ids) do
    redis.call("ZREM", setKey, jobId)
    local jobKey = B .. jobId
    if previous == "failed" then
      redis.call("HDEL", jobKey, "finishedOn", "processedOn", "failedReason", "stacktrace", "defa", "stc", "cxl")
      redis.call("HSET", jobKey, "atm", 0, "ats", 0)
    else
      redis.call("HSET", jobKey, "delay", 0)
    end
    local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
    enqueueRunnable(k, B, jobId, priority, false, nil)
    countJobMove(B, jobId, previous, runnableState(priority))
    emit(k.events, limit, "waiting", "jobId", jobId, "prev", previous)
  end
  if #ids > 0 and not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end
  local more = 0
  if redis.call("ZCARD", setKey) > 0 then more = 1 end
  return { #ids, more, {} }
end

if action == "retry-failed" then
  return moveToWait(KEYS[12], "failed")
elseif action == "promote-delayed" then
  return moveToWait(k.delayed, "delayed")
elseif action == "clean" then
  local state = ARGV[4]
  local cutoff = now - (tonumber(ARGV[6]) or 0)
  local setKeys = { completed = KEYS[11], failed = KEYS[12], delayed = k.delayed, prioritized = k.prioritized,
    wait = k.wait, active = k.active, paused = KEYS[18] }
  local key = setKeys[state]
  if not key then return redis.error_reply("cannot clean state " .. tostring(state)) end
  local isList = state == "wait" or state == "active" or state == "paused"
  local candidates
  if state == "completed" or state == "failed" then
    candidates = redis.call("ZRANGEBYSCORE", key, 0, cutoff, "LIMIT", 0, batch)
  elseif isList then
    candidates = redis.call("LRANGE", key, -batch, -1)
  else
    candidates = redis.call("ZRANGE", key, 0, batch - 1)
  end
  local removed = {}
  for _, jobId in ipairs(candidates) do
    local jobKey = B .. jobId
    local times = redis.call("HMGET", jobKey, "finishedOn", "processedOn", "timestamp")
    local at = tonumber(times[1]) or tonumber(times[2]) or tonumber(times[3]) or 0
    local locked = state == "active" and redis.call("EXISTS", jobKey .. ":lock") == 1
    if at <= cutoff and not locked then
      if isList then redis.call("LREM", key, 0, jobId) else redis.call("ZREM", key, jobId) end
      local counted = state
      if state == "wait" or state == "paused" then counted = "waiting" end
      -- A cleaned active job gives its tenant's slot back (before its hash goes).
      if state == "active" then leaveActive(k, B, jobId) end
      deleteJob(B, jobId, false, counted)
      table.insert(removed, jobId)
    end
  end
  if #removed > 0 then emit(k.events, limit, "cleaned", "count", #removed) end
  local more = 0
  if #candidates == batch and #removed > 0 then more = 1 end
  return { #removed, more, removed }
elseif action == "drain" then
  local handled = 0
  local lists = { k.wait, KEYS[18] }
  for _, list in ipairs(lists) do
    local ids = redis.call("LRANGE", list, -batch, -1)
    -- One by one: a flow parent a drained child releases joins this list meanwhile.
    for _, jobId in ipairs(ids) do
      redis.call("LREM", list, -1, jobId)
      deleteJob(B, jobId, false, "waiting")
    end
    handled = handled + #ids
  end
  local sets = { k.prioritized }
  if ARGV[7] == "1" then table.insert(sets, k.delayed) end
  for _, set in ipairs(sets) do
    local ids = redis.call("ZRANGE", set, 0, batch - 1)
    local counted = "prioritized"
    if set == k.delayed then counted = "delayed" end
    for _, jobId in ipairs(ids) do
      deleteJob(B, jobId, false, counted)
      redis.call("ZREM", set, jobId)
    end
    handled = handled + #ids
  end
  local fairDeleted, fairRemain = deleteFairQueued(batch)
  handled = handled + fairDeleted
  local more = 0
  if redis.call("LLEN", k.wait) + redis.call("LLEN", KEYS[18]) + redis.call("ZCARD", k.prioritized) > 0 then more = 1 end
  if ARGV[7] == "1" and redis.call("ZCARD", k.delayed) > 0 then more = 1 end
  if fairRemain then more = 1 end
  if more == 0 and ARGV[7] == "1" then redis.call("DEL", k.marker) end
  return { handled, more, {} }
elseif action == "obliterate" then
  if redis.call("HEXISTS", k.meta, "paused") == 0 then return -1 end
  keepParentsOf = B
  if ARGV[7] ~= "1" and redis.call("LLEN", k.active) > 0 then return -2 end
  local budget = batch
  local lists = { k.active, k.wait, KEYS[18] }
  for _, list in ipairs(lists) do
    local ids = redis.call("LRANGE", list, 0, budget - 1)
    for _, jobId in ipairs(ids) do deleteJob(B, jobId, false) end
    if #ids > 0 then redis.call("LTRIM", list, #ids, -1) end
    budget = budget - #ids
    if budget <= 0 then return { batch, 1, {} } end
  end
  local fairDeleted, fairRemain = deleteFairQueued(budget)
  budget = budget - fairDeleted
  if fairRemain or budget <= 0 then return { batch - math.max(budget, 0), 1, {} } end
  -- Job schedulers: members are scheduler ids, not job ids; their settings live in B.."repeat:"..id.
  local schedulers = redis.call("ZRANGE", KEYS[19], 0, budget - 1)
  for _, id in ipairs(schedulers) do
    redis.call("DEL", B .. "repeat:" .. id)
    redis.call("ZREM", KEYS[19], id)
  end
  budget = budget - #schedulers
  if budget <= 0 then return { batch, 1, {} } end
  local sets = { k.delayed, k.prioritized, KEYS[11], KEYS[12], KEYS[13] }
  for _, set in ipairs(sets) do
    local ids = redis.call("ZRANGE", set, 0, budget - 1)
    for _, jobId in ipairs(ids) do
      deleteJob(B, jobId, false)
      redis.call("ZREM", set, jobId)
    end
    budget = budget - #ids
    if budget <= 0 then return { batch, 1, {} } end
  end
  -- Everything else of the queue: counters, markers, events, metrics, limiter, dedup keys and the
  -- tenant index and counts (under B, found by pattern: obliterate is rare and batched).
  redis.call("DEL", k.events, k.meta, k.pc, k.marker, k.limiter, k.stalled, KEYS[14], KEYS[15],
    KEYS[16], KEYS[16] .. ":data", KEYS[17], KEYS[17] .. ":data", B .. "priority", B .. "delay",
    B .. "fair:ready", B .. "fair:parked", B .. "fair:vt", B .. "fair:seq", B .. "fair:tenants")
  for _, pattern in ipairs({ B .. "de:*", B .. "dn:*", B .. "ti:*", B .. "tc:*", B .. "fq:*", B .. "fa:*",
    B .. "fl:*", B .. "tl:*", B .. "tm:*" }) do
    local cursor = "0"
    repeat
      local page = redis.call("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
      cursor = page[1]
      if #page[2] > 0 then redis.call("DEL", unpack(page[2])) end
    until cursor == "0"
  end
  return { batch - budget, 0, {} }
end
return redis.error_reply("unknown queue action " .. action)
