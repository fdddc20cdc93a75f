--[[
  Sends a failed attempt back for another try: to delayed (backoff) or straight to wait.

  KEYS: 1-10 the shared queue keys, 11 job hash
  ARGV: 1 B, 2 jobId, 3 now ms, 4 lock token ("0": not locked), 5 delay ms (0: run again now),
        6 failure reason, 7 stacktrace JSON or "", 8 count the attempt "1"/"0"
  Errors: -1 missing job, -2 missing lock, -3 not active, -6 lock owned by another token
  Effects: lock released, SREM stalled, LREM active, atm+1, failedReason/stacktrace; then
           ZADD delayed + delayed marker + event delayed, or wait/prioritized + marker + event waiting.
  Returns: 0
]]
local k = queueKeys()
local B = ARGV[1]
local jobId = ARGV[2]
local jobKey = KEYS[11]
local now = tonumber(ARGV[3])
local limit = maxEvents(k.meta)

local token = ARGV[4]
local released = releaseActiveJob(k, jobKey, jobId, token)
if released then return released end
if ARGV[8] == "1" then redis.call("HINCRBY", jobKey, "atm", 1) end
redis.call("HSET", jobKey, "failedReason", ARGV[6])
if ARGV[7] ~= "" then redis.call("HSET", jobKey, "stacktrace", ARGV[7]) end

local delay = tonumber(ARGV[5]) or 0
if delay > 0 then
  redis.call("HSET", jobKey, "delay", delay)
  delayJob(k, B, jobId, "active", now + delay, limit)
else
  promoteDueDelayed(k, B, now, limit)
  local fields = redis.call("HMGET", jobKey, "priority", "opts")
  local priority = tonumber(fields[1]) or 0
  local lifo = fields[2] and string.find(fields[2], '"lifo":true', 1, true) ~= nil
  enqueueRunnable(k, B, jobId, priority, lifo, nil)
  countJobMove(B, jobId, "active", runnableState(priority))
  if not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end
  emit(k.events, limit, "waiting", "jobId", jobId, "prev", "active")
end
return 0
