--[[
  A running job waits for the children it added while it ran (BullMQ's moveToWaitingChildren):
  with children pending it leaves active for waiting-children, and its last child releases it
  (settleParent in lib.lua); with none pending (they all finished already), or a child that
  failed it (failParentOnFailure: its `defa` fails it when next taken), it goes to the front of
  wait. Either way its worker gives it up and it runs again later.

  KEYS: 1-10 the shared queue keys, 11 job hash
  ARGV: 1 B, 2 jobId, 3 lock token ("0": not locked), 4 now ms
  Errors: -1 missing job, -2 missing lock, -3 not active, -6 lock owned by another token
  Effects: lock released, SREM stalled, LREM active; waiting-children entry, or wait/prioritized
           entry and the base marker; tenant counts; event waiting-children or waiting.
  Returns: "waiting-children" or "waiting"
]]
local k = queueKeys()
local B = ARGV[1]
local jobId = ARGV[2]
local jobKey = KEYS[11]
local now = tonumber(ARGV[4])
local released = releaseActiveJob(k, jobKey, jobId, ARGV[3])
if released then return released end
local limit = maxEvents(k.meta)
if redis.call("EXISTS", jobKey .. ":dependencies") == 1 and redis.call("EXISTS", jobKey .. ":unsuccessful") == 0 then
  redis.call("ZADD", B .. "waiting-children", now, jobId)
  countJobMove(B, jobId, "active", "waiting-children")
  emit(k.events, limit, "waiting-children", "jobId", jobId, "prev", "active")
  return "waiting-children"
end
local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
enqueueRunnable(k, B, jobId, priority, true, nil)
countJobMove(B, jobId, "active", runnableState(priority))
emit(k.events, limit, "waiting", "jobId", jobId, "prev", "active")
if not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end
return "waiting"
