--[[
  Renews the locks of many active jobs in one call.

  KEYS: 1 stalled set
  ARGV: 1 B, 2 lock duration ms, then pairs: jobId, token, jobId, token, …
  Effects: for each job whose lock still holds the token: SET lock PX duration, SREM stalled.
  Returns: the ids whose lock was lost (expired or taken), which the worker must stop treating as its own.
]]
local B = ARGV[1]
local duration = tonumber(ARGV[2])
local lost = {}
for i = 3, #ARGV, 2 do
  local jobId, token = ARGV[i], ARGV[i + 1]
  local lockKey = B .. jobId .. ":lock"
  if redis.call("GET", lockKey) == token then
    redis.call("SET", lockKey, token, "PX", duration)
    redis.call("SREM", KEYS[1], jobId)
  else
    table.insert(lost, jobId)
  end
end
return lost
