--[[
  Fixed-window rate limit shared by every API instance.

  KEYS: 1 the caller's counter for the current window (ratelimit:<user>:<window start>)
  ARGV: 1 limit, 2 window length ms
  Effects: INCR the counter; the first request of a window sets its expiry to the window length.
  Returns: { requests counted in this window (this one included), ms until the window ends }
]]
local count = redis.call("INCR", KEYS[1])
if count == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
local ttl = redis.call("PTTL", KEYS[1])
if ttl < 0 then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { count, ttl }
