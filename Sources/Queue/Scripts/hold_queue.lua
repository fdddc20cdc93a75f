--[[
  Holds every fetch of the queue for a while (BullMQ's rateLimit: the limiter key at 2^53 - 1
  until it expires). A hold in force that lasts longer is kept; a plain start counter is replaced.

  KEYS: 1 limiter
  ARGV: 1 B, 2 hold ms
  Returns: 1 held for ARGV[2], 0 a longer hold was already in force
]]
local milliseconds = tonumber(ARGV[2])
local ttl = redis.call("PTTL", KEYS[1])
local value = tonumber(redis.call("GET", KEYS[1])) or 0
if value >= RATE_LIMIT_HOLD and ttl >= milliseconds then return 0 end
redis.call("SET", KEYS[1], RATE_LIMIT_HOLD, "PX", milliseconds)
return 1
