--[[
  Cancels a job: one that has not started (delayed, prioritized or waiting) is removed at once;
  a running one gets the cancel flag ("cxl" on its hash), which its worker sees within about a
  second and answers by cancelling the handler and failing the job with reason "cancelled".

  KEYS: 1-10 the shared queue keys, 11 job hash
  ARGV: 1 B, 2 jobId
  Effects: removed: the job, its tenant index entry and counts, event `removed`;
           running: the hash's "cxl" = 1 (kept if the job goes back to wait: it fails when next
           taken).
  Errors: -1 missing job, -2 the job has finished (completed or failed) or waits for children
  Returns: { "removed", previous state } or { "requested", "active" }
]]
local k = queueKeys()
local B = ARGV[1]
local jobId = ARGV[2]
local jobKey = KEYS[11]
if redis.call("EXISTS", jobKey) == 0 then return -1 end
local state = removePendingJob(k, B, jobId, maxEvents(k.meta))
if state then return { "removed", state } end
if redis.call("LPOS", k.active, jobId) then
  redis.call("HSET", jobKey, "cxl", 1)
  return { "requested", "active" }
end
return -2
