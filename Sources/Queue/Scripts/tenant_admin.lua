--[[
  Fair queues and per-tenant control (our extension; the keys are described in lib.lua above
  fairEnqueue): make a queue fair or FIFO, set a tenant's weight and limits, pause and resume one
  tenant, purge a tenant's pending jobs, list a fair queue's tenants, count its queued jobs.

  KEYS: 1-10 the shared queue keys
  ARGV: 1 B, 2 action, 3 tenant ("" for queue-wide actions), then by action:
        "configure": 4 fair "1"/"0", 5 default concurrency, 6 default rate max, 7 default rate
                     duration ms, 8 batch (jobs moved back per call), 9 default max pending
                     ("" leaves no default)
        "limits": 4 weight, 5 concurrency, 6 rate max, 7 rate duration ms, 8 max pending ("" clears
                  the field; max pending is read by the API before it adds, not by the scripts)
        "pause" | "resume": nothing more
        "purge": 4 offset into the tenant index (newest first), 5 batch, 6 include delayed "1"/"0"
        "tenants": 4 at most this many tenants (3, the tenant: only that one)
        "queued": nothing more
  Returns: configure: { jobs moved back to wait, 1 if more remain }; limits/pause/resume: 0;
           purge: { removed count, next offset or -1 when done, removed ids };
           tenants: flat rows of 10 values per tenant: tenant, queued, running, parked
             ("" | "paused" | "held" | "rate-limited"), parked until ms, weight, concurrency,
             rate max, rate duration, max pending (settings "" when unset);
           queued: { waiting, prioritized } in tenants' sets.
]]
local k = queueKeys()
local B = ARGV[1]
local action = ARGV[2]
local tenant = ARGV[3]
local limit = maxEvents(k.meta)

-- HSET a field when the value is given, HDEL it when "".
local function setOrClear(key, field, value)
  if value == "" then
    redis.call("HDEL", key, field)
  else
    redis.call("HSET", key, field, value)
  end
end

local function wakeUnlessPaused()
  if not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end
end

-- The tenants' jobs in active, by tenant ("" for jobs without one).
local function activeByTenant()
  local counts = {}
  for _, jobId in ipairs(redis.call("LRANGE", k.active, 0, -1)) do
    local name = redis.call("HGET", B .. jobId, "tid") or ""
    counts[name] = counts[name] or {}
    table.insert(counts[name], jobId)
  end
  return counts
end

-- Workers record a tenant's active jobs (B.."fa:"..tenant) only while a concurrency limit applies
-- to it; when one may have come into force, the record is rebuilt from the active list, so the
-- jobs already running count against it. `only`: one tenant, or nil for all.
local function recordRunning(only)
  for name, ids in pairs(activeByTenant()) do
    if name ~= "" and (only == nil or name == only) then
      local running = B .. "fa:" .. name
      redis.call("DEL", running)
      for i = 1, #ids, 1000 do redis.call("SADD", running, unpack(ids, i, math.min(i + 999, #ids))) end
    end
  end
end

-- Tenants that have (or had) jobs in the fair sets.
local function knownTenants()
  local tenants = redis.call("SMEMBERS", B .. "fair:tenants")
  table.sort(tenants)
  return tenants
end

if action == "configure" then
  setOrClear(k.meta, "fair.concurrency", ARGV[5])
  setOrClear(k.meta, "fair.rateMax", ARGV[6])
  setOrClear(k.meta, "fair.rateDuration", ARGV[7])
  setOrClear(k.meta, "fair.maxPending", ARGV[9])
  if ARGV[4] == "1" then
    redis.call("HSET", k.meta, "fair", "1")
    fairQueues[k.meta] = true
    recordRunning(nil)
    -- Tenants held at the old default concurrency are judged by the new one at their next turn.
    local held = string.format("%.0f", FAIR_HELD)
    for _, name in ipairs(redis.call("ZRANGEBYSCORE", B .. "fair:parked", held, held)) do fairUnpark(B, name) end
    wakeUnlessPaused()
    return { 0, 0 }
  end
  -- Back to FIFO: new jobs go to wait at once; the tenants' sets move back in batches, each
  -- tenant's jobs in their order.
  redis.call("HSET", k.meta, "fair", "0")
  fairQueues[k.meta] = false
  local budget = tonumber(ARGV[8]) or 1000
  local moved = 0
  for _, name in ipairs(knownTenants()) do
    local queued = B .. "fq:" .. name
    local entries = redis.call("ZRANGE", queued, 0, budget - moved - 1, "WITHSCORES")
    for i = 1, #entries, 2 do
      local jobId = entries[i]
      redis.call("ZREM", queued, jobId)
      -- Where it is counted: a job the stalled check put back is waiting whatever its priority.
      local priority = 0
      if fairQueuedState(entries[i + 1]) == "prioritized" then
        priority = tonumber(redis.call("HGET", B .. jobId, "priority")) or 0
      end
      enqueueRunnable(k, B, jobId, priority, false, "")
    end
    moved = moved + #entries / 2
    if moved >= budget then
      wakeUnlessPaused()
      return { moved, 1 }
    end
  end
  redis.call("DEL", B .. "fair:ready", B .. "fair:parked", B .. "fair:vt", B .. "fair:seq")
  if moved > 0 then wakeUnlessPaused() end
  return { moved, 0 }
