--[[
  Shared helpers of the queue scripts (prepended to each script by QueueScripts.swift).

  Every queue key is B .. suffix, where B = "<prefix>:<queue>:" is passed as ARGV[1]; a job's hash
  is B .. jobId. Keys built here from B share the queue's hash tag when the prefix or queue name
  carries one ("{bull}"), so the scripts stay single-slot on Redis Cluster.
  Layout and encodings follow BullMQ v6 (the key names are listed in Keys/QueueKeys.swift).
]]

local DEFAULT_MAX_EVENTS = 10000
local DELAY_SLOTS = 4096          -- delayed score = dueMs * 4096 + sequence within that millisecond
local PRIORITY_SHIFT = 4294967296 -- prioritized score = priority * 2^32 + (counter mod 2^32)
local RATE_LIMIT_HOLD = 9007199254740991 -- a limiter value that holds every fetch until it expires

local function emit(eventsKey, limit, ...)
  redis.call("XADD", eventsKey, "MAXLEN", "~", limit, "*", "event", ...)
end

-- Paused (meta.paused present) or at the global concurrency limit: runnable jobs are queued but
-- no worker is woken.
-- `paused` and `concurrency` as HMGET returned them (false when absent).
local function pausedOrMaxedGiven(paused, concurrency, activeKey)
  if paused then return true end
  concurrency = tonumber(concurrency)
  if concurrency and concurrency > 0 and redis.call("LLEN", activeKey) >= concurrency then return true end
  return false
end

local function pausedOrMaxed(metaKey, activeKey)
  local meta = redis.call("HMGET", metaKey, "paused", "concurrency")
  return pausedOrMaxedGiven(meta[1], meta[2], activeKey)
end

local function wakeWorkers(markerKey)
  redis.call("ZADD", markerKey, 0, "0")
end

-- Tells blocked workers when the earliest delayed job becomes due.
local function scheduleDelayedWake(markerKey, delayedKey)
  local first = redis.call("ZRANGE", delayedKey, 0, 0, "WITHSCORES")
  if first[2] then
    redis.call("ZADD", markerKey, math.floor(tonumber(first[2]) / DELAY_SLOTS), "1")
  end
end

-- A score that orders jobs due in the same millisecond by insertion.
local function delayedScore(delayedKey, dueMs)
  local low = dueMs * DELAY_SLOTS
  local high = low + DELAY_SLOTS - 1
  local last = redis.call("ZREVRANGEBYSCORE", delayedKey, high, low, "WITHSCORES", "LIMIT", 0, 1)
  if last[2] then
    local next = tonumber(last[2]) + 1
    if next <= high then return next end
    return high
  end
  return low
end

local function pushPrioritized(prioritizedKey, counterKey, jobId, priority)
  local counter = redis.call("INCR", counterKey)
  redis.call("ZADD", prioritizedKey, priority * PRIORITY_SHIFT + (counter % PRIORITY_SHIFT), jobId)
end

-- Fair queues (our extension; meta field `fair` = "1"). A tenant's runnable jobs live apart in
-- B.."fq:"..tenant, a ZSET scored like `prioritized` (plain jobs by sequence, a LIFO job below
-- every plain one, a priority p at p * 2^32 + sequence), so priorities still order a tenant's own
-- jobs. Workers serve tenants by stride scheduling: B.."fair:ready" scores each tenant with
-- runnable jobs by its pass; a fetch takes the lowest pass, and the served tenant's pass grows by
-- 1 / weight. A tenant that gets a runnable job joins at the virtual time: the lowest pass in
-- the rotation, or B.."fair:vt" (the pass of the last tenant to leave it) when the rotation is
-- empty; so it waits at most one job of each other tenant. Jobs without a tenant stay in
-- wait/prioritized (any BullMQ producer can add them) and take turns as the tenant "".
-- A tenant that may not run now is parked in B.."fair:parked" instead: scored by when its rate
-- limit ends, or FAIR_HELD (at its concurrency limit, until one of its jobs leaves active), or
-- FAIR_PAUSED (paused by an admin). B.."fa:"..tenant is the set of its active jobs while a
-- concurrency limit applies to it (tenant_admin.lua rebuilds it when one is set), B.."fl:"..tenant
-- its rate-limit window, B.."tl:"..tenant its settings (weight, concurrency, rateMax,
-- rateDuration, paused; queue defaults in meta as fair.concurrency, fair.rateMax,
-- fair.rateDuration), B.."fair:tenants" every tenant seen (for listings).
local FAIR_HELD = 4503599627370496    -- 2^52: after any time in ms
local FAIR_PAUSED = 9007199254740992  -- 2^53
local fairQueues = {}

