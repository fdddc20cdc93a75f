import Foundation
public import Redis

/// What happened to a job whose attempt failed.
public enum FailureOutcome: Sendable, Equatable {
    /// It will run again after this many milliseconds (0: straight back to wait).
    case retrying(afterMilliseconds: Int)
    /// It is in `failed` for good.
    case failed
}

/// Consumer primitives: the atomic steps a worker is built from.
extension Queue {
    /// Moves the next runnable job to active under the worker's lock.
    public func fetch(_ options: FetchOptions) async throws -> FetchResult {
        let reply = try await run(scripts.fetchJob, arguments: fetchArguments(options, now: Self.now()))
        return try fetchResult(reply)
    }

    /// Completes an active job with its result (JSON) and, with `fetchNext`, takes the next job
    /// in the same round trip.
    public func complete(
        _ job: Job, token: String, returnValue: String = "null", fetchNext: FetchOptions? = nil
    ) async throws -> FetchResult? {
        try await finish(job, token: token, target: "completed", value: returnValue, stacktrace: nil,
            keep: job.options.removeOnComplete ?? options.defaultRemoveOnComplete, fetchNext: fetchNext)
    }

    /// Records a failed attempt. The job is retried when it has attempts left and the error is
    /// not `unrecoverable` (after its backoff: via delayed, or straight to wait), and fails for
    /// good otherwise. A job fetched with a deferred failure always fails.
    public func fail(
        _ job: Job, token: String, reason: String, stacktrace: [String] = [], unrecoverable: Bool = false,
        fetchNext: FetchOptions? = nil
    ) async throws -> (outcome: FailureOutcome, next: FetchResult?) {
        let attempt = job.attemptsMade + 1
        let stack = stacktrace.isEmpty ? nil : NewJob.jsonArray(stacktrace)
        if job.willRetry(afterFailureUnrecoverable: unrecoverable) {
            let delay = job.options.backoff?.delay(afterAttempt: attempt) ?? 0
            let reply = try await run(scripts.retryJob, keys: [keys.job(job.id)], arguments: [
                .string(keys.base), .string(job.id), .int(Self.now()), .string(token), .int(delay), .string(reason),
                .string(stack ?? ""), "1",
            ])
            try Self.check(reply, job: job.id, operation: "retry")
            var next: FetchResult?
            if let fetchNext { next = try await fetch(fetchNext) }
            return (.retrying(afterMilliseconds: delay), next)
        }
        let next = try await finish(job, token: token, target: "failed", value: reason, stacktrace: stack,
            keep: job.options.removeOnFail ?? options.defaultRemoveOnFail, fetchNext: fetchNext)
        return (.failed, next)
    }

    /// Puts an active job back to delayed without counting an attempt (a handler asked to run later).
    public func moveToDelayed(_ job: Job, token: String, delay: Duration) async throws {
        let reply = try await run(scripts.retryJob, keys: [keys.job(job.id)], arguments: [
            .string(keys.base), .string(job.id), .int(Self.now()), .string(token), .int(max(1, delay.milliseconds)),
            .string(job.failedReason ?? ""), "", "0",
        ])
        try Self.check(reply, job: job.id, operation: "moveToDelayed")
    }

    /// Gives an active job back: to wait (or prioritized) at once, its lock released and the
    /// attempt not counted — for a worker shutting down with the job unfinished.
    public func release(_ job: Job, token: String) async throws {
        let reply = try await run(scripts.retryJob, keys: [keys.job(job.id)], arguments: [
            .string(keys.base), .string(job.id), .int(Self.now()), .string(token), .int(0),
            .string(job.failedReason ?? ""), "", "0",
        ])
        try Self.check(reply, job: job.id, operation: "release")
    }

    /// Renews the locks of the worker's active jobs; returns the ids whose lock was lost.
    public func extendLocks(_ jobs: [(id: String, token: String)], duration: Duration) async throws -> [String] {
        guard !jobs.isEmpty else { return [] }
        var arguments: [RedisArgument] = [.string(keys.base), .int(duration.milliseconds)]
        arguments.reserveCapacity(2 + jobs.count * 2)
        for job in jobs {
            arguments.append(.string(job.id))
            arguments.append(.string(job.token))
        }
        let reply = try await redis.execute(scripts.extendLocks, keys: [.string(keys.stalled)], arguments: arguments)
        return try [String](fromRESP: reply)
    }

