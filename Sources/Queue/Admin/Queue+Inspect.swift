public import Redis

/// Read-only queries: counts, jobs, states, logs, metrics, one tenant's jobs.
extension Queue {
    /// Job counts per state, read in one round trip.
    public struct Counts: Sendable, Equatable, Codable {
        public var waiting = 0
        public var active = 0
        public var prioritized = 0
        public var delayed = 0
        public var completed = 0
        public var failed = 0
        public var waitingChildren = 0
        public var paused = false

        public init() {}
    }

    public func counts() async throws -> Counts {
        let replies = try await redis.pipeline([
            RedisCommand("LLEN", [.string(keys.wait)], keyArguments: 0..<1),
            RedisCommand("LLEN", [.string(keys.legacyPaused)], keyArguments: 0..<1),
            RedisCommand("LLEN", [.string(keys.active)], keyArguments: 0..<1),
            RedisCommand("ZCARD", [.string(keys.prioritized)], keyArguments: 0..<1),
            RedisCommand("ZCARD", [.string(keys.delayed)], keyArguments: 0..<1),
            RedisCommand("ZCARD", [.string(keys.completed)], keyArguments: 0..<1),
            RedisCommand("ZCARD", [.string(keys.failed)], keyArguments: 0..<1),
            RedisCommand("ZCARD", [.string(keys.waitingChildren)], keyArguments: 0..<1),
            RedisCommand("HEXISTS", [.string(keys.meta), "paused"], keyArguments: 0..<1),
        ])
        let numbers = try replies.map { try Int(fromRESP: $0) }
        var counts = Counts()
        counts.waiting = numbers[0] + numbers[1]
        counts.active = numbers[2]
        counts.prioritized = numbers[3]
        counts.delayed = numbers[4]
        counts.completed = numbers[5]
        counts.failed = numbers[6]
        counts.waitingChildren = numbers[7]
        counts.paused = numbers[8] == 1
        return counts
    }

    /// The job, or `nil` when no such job exists (any more).
    public func job(_ id: String) async throws -> Job? {
        let fields = try await redis.execute(
            RedisCommand("HGETALL", [.string(keys.job(id))], keyArguments: 0..<1), as: [String: String].self)
        return Job(id: id, queue: name, fields: fields)
    }

    /// Jobs by id in one round trip, skipping ids whose job is gone.
    public func jobs(ids: [String]) async throws -> [Job] {
        guard !ids.isEmpty else { return [] }
        let replies = try await redis.pipeline(ids.map { RedisCommand("HGETALL", [.string(keys.job($0))], keyArguments: 0..<1) })
        return try zip(ids, replies).compactMap { id, reply in
            Job(id: id, queue: name, fields: try [String: String](fromRESP: reply))
        }
    }

    /// Where the job is, checking the states in BullMQ's order.
    public func state(of id: String) async throws -> JobState {
        let replies = try await redis.pipeline([
            RedisCommand("ZSCORE", [.string(keys.completed), .string(id)], keyArguments: 0..<1),
            RedisCommand("ZSCORE", [.string(keys.failed), .string(id)], keyArguments: 0..<1),
            RedisCommand("ZSCORE", [.string(keys.delayed), .string(id)], keyArguments: 0..<1),
            RedisCommand("ZSCORE", [.string(keys.prioritized), .string(id)], keyArguments: 0..<1),
            RedisCommand("LPOS", [.string(keys.active), .string(id)], keyArguments: 0..<1),
            RedisCommand("LPOS", [.string(keys.wait), .string(id)], keyArguments: 0..<1),
            RedisCommand("LPOS", [.string(keys.legacyPaused), .string(id)], keyArguments: 0..<1),
            RedisCommand("ZSCORE", [.string(keys.waitingChildren), .string(id)], keyArguments: 0..<1),
        ])
        let states: [JobState] = [.completed, .failed, .delayed, .prioritized, .active, .waiting, .waiting, .waitingChildren]
        for (reply, state) in zip(replies, states) where reply.value != .null && !reply.isError {
            return state
        }
        return .unknown
    }

