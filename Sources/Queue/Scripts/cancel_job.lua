--[[
  Cancels a job: one that has not started (delayed, prioritized, waiting, or a flow's parent
  waiting for its children) is removed at once (a flow's child stops being waited for);
  a running one gets the cancel flag ("cxl" on its hash), which its worker sees within about a
  second and answers by cancelling the handler and failing the job with reason "cancelled".

  KEYS: 1-10 the shared queue keys, 11 job hash
  ARGV: 1 B, 2 jobId
  Effects: removed: the job, its tenant index entry and counts, event `removed`;
           running: the hash's "cxl" = 1 (kept if the job goes back to wait: it fails when next
           taken).
  Errors: -1 missing job, -2 the job has finished (completed or failed),
          -3 the job is a scheduler's next run, not started (removing it would stop the scheduler:
          change or remove the scheduler instead)
  Returns: { "removed", previous state } or { "requested", "active" }
]]
local k = queueKeys()
local B = ARGV[1]
local jobId = ARGV[2]
local jobKey = KEYS[11]
if redis.call("EXISTS", jobKey) == 0 then return -1 end
local active = redis.call("LPOS", k.active, jobId)
local scheduler = redis.call("HGET", jobKey, "rjk")
if not active and scheduler then
  -- The scheduler's current run, not taken yet: only its taking adds the next run.
  local current = redis.call("ZSCORE", B .. "repeat", scheduler)
  if current and jobId == "repeat:" .. scheduler .. ":" .. current then return -3 end
end
local state = removePendingJob(k, B, jobId, maxEvents(k.meta))
if state then return { "removed", state } end
if active then
  redis.call("HSET", jobKey, "cxl", 1)
  return { "requested", "active" }
end
return -2
