--[[
  Removes a job scheduler: its pending job (delayed, prioritized or waiting; a running one is left
  to finish), its hash and its entry in the set.

  KEYS: 1-10 the shared queue keys, 11 schedulers set (B.."repeat")
  ARGV: 1 B, 2 scheduler id
  Returns: 1 removed, 0 there was no such scheduler
]]
local k = queueKeys()
local B = ARGV[1]
local id = ARGV[2]
local current = redis.call("ZSCORE", KEYS[11], id)
local existed = redis.call("EXISTS", B .. "repeat:" .. id) == 1 or current ~= false
if current then removePendingJob(k, B, "repeat:" .. id .. ":" .. current, maxEvents(k.meta)) end
redis.call("ZREM", KEYS[11], id)
redis.call("DEL", B .. "repeat:" .. id)
if existed then return 1 end
return 0
