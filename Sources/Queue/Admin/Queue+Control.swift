import Foundation
public import Redis

/// Admin actions: pause, retry, promote, remove, clean, drain, obliterate, progress and logs,
/// global concurrency and rate limits.
extension Queue {
    /// Stops every worker from taking jobs (running jobs finish); producers can still add.
    public func pause() async throws {
        _ = try await run(PauseQueueCall(action: .pause))
    }

    public func resume() async throws {
        _ = try await run(PauseQueueCall(action: .resume))
    }

    /// Sends a failed (or completed) job back to wait with its attempts reset.
    public func retry(_ id: String) async throws {
        try await adminJob(.retry, id)
    }

    /// Runs a delayed job now.
    public func promote(_ id: String) async throws {
        try await adminJob(.promote, id)
    }

    /// Deletes a job that is not being processed, wherever it is.
    public func remove(_ id: String) async throws {
        try await adminJob(.remove, id)
    }

    /// Records progress (JSON: a number or an object) and emits a `progress` event.
    public func updateProgress(_ id: String, json: String) async throws {
        guard (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])) != nil else {
            throw QueueError(.invalidData, "progress is not valid JSON")
        }
        try await adminJob(.progress, id, argument: json)
    }

    public func updateProgress(_ id: String, _ value: some Encodable) async throws {
        try await updateProgress(id, json: try NewJob.encode(value))
    }

    /// Appends a line to the job's log, keeping the last `keep` lines; returns the number kept.
    @discardableResult
    public func addLog(_ id: String, _ line: String, keep: Int? = nil) async throws -> Int {
        try await adminJob(.log, id, argument: line, keep: keep ?? 0)
    }

    /// Sends every failed job back to wait (in batches of `batch` per script call).
    @discardableResult
    public func retryAllFailed(batch: Int = 1000) async throws -> Int {
        try await adminQueueLoop(.retryFailed, batch: batch).count
    }

    /// Runs every delayed job now.
    @discardableResult
    public func promoteAllDelayed(batch: Int = 1000) async throws -> Int {
        try await adminQueueLoop(.promoteDelayed, batch: batch).count
    }

    /// Deletes up to `limit` jobs of `state` older than `grace` (by finish, start or creation
    /// time); locked active jobs are kept. Returns the deleted ids.
    @discardableResult
    public func clean(_ state: JobState, grace: Duration = .zero, limit: Int = 1000) async throws -> [String] {
        let name: String
        switch state {
        case .completed, .failed, .delayed, .prioritized, .active: name = state.rawValue
        case .waiting: name = "wait"
        case .waitingChildren, .unknown:
            throw QueueError(.invalidOption, "cannot clean jobs in state \(state.rawValue)")
        }
        var removed: [String] = []
        while removed.count < limit {
            let reply = try await run(
                AdminQueueCall(
                    action: .clean, now: Self.now(), state: name, batchSize: min(1000, limit - removed.count), grace: grace))
            let (_, more, ids) = try AdminQueueCall.reply(reply, queue: self.name)
            removed += ids
            if !more { break }
        }
        return removed
    }

    /// Deletes every waiting and prioritized job (and delayed ones with `includeDelayed`).
    @discardableResult
    public func drain(includeDelayed: Bool = false, batch: Int = 1000) async throws -> Int {
        try await adminQueueLoop(.drain, batch: batch, flag: includeDelayed).count
    }

    /// Deletes the queue and every key it has. The queue must be paused; with active jobs it
    /// refuses unless `force`.
    public func obliterate(force: Bool = false, batch: Int = 1000) async throws {
        _ = try await adminQueueLoop(.obliterate, batch: batch, flag: force)
    }

    /// Holds every worker's fetches (in every process) for `duration`, as BullMQ's `rateLimit`
    /// does: jobs wait, none starts, until the hold expires. A shorter hold never cuts a longer
    /// one short. At most ``RateLimitedError/maximumHold``.
    public func rateLimit(for duration: Duration) async throws {
        let milliseconds = min(max(duration, .milliseconds(1)), RateLimitedError.maximumHold).milliseconds
        // One script: a plain start counter is replaced, a longer hold kept, whoever races.
        try await run(HoldQueueCall(milliseconds: milliseconds))
    }

    /// How long fetches are still held or limited (`nil`: they are not).
    public func rateLimitRemaining() async throws -> Duration? {
        let remaining = try await redis.execute(RedisCommand("PTTL", [.string(keys.limiter)], keyArguments: 0..<1), as: Int.self)
        return remaining > 0 ? .milliseconds(remaining) : nil
    }

    /// The queue-wide limits in force: global concurrency, global rate limit, and a hold.
    public func limits() async throws -> QueueLimits {
        let replies = try await redis.pipeline([
            RedisCommand("HMGET", [.string(keys.meta), "concurrency", "max", "duration"], keyArguments: 0..<1),
            RedisCommand("PTTL", [.string(keys.limiter)], keyArguments: 0..<1),
            RedisCommand("GET", [.string(keys.limiter)], keyArguments: 0..<1),
        ])
        let meta = try [String?](fromRESP: replies[0])
        let remaining = try Int(fromRESP: replies[1])
        let started = try String?(fromRESP: replies[2]).flatMap(Int.init) ?? 0
        let concurrency = meta.first.flatMap { $0 }.flatMap(Int.init)
        let max = meta.count > 1 ? meta[1].flatMap(Int.init) : nil
        let duration = meta.count > 2 ? meta[2].flatMap(Int.init) : nil
        return QueueLimits(
            concurrency: concurrency.flatMap { $0 > 0 ? $0 : nil },
            rateLimit: max.flatMap { max in duration.flatMap { $0 > 0 && max > 0 ? (max, .milliseconds($0)) : nil } },
            heldFor: remaining > 0 && started >= Self.rateLimitHold ? .milliseconds(remaining) : nil)
    }

    /// The limiter value that holds every fetch (BullMQ writes the same, 2^53 - 1).
    static let rateLimitHold = 9_007_199_254_740_991

    /// At most `limit` jobs of this queue active at once across all workers (`nil`: no limit).
    public func setGlobalConcurrency(_ limit: Int?) async throws {
        if let limit {
            guard limit > 0 else { throw QueueError(.invalidOption, "global concurrency must be positive") }
            try await redis.execute(RedisCommand("HSET", [.string(keys.meta), "concurrency", .int(limit)], keyArguments: 0..<1))
        } else {
            try await redis.execute(RedisCommand("HDEL", [.string(keys.meta), "concurrency"], keyArguments: 0..<1))
        }
    }

    /// At most `max` jobs started per `duration` across all workers (`nil`: no limit).
    public func setGlobalRateLimit(max: Int?, duration: Duration = .seconds(1)) async throws {
        if let max {
            guard max > 0, duration > .zero else { throw QueueError(.invalidOption, "rate limit needs a positive max and duration") }
            try await redis.execute(
                RedisCommand(
                    "HSET", [.string(keys.meta), "max", .int(max), "duration", .int(duration.milliseconds)], keyArguments: 0..<1))
        } else {
            try await redis.execute(RedisCommand("HDEL", [.string(keys.meta), "max", "duration"], keyArguments: 0..<1))
        }
    }

    // MARK: Internals

    @discardableResult
    private func adminJob(_ action: AdminJobCall.Action, _ id: String, argument: String = "", keep: Int = 0) async throws -> Int {
        let reply = try await run(AdminJobCall(action: action, jobID: id, now: Self.now(), argument: argument, keepLogs: keep))
        try AdminJobCall.Refusal.check(reply, job: id, action: action)
        return try Int(fromRESP: reply)
    }

    private func adminQueueLoop(_ action: AdminQueueCall.Action, batch: Int, flag: Bool = false) async throws -> (count: Int, ids: [String]) {
        var total = 0
        while true {
            let reply = try await run(AdminQueueCall(action: action, now: Self.now(), batchSize: batch, flag: flag))
            let (count, more, _) = try AdminQueueCall.reply(reply, queue: name)
            total += count
            if !more { return (total, []) }
        }
    }
}
