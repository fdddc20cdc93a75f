--[[
  Creates or changes a job scheduler (BullMQ's job scheduler layout) and its next job, atomically.
  The caller computed both possible next run times; this script picks one and checks that nobody
  changed the scheduler since the caller read it.

  KEYS: 1-10 the shared queue keys, 11 id counter, 12 schedulers set (B.."repeat")
  ARGV: 1 B, 2 now ms, 3 scheduler id, 4 the scheduler's next run the caller read ("" when it had
        none), 5 tenant id or "", 6 job name, 7 job data JSON, 8 priority,
        9 next run ms if the pending job is replaced, 10 that job's opts JSON,
        11 next run ms otherwise (new, or its current job already running), 12 that job's opts JSON,
        13… the scheduler hash's field/value pairs (without "ic")
  Effects: the scheduler's pending job (delayed, prioritized or waiting) is removed; the hash
           B.."repeat:"..id is rewritten (its iteration count "ic" kept, 1 when new); the set scores
           the id by the next run; the job "repeat:"..id..":"..next is added (field "rjk" = id),
           delayed until the run, with the events a job add emits.
  Errors: -1 the scheduler changed since it was read (read again and retry), -2 a job for that
          run already exists
  Returns: { jobId, next run ms }
]]
local k = queueKeys()
local B = ARGV[1]
local now = tonumber(ARGV[2])
local id = ARGV[3]
local limit = maxEvents(k.meta)
local current = redis.call("ZSCORE", KEYS[12], id)
-- Compared as numbers: the caller's text of the score may be written differently.
if tonumber(current or "") ~= tonumber(ARGV[4]) then return -1 end

local replaced = false
if current then
  replaced = removePendingJob(k, B, "repeat:" .. id .. ":" .. current, limit) ~= nil
end
local nextRun, opts = ARGV[11], ARGV[12]
if replaced then nextRun, opts = ARGV[9], ARGV[10] end
local jobId = "repeat:" .. id .. ":" .. nextRun
if redis.call("EXISTS", B .. jobId) == 1 then return -2 end

local hashKey = B .. "repeat:" .. id
local iterations = redis.call("HGET", hashKey, "ic") or "1"
redis.call("DEL", hashKey)
local fields = { "ic", iterations }
for i = 13, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call("HSET", hashKey, unpack(fields))
redis.call("ZADD", KEYS[12], nextRun, id)

local delay = math.max(0, tonumber(nextRun) - now)
local args = { jobId, ARGV[6], ARGV[7], opts, delay, ARGV[8], "0", "", "0", "0", "0", ARGV[5] }
local fifo = {}
local counter = redis.call("INCR", KEYS[11])
local _, _, runnable = addJob(k, B, counter, now, args, 1, limit, fifo, { "rjk", id })
if #fifo > 0 then redis.call("LPUSH", k.wait, unpack(fifo)) end
if runnable and not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end
return { jobId, nextRun }