elseif action == "limits" then
  local key = B .. "tl:" .. tenant
  local concurrencyBefore = redis.call("HGET", key, "concurrency") or ""
  setOrClear(key, "weight", ARGV[4])
  setOrClear(key, "concurrency", ARGV[5])
  setOrClear(key, "rateMax", ARGV[6])
  setOrClear(key, "rateDuration", ARGV[7])
  setOrClear(key, "maxPending", ARGV[8])
  redis.call("SADD", B .. "fair:tenants", tenant)
  -- A new concurrency limit counts the jobs already running (unchanged: nothing to rebuild).
  if concurrencyBefore ~= ARGV[5] then recordRunning(tenant) end
  -- A tenant waiting on its old limits takes its turn again and is judged by the new ones.
  local parked = tonumber(redis.call("ZSCORE", B .. "fair:parked", tenant))
  if parked and parked ~= FAIR_PAUSED then
    fairUnpark(B, tenant)
    wakeUnlessPaused()
  end
  return 0
elseif action == "pause" then
  redis.call("HSET", B .. "tl:" .. tenant, "paused", "1")
  redis.call("SADD", B .. "fair:tenants", tenant)
  redis.call("ZREM", B .. "fair:ready", tenant)
  redis.call("ZADD", B .. "fair:parked", FAIR_PAUSED, tenant)
  return 0
elseif action == "resume" then
  redis.call("HDEL", B .. "tl:" .. tenant, "paused")
  if tonumber(redis.call("ZSCORE", B .. "fair:parked", tenant)) == FAIR_PAUSED then
    fairUnpark(B, tenant)
    wakeUnlessPaused()
  end
  return 0
elseif action == "purge" then
  local offset = tonumber(ARGV[4]) or 0
  local batch = tonumber(ARGV[5]) or 1000
  local withDelayed = ARGV[6] == "1"
  local ids = redis.call("ZREVRANGE", B .. "ti:" .. tenant, offset, offset + batch - 1)
  local removed = {}
  for _, jobId in ipairs(ids) do
    local jobKey = B .. jobId
    local state = nil
    if withDelayed and redis.call("ZREM", k.delayed, jobId) == 1 then
      state = "delayed"
    elseif redis.call("HEXISTS", jobKey, "finishedOn") == 1 then
      state = nil
    else
      state = fairDequeue(k, B, jobId)
      if not state and redis.call("ZREM", k.prioritized, jobId) == 1 then state = "prioritized" end
      -- A job that has run before and is not finished may be active: only wait is searched then.
      if not state and redis.call("LREM", k.wait, 1, jobId) == 1 then state = "waiting" end
    end
    if state then
      deleteJob(B, jobId, false, state)
      emit(k.events, limit, "removed", "jobId", jobId, "prev", state)
      removed[#removed + 1] = jobId
    end
  end
  local next = offset + #ids - #removed
  if #ids < batch then next = -1 end
  return { #removed, next, removed }
elseif action == "tenants" then
  local most = tonumber(ARGV[4]) or 1000
  local rows = {}
  local count = 0
  local active = activeByTenant()
  -- One tenant when named (a tenant admin's own row), else every known one.
  local names = knownTenants()
  if tenant ~= "" then names = { tenant } end
  for _, name in ipairs(names) do
    local queued = redis.call("ZCARD", B .. "fq:" .. name)
    local running = #(active[name] or {})
    local parkedScore = tonumber(redis.call("ZSCORE", B .. "fair:parked", name))
    local settings = redis.call("HMGET", B .. "tl:" .. name, "weight", "concurrency", "rateMax", "rateDuration", "maxPending")
    local hasSettings = settings[1] or settings[2] or settings[3] or settings[4] or settings[5]
    if queued == 0 and running == 0 and not parkedScore and not hasSettings then
      -- Idle and without settings: forgotten until it queues a job again.
      redis.call("SREM", B .. "fair:tenants", name)
    elseif count < most then
      count = count + 1
      local parked, untilMs = "", 0
      if parkedScore == FAIR_PAUSED then
        parked = "paused"
      elseif parkedScore == FAIR_HELD then
        parked = "held"
      elseif parkedScore then
        parked, untilMs = "rate-limited", parkedScore
      end
      for _, value in ipairs({ name, queued, running, parked, untilMs, settings[1] or "", settings[2] or "",
        settings[3] or "", settings[4] or "", settings[5] or "" }) do
        rows[#rows + 1] = value
      end
    end
  end
  return rows
elseif action == "queued" then
  local waiting, prioritized = 0, 0
  local bound = "(" .. string.format("%.0f", PRIORITY_SHIFT)
  for _, name in ipairs(redis.call("SMEMBERS", B .. "fair:tenants")) do
    local queued = B .. "fq:" .. name
    waiting = waiting + redis.call("ZCOUNT", queued, "-inf", bound)
    prioritized = prioritized + redis.call("ZCOUNT", queued, PRIORITY_SHIFT, "+inf")
  end
  return { waiting, prioritized }
end
return redis.error_reply("unknown tenant action " .. action)