-- Events stream length cap, written to meta on first use so BullMQ readers agree on it. The same
-- read tells whether the queue is fair (cached for isFair).
local function maxEvents(metaKey)
  local fields = redis.call("HMGET", metaKey, "opts.maxLenEvents", "fair")
  fairQueues[metaKey] = fields[2] == "1"
  if fields[1] then return tonumber(fields[1]) end
  redis.call("HSET", metaKey, "opts.maxLenEvents", DEFAULT_MAX_EVENTS)
  return DEFAULT_MAX_EVENTS
end

local function isFair(k)
  local fair = fairQueues[k.meta]
  if fair == nil then
    fair = redis.call("HGET", k.meta, "fair") == "1"
    fairQueues[k.meta] = fair
  end
  return fair
end

local function fairVirtualTime(B)
  local head = redis.call("ZRANGE", B .. "fair:ready", 0, 0, "WITHSCORES")
  if head[2] then return tonumber(head[2]) end
  return tonumber(redis.call("GET", B .. "fair:vt")) or 0
end

-- Takes a tenant out of the rotation; its pass is kept as the virtual time for an empty one.
local function fairLeave(B, tenant, pass)
  redis.call("ZREM", B .. "fair:ready", tenant)
  redis.call("SET", B .. "fair:vt", string.format("%.17g", pass))
end

-- A tenant with runnable jobs takes its turn from now on, unless it is parked.
local function fairJoin(B, tenant)
  if redis.call("ZSCORE", B .. "fair:parked", tenant) then return end
  redis.call("ZADD", B .. "fair:ready", "NX", fairVirtualTime(B), tenant)
end

local function fairEnqueue(B, jobId, priority, toFront, tenant)
  local sequence = redis.call("INCR", B .. "fair:seq") % PRIORITY_SHIFT
  local score = sequence
  if priority > 0 then
    score = priority * PRIORITY_SHIFT + sequence
  elseif toFront then
    score = -sequence
  end
  local queued = B .. "fq:" .. tenant
  redis.call("ZADD", queued, score, jobId)
  if redis.call("ZCARD", queued) == 1 then
    redis.call("SADD", B .. "fair:tenants", tenant)
    fairJoin(B, tenant)
  end
end

-- Takes a parked tenant back into the rotation (its turn decides again whether it may run).
local function fairUnpark(B, tenant)
  if redis.call("ZREM", B .. "fair:parked", tenant) == 1 and redis.call("ZCARD", B .. "fq:" .. tenant) > 0 then
    redis.call("ZADD", B .. "fair:ready", "NX", fairVirtualTime(B), tenant)
  end
end

-- Drops the ids of a tenant's active set that are not active any more (a path that moved a job
-- out of active without leaveActive), and returns how many remain.
local function fairRunning(k, B, tenant)
  local running = B .. "fa:" .. tenant
  for _, jobId in ipairs(redis.call("SMEMBERS", running)) do
    if not redis.call("LPOS", k.active, jobId) then redis.call("SREM", running, jobId) end
  end
  return redis.call("SCARD", running)
end

-- A job of a fair queue left active (finished, retried, stalled, waiting for children, removed):
-- its tenant's slot is free, and a tenant held at its concurrency limit takes turns again.
-- `tenant`: the job's tenant when the caller has read it (false: none), else nil (read here).
local function leaveActive(k, B, jobId, tenant)
  if not isFair(k) then return end
  if tenant == nil then tenant = redis.call("HGET", B .. jobId, "tid") end
  if not tenant or tenant == "" then return end
  if redis.call("SREM", B .. "fa:" .. tenant, jobId) == 1
    and tonumber(redis.call("ZSCORE", B .. "fair:parked", tenant)) == FAIR_HELD then
    fairUnpark(B, tenant)
    if redis.call("HEXISTS", k.meta, "paused") == 0 then wakeWorkers(k.marker) end
  end
end

