--[[
  Adds a flow: a tree of jobs, parents first, across queues of one prefix, all or nothing
  (BullMQ's FlowProducer layout). A node with children waits in its queue's waiting-children set
  until they finish; each child names its parent (`parentKey`, and `parent` as JSON {id, queueKey}
  plus its failure flag) and joins the parent's `:dependencies` set under its full key.

  KEYS: every node's job hash (so Redis Cluster routes the call; give the prefix a hash tag)
  ARGV: 1 timestamp ms, then 11 values per node: queue base B ("<prefix>:<queue>:"), job id, name,
        data JSON, opts JSON, delay ms, priority, lifo "1"/"0", tenant id or "", parent node index
        (1-based, 0 for the root, -1 for a job that exists already: the parent of the children
        that name it, added to while it runs; only its base, its id and, in the opts slot, the
        lock token its worker holds ("": not checked) count), failure flag towards the parent
        ("fpof" | "cpof" | "idof" | "rdof" | "")
  Effects: nothing when any job id exists already; else per node the id counter advances, the job
           hash, wait/prioritized/delayed entry (leaves) or waiting-children entry (parents),
           events added + waiting|delayed|waiting-children, tenant index and counts; workers of
           each queue woken unless paused or at their concurrency limit.
  Returns: the job ids in node order, {"exists", jobId} when a job id is taken,
           {"missing", jobId} when an existing parent is not there, or {"unlocked", jobId} when
           its lock is not the given token.
]]
local timestamp = tonumber(ARGV[1])
local WIDTH = 11
local count = math.floor((#ARGV - 1) / WIDTH)

local function value(node, offset) return ARGV[1 + (node - 1) * WIDTH + offset] end

-- Whether a node has children: a later node names it as parent.
local hasChildren = {}
for node = 1, count do
  local parentIndex = tonumber(value(node, 10)) or 0
  if parentIndex > 0 then hasChildren[parentIndex] = true end
  local exists = redis.call("EXISTS", value(node, 1) .. value(node, 2)) == 1
  if parentIndex == -1 then
    if not exists then return { "missing", value(node, 2) } end
    local token = value(node, 5)
    if token ~= "" and redis.call("GET", value(node, 1) .. value(node, 2) .. ":lock") ~= token then
      return { "unlocked", value(node, 2) }
    end
  elseif exists then
    return { "exists", value(node, 2) }
  end
end

local limits = {}

-- Creates node `node` (a leaf in its queue's wait, delayed or prioritized; a parent in
-- waiting-children) and makes it a dependency of its parent.
local function addNode(node)
  local B, jobId, name, data, opts = value(node, 1), value(node, 2), value(node, 3), value(node, 4), value(node, 5)
  local delay, priority, tenant = tonumber(value(node, 6)) or 0, tonumber(value(node, 7)) or 0, value(node, 9)
  local parentIndex = tonumber(value(node, 10)) or 0
  local k = keysOf(B)
  if not limits[B] then limits[B] = maxEvents(k.meta) end
  local limit = limits[B]
  redis.call("INCR", B .. "id")

  local extra = {}
  local dependenciesKey
  if parentIndex > 0 then
    local PB, parentId = value(parentIndex, 1), value(parentIndex, 2)
    local queueKey = string.sub(PB, 1, -2)
    local parent = { id = parentId, queueKey = queueKey }
    local flag = value(node, 11)
    if flag == "fpof" or flag == "cpof" or flag == "idof" or flag == "rdof" then parent[flag] = true end
    extra = { "parentKey", PB .. parentId, "parent", cjson.encode(parent) }
    dependenciesKey = PB .. parentId .. ":dependencies"
  end

  if hasChildren[node] then
    local fields = { "name", name, "data", data, "opts", opts, "timestamp", timestamp, "delay", delay, "priority", priority }
    if tenant ~= "" then
      fields[#fields + 1] = "tid"; fields[#fields + 1] = tenant
      fields[#fields + 1] = "tcs"; fields[#fields + 1] = "1"
      redis.call("ZADD", B .. "ti:" .. tenant, timestamp, jobId)
    end
    for _, item in ipairs(extra) do fields[#fields + 1] = item end
    redis.call("HSET", B .. jobId, unpack(fields))
    redis.call("ZADD", B .. "waiting-children", timestamp, jobId)
    countTenantMove(B, tenant, nil, "waiting-children")
    emit(k.events, limit, "added", "jobId", jobId, "name", name)
    emit(k.events, limit, "waiting-children", "jobId", jobId)
  else
    local fifo = {}
    local A = { jobId, name, data, opts, delay, priority, value(node, 8), "", "0", "0", "0", tenant }
    local _, _, wake = addJob(k, B, 0, timestamp, A, 1, limit, fifo, extra)
    if #fifo > 0 then redis.call("LPUSH", k.wait, unpack(fifo)) end
    if wake and not pausedOrMaxed(k.meta, k.active) then wakeWorkers(k.marker) end
  end
  if dependenciesKey then redis.call("SADD", dependenciesKey, B .. jobId) end
end

local ids = {}
for node = 1, count do
  if (tonumber(value(node, 10)) or 0) ~= -1 then addNode(node) end
  ids[#ids + 1] = value(node, 2)
end
return ids