    /// One page of the jobs in `state`: newest first for completed and failed, next-to-run first
    /// for waiting, prioritized and delayed.
    public func jobs(in state: JobState, offset: Int = 0, limit: Int = 50) async throws -> [Job] {
        let start = max(0, offset)
        let stop = start + max(1, min(limit, 1000)) - 1
        let command: RedisCommand
        switch state {
        case .waiting:
            // The tail of wait runs next.
            command = RedisCommand("LRANGE", [.string(keys.wait), .int(-stop - 1), .int(-start - 1)], keyArguments: 0..<1)
        case .active:
            command = RedisCommand("LRANGE", [.string(keys.active), .int(start), .int(stop)], keyArguments: 0..<1)
        case .prioritized, .delayed, .waitingChildren:
            let key = state == .prioritized ? keys.prioritized : state == .delayed ? keys.delayed : keys.waitingChildren
            command = RedisCommand("ZRANGE", [.string(key), .int(start), .int(stop)], keyArguments: 0..<1)
        case .completed, .failed:
            command = RedisCommand(
                "ZREVRANGE", [.string(state == .completed ? keys.completed : keys.failed), .int(start), .int(stop)],
                keyArguments: 0..<1)
        case .unknown:
            return []
        }
        var ids = try await redis.execute(command, as: [String].self)
        if state == .waiting { ids.reverse() }
        return try await jobs(ids: ids)
    }

    /// One tenant's jobs in this queue, newest first, from the tenant index (no scan). Entries
    /// whose job is gone (removed by a client that does not maintain the index) are dropped.
    public func jobs(tenant: String, offset: Int = 0, limit: Int = 50) async throws -> [Job] {
        let start = max(0, offset)
        let stop = start + max(1, min(limit, 1000)) - 1
        let indexKey = keys.tenantIndex(tenant)
        let ids = try await redis.execute(
            RedisCommand("ZREVRANGE", [.string(indexKey), .int(start), .int(stop)], keyArguments: 0..<1), as: [String].self)
        let found = try await jobs(ids: ids)
        let stale = Set(ids).subtracting(found.map(\.id))
        if !stale.isEmpty {
            try await redis.execute(RedisCommand("ZREM", [.string(indexKey)] + stale.map { .string($0) }, keyArguments: 0..<1))
        }
        return found
    }

    /// How many jobs the tenant has in this queue (index entries).
    public func jobCount(tenant: String) async throws -> Int {
        try await redis.execute(RedisCommand("ZCARD", [.string(keys.tenantIndex(tenant))], keyArguments: 0..<1), as: Int.self)
    }

    /// The job's log lines, oldest first.
    public func logs(_ id: String, offset: Int = 0, limit: Int = 100) async throws -> [String] {
        try await redis.execute(
            RedisCommand("LRANGE", [.string(keys.logs(id)), .int(max(0, offset)), .int(max(0, offset) + max(1, limit) - 1)],
                keyArguments: 0..<1), as: [String].self)
    }

    /// Finished-job metrics: the running total and per-minute counts, newest minute first.
    public struct Metrics: Sendable, Equatable, Codable {
        public var count: Int
        public var perMinute: [Int]
    }

    public func metrics(_ kind: MetricsKind, minutes: Int = 60) async throws -> Metrics {
        let key = keys.metrics(kind)
        let replies = try await redis.pipeline([
            RedisCommand("HGET", [.string(key), "count"], keyArguments: 0..<1),
            RedisCommand("LRANGE", [.string(key + ":data"), 0, .int(max(1, minutes) - 1)], keyArguments: 0..<1),
        ])
        let count = try Int?(fromRESP: replies[0]) ?? 0
        let data = try [String](fromRESP: replies[1]).compactMap(Int.init)
        return Metrics(count: count, perMinute: data)
    }

    /// Whether the queue is paused for every worker.
    public func isPaused() async throws -> Bool {
        try await redis.execute(RedisCommand("HEXISTS", [.string(keys.meta), "paused"], keyArguments: 0..<1), as: Bool.self)
    }
}
