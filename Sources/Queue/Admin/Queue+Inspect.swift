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
            RedisCommand("HGET", [.string(keys.meta), "fair"], keyArguments: 0..<1),
        ])
        let numbers = try replies.dropLast().map { try Int(fromRESP: $0) }
        var counts = Counts()
        counts.waiting = numbers[0] + numbers[1]
        counts.active = numbers[2]
        counts.prioritized = numbers[3]
        counts.delayed = numbers[4]
        counts.completed = numbers[5]
        counts.failed = numbers[6]
        counts.waitingChildren = numbers[7]
        counts.paused = numbers[8] == 1
        if try String?(fromRESP: replies[9]) == "1" {
            // A fair queue's tenants' jobs are waiting (or prioritized) in their own sets.
            let queued = try await fairQueued()
            counts.waiting += queued.waiting
            counts.prioritized += queued.prioritized
        }
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

    /// Which of these jobs exist, in one round trip (one `EXISTS` per job, pipelined).
    public func existing(ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let replies = try await redis.pipeline(ids.map { .exists([keys.job($0)]) })
        var found: Set<String> = []
        for (id, reply) in zip(ids, replies) where try Int(fromRESP: reply) > 0 { found.insert(id) }
        return found
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
            RedisCommand("HGET", [.string(keys.job(id)), "tid"], keyArguments: 0..<1),
        ])
        let states: [JobState] = [.completed, .failed, .delayed, .prioritized, .active, .waiting, .waiting, .waitingChildren]
        for (reply, state) in zip(replies, states) where reply.value != .null && !reply.isError {
            return state
        }
        // A fair queue keeps a tenant's runnable jobs in its own set, scored like `prioritized`.
        if let tenant = try? String?(fromRESP: replies[8]), !tenant.isEmpty,
            let score = try await redis.execute(
                RedisCommand("ZSCORE", [.string(keys.fairQueued(tenant)), .string(id)], keyArguments: 0..<1), as: Double?.self)
        {
            return score >= 4_294_967_296 ? .prioritized : .waiting
        }
        return .unknown
    }

    /// One page of the jobs in `state`: newest first for completed and failed, next-to-run first
    /// for waiting, prioritized and delayed.
    public func jobs(in state: JobState, offset: Int = 0, limit: Int = 50) async throws -> [Job] {
        let (start, stop) = Self.range(offset: offset, limit: limit)
        let command: RedisCommand
        switch state {
        case .waiting:
            // The tail of wait runs next.
            command = RedisCommand("LRANGE", [.string(keys.wait), .int(-stop - 1), .int(-start - 1)], keyArguments: 0..<1)
        case .active:
            command = RedisCommand("LRANGE", [.string(keys.active), .int(start), .int(stop)], keyArguments: 0..<1)
        case .prioritized, .delayed, .waitingChildren:
            command = RedisCommand("ZRANGE", [.string(sortedSetKey(state)), .int(start), .int(stop)], keyArguments: 0..<1)
        case .completed, .failed:
            command = RedisCommand("ZREVRANGE", [.string(sortedSetKey(state)), .int(start), .int(stop)], keyArguments: 0..<1)
        case .unknown:
            return []
        }
        var ids = try await redis.execute(command, as: [String].self)
        if state == .waiting { ids.reverse() }
        return try await jobs(ids: ids)
    }

    /// A page of the jobs in `state` by when they entered it: `.newestFirst` starts with the job
    /// added (waiting, active), finished (completed, failed) or due (delayed) last, or with the
    /// highest priority number (prioritized); `.oldestFirst` is the reverse.
    public func jobs(in state: JobState, offset: Int, limit: Int, order: JobListOrder) async throws -> [Job] {
        let (start, stop) = Self.range(offset: offset, limit: limit)
        let command: RedisCommand
        switch (state, order) {
        case (.waiting, _), (.active, _):
            // Both lists take new jobs at their head.
            let key = state == .waiting ? keys.wait : keys.active
            command =
                order == .newestFirst
                ? RedisCommand("LRANGE", [.string(key), .int(start), .int(stop)], keyArguments: 0..<1)
                : RedisCommand("LRANGE", [.string(key), .int(-stop - 1), .int(-start - 1)], keyArguments: 0..<1)
        case (.prioritized, _), (.delayed, _), (.waitingChildren, _), (.completed, _), (.failed, _):
            let verb = order == .newestFirst ? "ZREVRANGE" : "ZRANGE"
            command = RedisCommand(verb, [.string(sortedSetKey(state)), .int(start), .int(stop)], keyArguments: 0..<1)
        case (.unknown, _):
            return []
        }
        var ids = try await redis.execute(command, as: [String].self)
        if (state == .waiting || state == .active) && order == .oldestFirst { ids.reverse() }
        return try await jobs(ids: ids)
    }

    /// The oldest `limit` completed or failed jobs that finished at or before `finishedAtMost`
    /// (ms since 1970): a batch that jobs finishing later never join.
    public func jobs(in state: JobState, finishedAtMost: Int, limit: Int) async throws -> [Job] {
        guard state == .completed || state == .failed else { return [] }
        let ids = try await redis.execute(
            RedisCommand(
                "ZRANGEBYSCORE", [.string(sortedSetKey(state)), "-inf", .int(finishedAtMost), "LIMIT", 0, .int(min(max(1, limit), 1000))],
                keyArguments: 0..<1),
            as: [String].self)
        return try await jobs(ids: ids)
    }

    private func sortedSetKey(_ state: JobState) -> String {
        switch state {
        case .prioritized: return keys.prioritized
        case .delayed: return keys.delayed
        case .waitingChildren: return keys.waitingChildren
        case .completed: return keys.completed
        default: return keys.failed
        }
    }

    /// One tenant's jobs in this queue, newest first, from the tenant index (no scan). Entries
    /// whose job is gone (removed by a client that does not maintain the index) are dropped.
    public func jobs(tenant: String, offset: Int = 0, limit: Int = 50) async throws -> [Job] {
        let (start, stop) = Self.range(offset: offset, limit: limit)
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

    /// How many log lines the job has kept.
    public func logCount(_ id: String) async throws -> Int {
        try await redis.execute(RedisCommand("LLEN", [.string(keys.logs(id))], keyArguments: 0..<1), as: Int.self)
    }

    /// The job's log lines, oldest first.
    public func logs(_ id: String, offset: Int = 0, limit: Int = 100) async throws -> [String] {
        let (start, stop) = Self.range(offset: offset, limit: limit)
        return try await redis.execute(
            RedisCommand("LRANGE", [.string(keys.logs(id)), .int(start), .int(stop)], keyArguments: 0..<1), as: [String].self)
    }

    /// The largest offset a page query honours; beyond it a page is empty rather than a trap.
    public static let maximumOffset = 1 << 40

    /// Inclusive Redis index range of a page: `offset` clamped to 0…``maximumOffset`` and `limit` to
    /// 1…1000, so `start + limit - 1` cannot overflow whatever a caller passes.
    static func range(offset: Int, limit: Int) -> (start: Int, stop: Int) {
        let start = min(max(0, offset), maximumOffset)
        return (start, start + min(max(1, limit), 1000) - 1)
    }

    /// One tenant's job counts by state, in one read: the scripts keep them as they move jobs
    /// (`B:tc:<tenant>`). Jobs added before the counts existed, or moved by clients that do not
    /// keep them (BullMQ's own workers), are not counted; a count never shows below zero.
    public func counts(tenant: String) async throws -> Counts {
        let replies = try await redis.pipeline([
            RedisCommand("HGETALL", [.string(keys.tenantCounts(tenant))], keyArguments: 0..<1),
            RedisCommand("HEXISTS", [.string(keys.meta), "paused"], keyArguments: 0..<1),
        ])
        let fields = try [String: String](fromRESP: replies[0])
        func count(_ state: JobState) -> Int { max(0, fields[state.rawValue].flatMap { Int($0) } ?? 0) }
        var counts = Counts()
        counts.waiting = count(.waiting)
        counts.active = count(.active)
        counts.prioritized = count(.prioritized)
        counts.delayed = count(.delayed)
        counts.completed = count(.completed)
        counts.failed = count(.failed)
        counts.waitingChildren = count(.waitingChildren)
        counts.paused = try Int(fromRESP: replies[1]) == 1
        return counts
    }

    /// A page of one tenant's jobs in `state`, by when they were added (newest first unless
    /// `order` says otherwise), looking at its `scanLimit` most recent (or oldest) jobs. States are told apart by set membership (`ZSCORE`) and one read of `active`
    /// per batch, never by scanning the wait list.
    public func jobs(
        tenant: String, in state: JobState, offset: Int, limit: Int, scanLimit: Int = 10_000, order: JobListOrder = .newestFirst
    ) async throws -> [Job] {
        var matching: [String] = []
        let wanted = min(max(0, offset), scanLimit) + min(max(1, limit), 1000)
        var position = 0
        while position < scanLimit && matching.count < wanted {
            let batch = try await jobIDs(tenant: tenant, offset: position, limit: 200, order: order)
            if batch.isEmpty { break }
            position += batch.count
            for (id, found) in zip(batch, try await indexedStates(of: batch)) where found == state { matching.append(id) }
        }
        let page = matching.dropFirst(min(max(0, offset), matching.count)).prefix(min(max(1, limit), 1000))
        return try await jobs(ids: Array(page))
    }

    /// The states of jobs known to exist (from an index): a job in no sorted set and not active
    /// is waiting.
    func indexedStates(of ids: [String]) async throws -> [JobState] {
        guard !ids.isEmpty else { return [] }
        let sets: [(String, JobState)] = [
            (keys.completed, .completed), (keys.failed, .failed), (keys.delayed, .delayed), (keys.prioritized, .prioritized),
            (keys.waitingChildren, .waitingChildren),
        ]
        var commands = [RedisCommand("LRANGE", [.string(keys.active), 0, -1], keyArguments: 0..<1)]
        for id in ids {
            for (key, _) in sets { commands.append(RedisCommand("ZSCORE", [.string(key), .string(id)], keyArguments: 0..<1)) }
        }
        let replies = try await redis.pipeline(commands)
        let active = Set(try [String](fromRESP: replies[0]))
        return ids.enumerated().map { index, id in
            let base = 1 + index * sets.count
            for (offset, (_, state)) in sets.enumerated() where replies[base + offset].value != .null && !replies[base + offset].isError {
                return state
            }
            return active.contains(id) ? .active : .waiting
        }
    }

    /// Ids from the tenant index, newest first.
    func jobIDs(tenant: String, offset: Int, limit: Int, order: JobListOrder = .newestFirst) async throws -> [String] {
        let (start, stop) = Self.range(offset: offset, limit: limit)
        return try await redis.execute(
            RedisCommand(
                order == .newestFirst ? "ZREVRANGE" : "ZRANGE", [.string(keys.tenantIndex(tenant)), .int(start), .int(stop)], keyArguments: 0..<1),
            as: [String].self)
    }

    /// Finished-job metrics: the running total and per-minute counts, newest minute first.
    public struct Metrics: Sendable, Equatable, Codable {
        public var count: Int
        public var perMinute: [Int]
        /// Finished so far in the minute in progress (not in `perMinute`).
        public var currentMinute: Int = 0
    }

    /// Finishes per minute, newest first: `perMinute[0]` is the last complete minute before now.
    public func metrics(_ kind: MetricsKind, minutes: Int = 60) async throws -> Metrics {
        let key = keys.metrics(kind)
        let minutes = min(max(1, minutes), 100_000)
        let replies = try await redis.pipeline([
            RedisCommand("HMGET", [.string(key), "count", "prevTS", "prevCount"], keyArguments: 0..<1),
            RedisCommand("LRANGE", [.string(key + ":data"), 0, .int(minutes - 1)], keyArguments: 0..<1),
        ])
        let fields = try [String?](fromRESP: replies[0])
        let number = { (index: Int) in fields.count > index ? fields[index].flatMap { Int($0) } : nil }
        let stored = try [String](fromRESP: replies[1]).compactMap(Int.init)
        let now = Self.now()
        return Metrics(
            count: number(0) ?? 0,
            perMinute: Self.perMinute(
                stored: stored, count: number(0) ?? 0, minuteStart: number(1), countAtMinuteStart: number(2), now: now,
                minutes: minutes),
            currentMinute: Self.currentMinute(count: number(0) ?? 0, minuteStart: number(1), countAtMinuteStart: number(2), now: now))
    }

    /// The finishes since the first one of the minute in progress: the finish script records the
    /// count as it stood then (`prevCount`) with that finish's time (`prevTS`).
    static func currentMinute(count: Int, minuteStart: Int?, countAtMinuteStart: Int?, now: Int) -> Int {
        guard let minuteStart, let countAtMinuteStart, minuteStart / 60_000 == now / 60_000 else { return 0 }
        let (finished, overflow) = count.subtractingReportingOverflow(countAtMinuteStart)
        return overflow ? 0 : max(0, finished)
    }

    /// The stored series brought up to now. The finish script pushes a minute's count only when a
    /// later finish happens, so after a quiet spell the stored head is an old minute: the minutes
    /// since the last recorded one are idle (zeros), and that minute itself, when complete, counts
    /// `count - countAtMinuteStart`.
    static func perMinute(stored: [Int], count: Int, minuteStart: Int?, countAtMinuteStart: Int?, now: Int, minutes: Int) -> [Int] {
        guard let minuteStart, let countAtMinuteStart else { return Array(stored.prefix(minutes)) }
        let currentMinute = now / 60_000 * 60_000
        let (difference, overflow) = currentMinute.subtractingReportingOverflow(minuteStart)
        guard !overflow, difference >= 60_000 else { return Array(stored.prefix(minutes)) }
        let idle = min(difference / 60_000 - 1, minutes)
        var series = Array(repeating: 0, count: idle)
        if series.count < minutes {
            let (finished, wrapped) = count.subtractingReportingOverflow(countAtMinuteStart)
            series.append(wrapped ? 0 : max(0, finished))
        }
        series += stored.prefix(max(0, minutes - series.count))
        return series
    }

    /// Whether the queue is paused for every worker.
    public func isPaused() async throws -> Bool {
        try await redis.execute(RedisCommand("HEXISTS", [.string(keys.meta), "paused"], keyArguments: 0..<1), as: Bool.self)
    }
}