    /// The stalled check: recovers jobs whose worker stopped renewing their lock (at most one run
    /// per `interval` across all workers). Jobs stalled more than `maxStalledCount` times are
    /// marked to fail when next fetched.
    public func recoverStalled(maxStalledCount: Int = 1, interval: Duration = .seconds(30)) async throws -> (recovered: [String], failing: [String]) {
        let reply = try await run(scripts.recoverStalled, keys: [keys.stalledCheck], arguments: [
            .string(keys.base), .int(maxStalledCount), .int(Self.now()), .int(max(1, interval.milliseconds)),
        ])
        let lists = try [[String]](fromRESP: reply)
        guard lists.count == 2 else { throw QueueError(.unexpectedReply, "stalled check returned \(reply)") }
        return (lists[0], lists[1])
    }

    /// Blocks on the queue's marker (`BZPOPMIN`) until a producer signals work or `timeout`
    /// passes. Returns the marker's score: 0 for "jobs are waiting", else the due time (ms) of
    /// the next delayed job; `nil` on timeout. Use a connection leased for this purpose.
    public func waitForWork(on connection: RedisConnection, timeout: Duration) async throws -> Int? {
        let reply = try await connection.execute(.bzpopmin([keys.marker], timeout: max(timeout, .milliseconds(1))))
        guard case .array(let parts) = reply.value, parts.count == 3 else { return nil }
        let score = try Double(fromRESP: Array(parts)[2])
        // Any client can write the marker: a score that is no time at all means "look now".
        guard score.isFinite else { return 0 }
        return Int(min(max(score, 0), 9e15))
    }

    // MARK: Internals

    func finish(
        _ job: Job, token: String, target: String, value: String, stacktrace: String?, keep: KeepJobs, fetchNext: FetchOptions?
    ) async throws -> FetchResult? {
        let now = Self.now()
        let policy = keep.scriptArguments
        var arguments: [RedisArgument] = [
            .string(keys.base), .string(job.id), .int(now), .string(target), .string(value), .string(token),
            .int(policy.count), .int(policy.age), .int(policy.limit), .int(job.options.attempts), .string(stacktrace ?? ""),
        ]
        if let fetchNext {
            arguments.append("1")
            arguments += Array(fetchArguments(fetchNext, now: now)[3...])
        } else {
            arguments += ["0", 0, 0, 0, ""]
        }
        arguments.append(.int(options.metricsDataPoints))
        let setKey = target == "completed" ? keys.completed : keys.failed
        let metricsKey = keys.metrics(target == "completed" ? .completed : .failed)
        let reply = try await run(scripts.finishJob, keys: [setKey, metricsKey, keys.job(job.id)], arguments: arguments)
        try Self.check(reply, job: job.id, operation: target == "completed" ? "complete" : "fail")
        guard fetchNext != nil else { return nil }
        return try fetchResult(reply)
    }

    /// ARGV of fetch_job.lua; finish_job.lua takes the same values from the lock duration on.
    func fetchArguments(_ options: FetchOptions, now: Int) -> [RedisArgument] {
        [
            .string(keys.base), .int(now), .string(options.token), .int(options.lockDuration.milliseconds),
            .int(options.limiter?.max ?? 0), .int(options.limiter?.duration.milliseconds ?? 0),
            .string(options.workerName ?? ""),
        ]
    }

    func fetchResult(_ reply: RESPToken) throws -> FetchResult {
        guard case .array(let array) = reply.value, array.count == 4 else {
            throw QueueError(.unexpectedReply, "fetch returned \(reply)")
        }
        let parts = Array(array)
        let rateLimit = try Int(fromRESP: parts[2])
        let nextDue = try Int(fromRESP: parts[3])
        if case .array = parts[0].value {
            let id = try String(fromRESP: parts[1])
            let flat = try [String](fromRESP: parts[0])
            guard let job = Job(id: id, queue: name, flat: flat) else {
                throw QueueError(.unexpectedReply, "fetched job \(id) has no name")
            }
            return .job(job)
        }
        if rateLimit > 0 { return .rateLimited(.milliseconds(rateLimit)) }
        return .empty(nextDelayedDue: nextDue > 0 ? nextDue : nil)
    }
}

extension NewJob {
    static func jsonArray(_ lines: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(lines), as: UTF8.self)) ?? "[]"
    }
}