-- Puts a runnable job where workers take it: in a fair queue a tenant's job goes to its tenant's
-- set; otherwise prioritized by priority, else the wait list (LPUSH = back of the FIFO; RPUSH =
-- next to run). `tenant`: the job's tenant when the caller knows it, else nil (read here).
local function enqueueRunnable(k, B, jobId, priority, toFront, tenant)
  if isFair(k) then
    if tenant == nil then tenant = redis.call("HGET", B .. jobId, "tid") end
    if tenant and tenant ~= "" then
      fairEnqueue(B, jobId, priority, toFront, tenant)
      return
    end
  end
  if priority > 0 then
    pushPrioritized(k.prioritized, k.pc, jobId, priority)
  elseif toFront then
    redis.call("RPUSH", k.wait, jobId)
  else
    redis.call("LPUSH", k.wait, jobId)
  end
end

-- Tenant counts (our extension): B .. "tc:" .. tenant is a hash state -> number of the tenant's
-- jobs in that state (waiting, prioritized, delayed, active, completed, failed), kept by every
-- script that moves a job, so a tenant's counts are one read. Only jobs our producer added carry
-- the `tcs` mark and are counted: a job added before the counts existed, or by another client,
-- never moves a count. `from`/`to` may be nil (a job that appears or is deleted).
local function countTenantMove(B, tenant, from, to)
  if not tenant or tenant == "" then return end
  local key = B .. "tc:" .. tenant
  if from then redis.call("HINCRBY", key, from, -1) end
  if to then redis.call("HINCRBY", key, to, 1) end
end

local function countJobMove(B, jobId, from, to)
  local fields = redis.call("HMGET", B .. jobId, "tid", "tcs")
  if fields[2] ~= "1" then return end
  countTenantMove(B, fields[1], from, to)
end

-- The state a runnable job lands in.
local function runnableState(priority)
  if priority > 0 then return "prioritized" end
  return "waiting"
end

-- Moves delayed jobs that are due (at most 1000 per call) to wait or prioritized.
local function promoteDueDelayed(k, B, now, limit)
  local due = redis.call("ZRANGEBYSCORE", k.delayed, 0, (now + 1) * DELAY_SLOTS - 1, "LIMIT", 0, 1000)
  if #due == 0 then return end
  for _, jobId in ipairs(due) do
    redis.call("ZREM", k.delayed, jobId)
    local jobKey = B .. jobId
    local fields = redis.call("HMGET", jobKey, "priority", "tid")
    local priority = tonumber(fields[1]) or 0
    enqueueRunnable(k, B, jobId, priority, false, fields[2] or "")
    countJobMove(B, jobId, "delayed", runnableState(priority))
    redis.call("HSET", jobKey, "delay", 0)
    emit(k.events, limit, "waiting", "jobId", jobId, "prev", "delayed")
  end
  if not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end
end

