--[[
  Pauses or resumes the queue for every worker (meta.paused is the only pause state in v6).

  KEYS: 1-10 the shared queue keys, 11 legacy paused list (BullMQ v5)
  ARGV: 1 "pause" | "resume"
  Effects: pause: HSET meta paused 1, DEL marker, event paused. resume: HDEL meta paused, drain the
           legacy list into wait, wake workers (or schedule the next delayed wake), event resumed.
  Returns: 0
]]
local k = queueKeys()
local limit = maxEvents(k.meta)
if ARGV[1] == "pause" then
  redis.call("HSET", k.meta, "paused", 1)
  redis.call("DEL", k.marker)
  emit(k.events, limit, "paused")
else
  redis.call("HDEL", k.meta, "paused")
  -- Oldest first, to the back of wait: the legacy jobs keep their order behind the current ones.
  while redis.call("RPOPLPUSH", KEYS[11], k.wait) do end
  if hasRunnable(k, string.sub(k.meta, 1, #k.meta - #"meta")) then
    wakeWorkers(k.marker)
  else
    scheduleDelayedWake(k.marker, k.delayed)
  end
  emit(k.events, limit, "resumed")
end
return 0
