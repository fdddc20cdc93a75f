--[[
  Moves the next runnable job to active and locks it for one worker (BullMQ's moveToActive).

  KEYS: 1-10 the shared queue keys
  ARGV: 1 B, 2 now ms, 3 lock token ("0": no lock), 4 lock duration ms, 5 limiter max ("0": none),
        6 limiter duration ms, 7 worker name or ""
  Effects: promotes due delayed jobs; RPOPLPUSH wait->active (else ZPOPMIN prioritized);
           limiter INCR; lock SET PX; processedOn, ats+1, pb; event active; base marker.
  Returns: { flat job hash | 0, jobId | 0, rate-limit ttl ms, next delayed due ms }
]]
local k = queueKeys()
return fetchNextJob(k, ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]),
  tonumber(ARGV[6]), ARGV[7], maxEvents(k.meta))
