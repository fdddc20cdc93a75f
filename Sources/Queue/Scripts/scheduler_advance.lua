--[[
  A worker took a scheduler's job: adds the scheduler's next job, once. Only the job of the
  scheduler's current run may do so, and only when no job exists for the next run, so workers
  racing (or a retried attempt of the same job) create each run exactly once.

  KEYS: 1-10 the shared queue keys, 11 id counter, 12 schedulers set (B.."repeat")
  ARGV: 1 B, 2 now ms, 3 scheduler id, 4 the taken job's id, 5 next run ms, 6 the next job's opts
        JSON, 7 priority
  Effects: the set scores the id by the next run; the hash's "ic" goes up by one; the job
           "repeat:"..id..":"..next is added with the name, data and tenant stored in the hash.
  Errors: -1 the scheduler is gone, -2 the taken job is not its current run (already advanced,
          or changed by an upsert), -3 a job for the next run already exists
  Returns: the new job's id
]]
local k = queueKeys()
local B = ARGV[1]
local now = tonumber(ARGV[2])
local id = ARGV[3]
local current = redis.call("ZSCORE", KEYS[12], id)
if not current then return -1 end
if ARGV[4] ~= "repeat:" .. id .. ":" .. current then return -2 end
local nextRun = ARGV[5]
local jobId = "repeat:" .. id .. ":" .. nextRun
if redis.call("EXISTS", B .. jobId) == 1 then return -3 end

local limit = maxEvents(k.meta)
local hashKey = B .. "repeat:" .. id
local stored = redis.call("HMGET", hashKey, "name", "data", "tid")
redis.call("ZADD", KEYS[12], nextRun, id)
redis.call("HINCRBY", hashKey, "ic", 1)
local delay = math.max(0, tonumber(nextRun) - now)
local args = { jobId, stored[1] or id, stored[2] or "{}", ARGV[6], delay, ARGV[7], "0", "", "0", "0", "0", stored[3] or "" }
local fifo = {}
local counter = redis.call("INCR", KEYS[11])
local _, _, runnable = addJob(k, B, counter, now, args, 1, limit, fifo, { "rjk", id })
if #fifo > 0 then redis.call("LPUSH", k.wait, unpack(fifo)) end
if runnable and not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end
return jobId
