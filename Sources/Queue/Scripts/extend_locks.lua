--[[
  Renews the locks of many active jobs in one call.

  KEYS: 1 stalled set
  ARGV: 1 B, 2 lock duration ms, then pairs: jobId, token, jobId, token, …
  Effects: for each job whose lock still holds the token: SET lock PX duration, SREM stalled. A
           job whose lock is gone (expired, or lost with a Redis restart) but which is still active
           is locked again for the token: nobody else holds it, and the stalled check has not moved it.
  Returns: the ids whose lock was lost (taken, or the job moved on), which the worker must stop treating as its own.
]]
local B = ARGV[1]
local duration = tonumber(ARGV[2])
local activeKey = B .. "active"
local lost = {}
for i = 3, #ARGV, 2 do
  local jobId, token = ARGV[i], ARGV[i + 1]
  local lockKey = B .. jobId .. ":lock"
  local held = redis.call("GET", lockKey)
  if held == token or (not held and redis.call("LPOS", activeKey, jobId)) then
    redis.call("SET", lockKey, token, "PX", duration)
    redis.call("SREM", KEYS[1], jobId)
  else
    table.insert(lost, jobId)
  end
end
return lost
