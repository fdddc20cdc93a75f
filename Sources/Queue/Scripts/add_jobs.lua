--[[
  Adds jobs (standard, LIFO, prioritized or delayed), honouring custom ids and deduplication;
  one call for a whole batch, so per-call work (meta reads, the wake-up) is paid once.

  KEYS: 1-10 the shared queue keys, 11 id counter
  ARGV: 1 B, 2 timestamp ms, then 12 values per job: custom job id or "", name, data JSON,
        opts JSON, delay ms, priority, lifo "1"/"0", dedup id or "", dedup ttl ms ("0": until the
        job finishes), dedup extend "1"/"0", dedup replace "1"/"0", tenant id or ""
  Effects per job: the id counter advances (as BullMQ's INCR does, in one INCRBY); job hash; wait/prioritized/delayed entry;
           events added + waiting|delayed (or duplicated / deduplicated); tenant index entry
           B.."ti:"..tenant (shares the queue's hash tag). Once: the base marker unless paused or
           at the concurrency limit.
  Returns: a flat list jobId, outcome, jobId, outcome, … (outcome: "added" | "duplicated" | "deduplicated")
]]
local k = queueKeys()
local B = ARGV[1]
local timestamp = tonumber(ARGV[2])
-- One read of meta for the whole call: the events cap, and whether workers may be woken.
local meta = redis.call("HMGET", k.meta, "opts.maxLenEvents", "paused", "concurrency")
local limit = tonumber(meta[1]) or maxEvents(k.meta)
local results = {}
local wake = false
local fifo = {}
-- The id counter advances once per job, as BullMQ's does; one INCRBY for the batch.
local count = math.floor((#ARGV - 2) / 12)
local counter = redis.call("INCRBY", KEYS[11], count) - count
for i = 3, #ARGV, 12 do
  counter = counter + 1
  local jobId, outcome, runnable = addJob(k, B, counter, timestamp, ARGV, i, limit, fifo, nil)
  results[#results + 1] = jobId
  results[#results + 1] = outcome
  wake = wake or runnable
end
-- Plain jobs join the back of wait in their order (LPUSH of a b c leaves c b a: a runs first).
for i = 1, #fifo, 1000 do
  redis.call("LPUSH", k.wait, unpack(fifo, i, math.min(i + 999, #fifo)))
end
if wake and not pausedOrMaxedGiven(meta[2], meta[3], k.active) then wakeWorkers(k.marker) end
return results