-- Whether any job waits to run (in a fair queue: in any tenant's turn, parked ones included).
local function hasRunnable(k, B)
  if redis.call("LLEN", k.wait) > 0 or redis.call("ZCARD", k.prioritized) > 0 then return true end
  if not isFair(k) then return false end
  if redis.call("ZCARD", B .. "fair:parked") > 0 then return true end
  -- A tenant in the rotation may have run out of jobs (it leaves at its next turn).
  local tenants = redis.call("ZRANGE", B .. "fair:ready", 0, 10)
  if #tenants > 10 then return true end
  for _, tenant in ipairs(tenants) do
    if tenant ~= "" and redis.call("EXISTS", B .. "fq:" .. tenant) == 1 then return true end
  end
  return false
end

-- The stalled check's look at tenants held at their concurrency limit: a slot freed by a path that
-- did not release it (a job deleted while active) lets the tenant take turns again.
local function fairRecheckHeld(k, B)
  if not isFair(k) then return end
  local held = string.format("%.0f", FAIR_HELD)
  local default = tonumber(redis.call("HGET", k.meta, "fair.concurrency"))
  for _, tenant in ipairs(redis.call("ZRANGEBYSCORE", B .. "fair:parked", held, held, "LIMIT", 0, 1000)) do
    local concurrency = tonumber(redis.call("HGET", B .. "tl:" .. tenant, "concurrency")) or default
    if not concurrency or concurrency <= 0 or fairRunning(k, B, tenant) < concurrency then fairUnpark(B, tenant) end
  end
end

-- The shared key table of the queue whose keys start with B (flows reach other queues' keys).
local function keysOf(B)
  return {
    wait = B .. "wait", active = B .. "active", prioritized = B .. "prioritized", delayed = B .. "delayed",
    meta = B .. "meta", pc = B .. "pc", marker = B .. "marker", events = B .. "events", limiter = B .. "limiter",
    stalled = B .. "stalled",
  }
end

-- Puts a job (leaving state `from`) in delayed until `due`, emitting `delayed` and telling
-- blocked workers when it becomes due.
local function delayJob(k, B, jobId, from, due, limit)
  redis.call("ZADD", k.delayed, delayedScore(k.delayed, due), jobId)
  countJobMove(B, jobId, from, "delayed")
  emit(k.events, limit, "delayed", "jobId", jobId, "delay", due)
  scheduleDelayedWake(k.marker, k.delayed)
end

-- Flows: moves a parent out of waiting-children to run, in its own queue (`queueKey` is that
-- queue's "<prefix>:<queue>", as a child's `parent` field names it): delayed when it asked for a
-- delay, else next to run by its priority. Nothing when it is not waiting for children.
local function releaseParent(queueKey, parentId, now)
  local PB = queueKey .. ":"
  if redis.call("ZREM", PB .. "waiting-children", parentId) == 0 then return end
  local pk = keysOf(PB)
  local limit = maxEvents(pk.meta)
  local attributes = redis.call("HMGET", PB .. parentId, "priority", "delay", "tid")
  local priority = tonumber(attributes[1]) or 0
  local delay = tonumber(attributes[2]) or 0
  if delay > 0 then
    delayJob(pk, PB, parentId, "waiting-children", now + delay, limit)
  else
    enqueueRunnable(pk, PB, parentId, priority, true, attributes[3] or "")
    countJobMove(PB, parentId, "waiting-children", runnableState(priority))
    emit(pk.events, limit, "waiting", "jobId", parentId, "prev", "waiting-children")
    if not pausedOrMaxed(pk.meta, pk.active) then wakeWorkers(pk.marker) end
  end
end

-- Flows: the parent a child's `parent` field (`raw`, as read from its hash) names ({id, queueKey}
-- and its failure flag), or nil.
local function parentOf(raw)
  if not raw then return nil end
  local ok, parent = pcall(cjson.decode, raw)
  if not ok or type(parent) ~= "table" or type(parent.id) ~= "string" or type(parent.queueKey) ~= "string" then return nil end
  return parent
end

-- A queue base whose flow parents deletions must not release (set by obliterate, which deletes
-- them too: a parent moved to a list it already emptied would survive it).
local keepParentsOf = nil

-- Flows: a child deleted before it finished (removed, cancelled, cleaned) stops being waited
-- for; the parent runs once no child is pending (as BullMQ's removal does).
local function detachFromParent(childKey, raw)
  local parent = parentOf(raw)
  if not parent then return end
  local parentKey = parent.queueKey .. ":" .. parent.id
  local dependencies = parentKey .. ":dependencies"
  if redis.call("SREM", dependencies, childKey) == 1 and redis.call("EXISTS", parentKey) == 1
    and redis.call("SCARD", dependencies) == 0 and keepParentsOf ~= parent.queueKey .. ":" then
    local time = redis.call("TIME")
    releaseParent(parent.queueKey, parent.id, tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
  end
end

-- Tenant index (our extension): B .. "ti:" .. tenant is a ZSET of job ids scored by creation time.
local function unindexTenant(B, jobId, tenant)
  if tenant and tenant ~= "" then redis.call("ZREM", B .. "ti:" .. tenant, jobId) end
end


-- Deletes a job's dedup key when it still belongs to the job. A finishing job keeps a key that
-- has a TTL (a throttle window outlives its job); a removed job releases it either way.
local function releaseDeduplication(B, jobId, dedupId, finishing)
  if not dedupId or dedupId == "" then return end
  local dedupKey = B .. "de:" .. dedupId
  if redis.call("GET", dedupKey) ~= jobId then return end
  if finishing and redis.call("PTTL", dedupKey) > 0 then return end
  redis.call("DEL", dedupKey)
end

-- Deletes a job's hash and companion keys, and its tenant index entry and count (`state`, the
-- state it leaves; nil when it was in none). `finished` keeps a throttle window (a dedup key
-- with a TTL) alive past the job, as finishing does.
local function deleteJob(B, jobId, finished, state)
  local jobKey = B .. jobId
  local fields = redis.call("HMGET", jobKey, "tid", "deid", "tcs", "parent")
  detachFromParent(jobKey, fields[4])
  unindexTenant(B, jobId, fields[1])
  if fields[3] == "1" then countTenantMove(B, fields[1], state, nil) end
  releaseDeduplication(B, jobId, fields[2], finished)
  redis.call("DEL", jobKey, jobKey .. ":logs", jobKey .. ":lock", jobKey .. ":dependencies",
    jobKey .. ":processed", jobKey .. ":failed", jobKey .. ":unsuccessful")
end

-- The state a job in a tenant's set is counted in, by its score there: a recovered job goes back
-- to the front as waiting whatever its priority.
local function fairQueuedState(score)
  if tonumber(score) >= PRIORITY_SHIFT then return "prioritized" end
  return "waiting"
end

-- Takes a fair queue's runnable job out of its tenant's set; returns the state it left
-- ("waiting" or "prioritized"), or nil when it was not there.
local function fairDequeue(k, B, jobId)
  if not isFair(k) then return nil end
  local tenant = redis.call("HGET", B .. jobId, "tid")
  if not tenant or tenant == "" then return nil end
  local queued = B .. "fq:" .. tenant
  local score = redis.call("ZSCORE", queued, jobId)
  if not score then return nil end
  redis.call("ZREM", queued, jobId)
  return fairQueuedState(score)
end

-- Removes a job that has not started (delayed, prioritized, waiting, or a flow's parent waiting
-- for its children, which run on), emitting `removed`; returns the state it left, or nil when it
-- was in none of them (running, finished or gone).
local function removePendingJob(k, B, jobId, limit)
  local state
  if redis.call("ZREM", k.delayed, jobId) == 1 then
    state = "delayed"
  elseif redis.call("ZREM", k.prioritized, jobId) == 1 then
    state = "prioritized"
  else
    state = fairDequeue(k, B, jobId)
    if not state and redis.call("LREM", k.wait, 1, jobId) == 1 then state = "waiting" end
    if not state and redis.call("ZREM", B .. "waiting-children", jobId) == 1 then state = "waiting-children" end
    if not state then return nil end
  end
  deleteJob(B, jobId, false, state)
  emit(k.events, limit, "removed", "jobId", jobId, "prev", state)
  return state
end

-- The next job of a fair queue's tenant "" (jobs without a tenant, in wait or prioritized):
-- moved to active; returns its id and the state it left, or nil.
local function takeShared(k)
  local jobId = redis.call("RPOPLPUSH", k.wait, k.active)
  if jobId then return jobId, "waiting" end
  local popped = redis.call("ZPOPMIN", k.prioritized)
  if not popped[1] then
    redis.call("DEL", k.pc)
    return nil
  end
  redis.call("LPUSH", k.active, popped[1])
  return popped[1], "prioritized"
end

-- Whether a tenant may start a job now; if not, parks it (paused, held at its concurrency limit,
-- or until its rate-limit window ends). `settings`: its tl hash values; `defaults`: the queue's.
local function fairMayRun(k, B, tenant, now, settings, defaults)
  local parked = B .. "fair:parked"
  local until_ = nil
  local concurrency = tonumber(settings[2]) or defaults[1]
  local rateMax = tonumber(settings[3]) or defaults[2]
  local window = B .. "fl:" .. tenant
  if settings[5] then
    until_ = FAIR_PAUSED
  elseif concurrency and concurrency > 0 and redis.call("SCARD", B .. "fa:" .. tenant) >= concurrency
    and fairRunning(k, B, tenant) >= concurrency then
    until_ = FAIR_HELD
  elseif rateMax and rateMax > 0 then
    local ttl = redis.call("PTTL", window)
    if ttl > 0 and (tonumber(redis.call("GET", window)) or 0) >= rateMax then until_ = now + ttl end
  end
  if not until_ then return true end
  redis.call("ZREM", B .. "fair:ready", tenant)
  redis.call("ZADD", parked, until_, tenant)
  return false
end

-- Picks the next job of a fair queue by the tenants' turns (see the notes on fair queues above)
-- and moves it to active; returns its id, the state it left and its tenant (nil for ""), or nil.
-- `defaults`: the queue's per-tenant { concurrency, rateMax, rateDuration } from meta.
local function fairTake(k, B, now, defaults)
  local ready = B .. "fair:ready"
  local parked = B .. "fair:parked"
  -- One read for the common case: no tenant parked and no job without a tenant.
  if redis.call("EXISTS", parked, k.wait, k.prioritized) > 0 then
    for _, tenant in ipairs(redis.call("ZRANGEBYSCORE", parked, "-inf", now, "LIMIT", 0, 100)) do
      fairUnpark(B, tenant)
    end
    if redis.call("EXISTS", k.wait, k.prioritized) > 0 then
      redis.call("ZADD", ready, "NX", fairVirtualTime(B), "")
    end
  end
  for _ = 1, 100 do
    local head = redis.call("ZRANGE", ready, 0, 0, "WITHSCORES")
    if not head[1] then return nil end
    local tenant, pass = head[1], tonumber(head[2])
    if tenant == "" then
      local jobId, from = takeShared(k)
      if jobId then
        redis.call("ZADD", ready, "XX", pass + 1, "")
        return jobId, from, nil
      end
      fairLeave(B, "", pass)
    else
      local settings = redis.call("HMGET", B .. "tl:" .. tenant, "weight", "concurrency", "rateMax", "rateDuration", "paused")
      if fairMayRun(k, B, tenant, now, settings, defaults) then
        local queued = B .. "fq:" .. tenant
        local popped = redis.call("ZPOPMIN", queued)
        if popped[1] then
          local jobId = popped[1]
          redis.call("LPUSH", k.active, jobId)
          local rateMax = tonumber(settings[3]) or defaults[2]
          local rateDuration = tonumber(settings[4]) or defaults[3]
          if rateMax and rateMax > 0 and rateDuration and rateDuration > 0 then
            local window = B .. "fl:" .. tenant
            if redis.call("INCR", window) == 1 then redis.call("PEXPIRE", window, rateDuration) end
          end
          -- A tenant whose set is now empty keeps its place until its next turn finds nothing
          -- (one read fewer per job; a listing or `hasRunnable` may see it until then).
          local weight = tonumber(settings[1]) or 1
          if weight <= 0 then weight = 1 end
          redis.call("ZADD", ready, "XX", pass + 1 / weight, tenant)
          local from = "waiting"
          if tonumber(popped[2]) >= PRIORITY_SHIFT then from = "prioritized" end
          -- Its active jobs are recorded only while a concurrency limit applies to it.
          local concurrency = tonumber(settings[2]) or defaults[1]
          if concurrency and concurrency > 0 then redis.call("SADD", B .. "fa:" .. tenant, jobId) end
          return jobId, from, tenant
        end
        fairLeave(B, tenant, pass)
      else
        redis.call("SET", B .. "fair:vt", string.format("%.17g", pass))
      end
    end
  end
  return nil
end

-- When the first parked tenant's rate-limit window ends (ms), or nil.
local function fairNextDue(B)
  local first = redis.call("ZRANGEBYSCORE", B .. "fair:parked", "-inf", "(" .. string.format("%.0f", FAIR_HELD),
    "WITHSCORES", "LIMIT", 0, 1)
  if first[2] then return tonumber(first[2]) end
  return nil
end

-- Hands the next runnable job to a worker: promotes due delayed jobs, honours pause, global
-- concurrency and the rate limiter, takes wait before prioritized (in a fair queue: the next
-- tenant's turn), locks the job.
-- Returns { flat job hash | 0, jobId | 0, rateLimitTtlMs, nextDelayedDueMs }.
local function fetchNextJob(k, B, now, token, lockDuration, limiterMax, limiterDuration, workerName, limit)
  promoteDueDelayed(k, B, now, limit)
  local meta = redis.call("HMGET", k.meta, "paused", "concurrency", "max", "duration", "fair",
    "fair.concurrency", "fair.rateMax", "fair.rateDuration")
  local max = tonumber(meta[3]) or limiterMax
  local duration = limiterDuration
  if not duration or duration <= 0 then duration = tonumber(meta[4]) or 0 end
  local limited = max and max > 0 and duration > 0
  -- The limiter counts the jobs started in the current window; a count of HOLD or more is a
  -- hold (BullMQ's rateLimit writes 2^53 - 1), honoured with or without a configured limit.
  local ttl = redis.call("PTTL", k.limiter)
  if ttl > 0 then
    local started = tonumber(redis.call("GET", k.limiter)) or 0
    if started >= RATE_LIMIT_HOLD or (limited and started >= max) then return { 0, 0, ttl, 0 } end
  end
  if meta[1] then return { 0, 0, 0, 0 } end
  local concurrency = tonumber(meta[2])
  if concurrency and concurrency > 0 and redis.call("LLEN", k.active) >= concurrency then
    return { 0, 0, 0, 0 }
  end
  local fair = meta[5] == "1"
  local defaults = { tonumber(meta[6]), tonumber(meta[7]), tonumber(meta[8]) }

  for _ = 1, 10 do
    local jobId, from, tenant
    if fair then
      jobId, from, tenant = fairTake(k, B, now, defaults)
    else
      jobId, from = takeShared(k)
    end
    if not jobId then break end
    local jobKey = B .. jobId
    if string.sub(jobId, 1, 2) == "0:" or redis.call("EXISTS", jobKey) == 0 then
      -- A legacy marker entry or an id whose hash is gone: drop it (and the tenant's slot it
      -- took) and look again.
      redis.call("LREM", k.active, 1, jobId)
      if tenant then redis.call("SREM", B .. "fa:" .. tenant, jobId) end
    else
      if limited and redis.call("HEXISTS", jobKey, "defa") == 0 then
        if redis.call("INCR", k.limiter) == 1 then redis.call("PEXPIRE", k.limiter, duration) end
      end
      if token ~= "0" then redis.call("SET", jobKey .. ":lock", token, "PX", lockDuration) end
      countJobMove(B, jobId, from, "active")
      emit(k.events, limit, "active", "jobId", jobId, "prev", "waiting")
      if workerName and workerName ~= "" then
        redis.call("HSET", jobKey, "processedOn", now, "pb", workerName)
      else
        redis.call("HSET", jobKey, "processedOn", now)
      end
      redis.call("HINCRBY", jobKey, "ats", 1)
      wakeWorkers(k.marker)
      return { redis.call("HGETALL", jobKey), jobId, 0, 0 }
    end
  end
  local due = nil
  local first = redis.call("ZRANGE", k.delayed, 0, 0, "WITHSCORES")
  if first[2] then due = math.floor(tonumber(first[2]) / DELAY_SLOTS) end
  if fair then
    local tenantDue = fairNextDue(B)
    if tenantDue and (not due or tenantDue < due) then due = tenantDue end
  end
  return { 0, 0, 0, due or 0 }
end

-- Takes an active job back from its worker: checks and deletes the lock (unless token is "0"),
-- clears the stalled suspicion and removes it from active. Returns nil, or -1 missing job,
-- -2 missing lock, -3 not active, -6 lock held by another token.
local function releaseActiveJob(k, jobKey, jobId, token)
  -- Every job hash has a name and a timestamp; the tenant is read in the same call.
  local fields = redis.call("HMGET", jobKey, "tid", "name", "timestamp")
  if not fields[2] and not fields[3] then return -1 end
  if token ~= "0" then
    local held = redis.call("GET", jobKey .. ":lock")
    -- A lock that vanished (expired, or lost with a Redis restart) while the job is still active
    -- means nobody else took it: the worker that ran it may finish it. Once the stalled check has
    -- moved it on, it is not active any more and the finish is refused.
    if not held and not redis.call("LPOS", k.active, jobId) then return -2 end
    if held and held ~= token then return -6 end
    redis.call("DEL", jobKey .. ":lock")
  end
  redis.call("SREM", k.stalled, jobId)
  if redis.call("LREM", k.active, -1, jobId) == 0 then return -3 end
  leaveActive(k, string.sub(jobKey, 1, #jobKey - #jobId), jobId, fields[1])
  return nil
end

-- Adds one job (the body of add_jobs.lua), reading its 12 values from A[i…i+11] (A is ARGV, or a
-- table a script built): custom id
-- or "", name, data, opts, delay, priority, lifo, dedup id, dedup ttl, dedup extend, dedup
-- replace, tenant. `counter` is the job's value of the id counter; plain FIFO ids are appended
-- to `fifo` for one LPUSH per batch.
-- `extra`: more field/value pairs for the job hash (a scheduler's job gets "rjk"), or nil.
-- Returns jobId, outcome ("added" | "duplicated" | "deduplicated"), and whether workers should wake.
local function addJob(k, B, counter, timestamp, A, i, limit, fifo, extra)
  local customId, name = A[i], A[i + 1]
  local jobId = customId
  if jobId == "" then jobId = tostring(counter) end
  local jobKey = B .. jobId
  local delay = tonumber(A[i + 4]) or 0
  local priority = tonumber(A[i + 5]) or 0
  local lifo = A[i + 6] == "1"
  local dedupId, tenant = A[i + 7], A[i + 11]

  if customId ~= "" and redis.call("EXISTS", jobKey) == 1 then
    emit(k.events, limit, "duplicated", "jobId", jobId)
    return jobId, "duplicated", false
  end

  if dedupId ~= "" then
    local dedupKey = B .. "de:" .. dedupId
    local ttl = tonumber(A[i + 8]) or 0
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
      elseif A[i + 10] == "1" and ownerDelayed then
        -- Replace (debounce): the delayed owner gives way to the new job.
        redis.call("ZREM", k.delayed, owner)
        deleteJob(B, owner, false, "delayed")
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
        if A[i + 9] == "1" and ttl > 0 then redis.call("PEXPIRE", dedupKey, ttl) end
        emit(k.events, limit, "deduplicated", "jobId", owner, "deduplicationId", dedupId, "deduplicatedJobId", jobId)
        return owner, "deduplicated", false
      end
    end
  end

  local fields = { "name", name, "data", A[i + 2], "opts", A[i + 3], "timestamp", timestamp,
    "delay", delay, "priority", priority }
  if dedupId ~= "" then fields[#fields + 1] = "deid"; fields[#fields + 1] = dedupId end
  if tenant ~= "" then
    fields[#fields + 1] = "tid"; fields[#fields + 1] = tenant
    fields[#fields + 1] = "tcs"; fields[#fields + 1] = "1"
  end
  if extra then
    for _, value in ipairs(extra) do fields[#fields + 1] = value end
  end
  redis.call("HSET", jobKey, unpack(fields))
  emit(k.events, limit, "added", "jobId", jobId, "name", name)

  local wake = false
  if delay > 0 then
    local due = timestamp + delay
    redis.call("ZADD", k.delayed, delayedScore(k.delayed, due), jobId)
    countTenantMove(B, tenant, nil, "delayed")
    emit(k.events, limit, "delayed", "jobId", jobId, "delay", due)
    scheduleDelayedWake(k.marker, k.delayed)
  else
    countTenantMove(B, tenant, nil, runnableState(priority))
    if priority == 0 and not lifo and (tenant == "" or not isFair(k)) then
      fifo[#fifo + 1] = jobId
    else
      enqueueRunnable(k, B, jobId, priority, lifo, tenant)
    end
    emit(k.events, limit, "waiting", "jobId", jobId)
    wake = true
  end
  if tenant ~= "" then redis.call("ZADD", B .. "ti:" .. tenant, timestamp, jobId) end
  return jobId, "added", wake
end

-- Flows: a child that finished for good tells its parent (`raw`: the child's `parent` field,
-- JSON {id, queueKey} and at most one of the failure flags). Completed: the child leaves the
-- parent's dependencies, its return value goes to the parent's `processed`, and the last child
-- releases the parent. Failed: fpof fails the parent (recorded in `unsuccessful`, `defa` set,
-- released so its next fetch fails it); cpof records it in `failed` and releases the parent at
-- once; idof records it and rdof forgets it, the parent released once no child is pending; with
-- no flag the parent keeps waiting (as in BullMQ).
local function settleParent(childKey, raw, now, completed, value)
  local parent = parentOf(raw)
  if not parent then return end
  -- No policy: a failed child stays a dependency and the parent waits (BullMQ's default).
  local policy = parent.fpof == true or parent.cpof == true or parent.idof == true or parent.rdof == true
  if not completed and not policy then return end
  local parentKey = parent.queueKey .. ":" .. parent.id
  local dependencies = parentKey .. ":dependencies"
  if redis.call("SREM", dependencies, childKey) == 0 then return end
  local exists = redis.call("EXISTS", parentKey) == 1
  if completed then
    redis.call("HSET", parentKey .. ":processed", childKey, value)
    if exists and redis.call("SCARD", dependencies) == 0 then releaseParent(parent.queueKey, parent.id, now) end
  elseif parent.fpof == true then
    redis.call("ZADD", parentKey .. ":unsuccessful", now, childKey)
    if exists and not redis.call("ZSCORE", parent.queueKey .. ":failed", parent.id) then
      redis.call("HSET", parentKey, "defa", "child " .. childKey .. " failed", "delay", 0)
      releaseParent(parent.queueKey, parent.id, now)
    end
  elseif parent.cpof == true then
    redis.call("HSET", parentKey .. ":failed", childKey, value)
    if exists then releaseParent(parent.queueKey, parent.id, now) end
  else
    if parent.idof == true then redis.call("HSET", parentKey .. ":failed", childKey, value) end
    if exists and redis.call("SCARD", dependencies) == 0 then releaseParent(parent.queueKey, parent.id, now) end
  end
end

-- The key table most scripts share, from KEYS in this fixed order.
local function queueKeys()
  return {
    wait = KEYS[1], active = KEYS[2], prioritized = KEYS[3], delayed = KEYS[4], meta = KEYS[5],
    pc = KEYS[6], marker = KEYS[7], events = KEYS[8], limiter = KEYS[9], stalled = KEYS[10],
  }
end
