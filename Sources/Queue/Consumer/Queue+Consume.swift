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
        try fetchResult(try await run(FetchJobCall(now: Self.now(), options: options)))
    }

    /// Completes an active job with its result (JSON) and, with `fetchNext`, takes the next job
    /// in the same round trip.
    public func complete(
        _ job: Job, token: String, returnValue: String = "null", fetchNext: FetchOptions? = nil
    ) async throws -> FetchResult? {
        try await finish(
            job, token: token, target: .completed, value: returnValue, stacktrace: nil,
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
            let reply = try await run(
                RetryJobCall(
                    jobID: job.id, now: Self.now(), token: token, delayMilliseconds: delay, reason: reason, stacktrace: stack,
                    countsAttempt: true))
            try ActiveJobRelease.check(reply, job: job.id, operation: "retry")
            var next: FetchResult?
            if let fetchNext { next = try await fetch(fetchNext) }
            return (.retrying(afterMilliseconds: delay), next)
        }
        let next = try await finish(
            job, token: token, target: .failed, value: reason, stacktrace: stack,
            keep: job.options.removeOnFail ?? options.defaultRemoveOnFail, fetchNext: fetchNext)
        return (.failed, next)
    }

    /// Puts an active job back to delayed without counting an attempt (a handler asked to run later).
    public func moveToDelayed(_ job: Job, token: String, delay: Duration) async throws {
        let reply = try await run(
            RetryJobCall(
                jobID: job.id, now: Self.now(), token: token, delayMilliseconds: max(1, delay.milliseconds),
                reason: job.failedReason ?? "", stacktrace: nil, countsAttempt: false))
        try ActiveJobRelease.check(reply, job: job.id, operation: "moveToDelayed")
    }

    /// Gives an active job back: to wait (or prioritized) at once, its lock released and the
    /// attempt not counted — for a worker shutting down with the job unfinished.
    public func release(_ job: Job, token: String) async throws {
        let reply = try await run(
            RetryJobCall(
                jobID: job.id, now: Self.now(), token: token, delayMilliseconds: 0, reason: job.failedReason ?? "",
                stacktrace: nil, countsAttempt: false))
        try ActiveJobRelease.check(reply, job: job.id, operation: "release")
    }

    /// Renews the locks of the worker's active jobs; returns the ids whose lock was lost.
    public func extendLocks(_ jobs: [(id: String, token: String)], duration: Duration) async throws -> [String] {
        guard !jobs.isEmpty else { return [] }
        return try [String](fromRESP: try await run(ExtendLocksCall(duration: duration, jobs: jobs)))
    }

    /// The stalled check: recovers jobs whose worker stopped renewing their lock (at most one run
    /// per `interval` across all workers). Jobs stalled more than `maxStalledCount` times are
    /// marked to fail when next fetched.
    public func recoverStalled(maxStalledCount: Int = 1, interval: Duration = .seconds(30)) async throws -> (recovered: [String], failing: [String]) {
        let reply = try await run(RecoverStalledCall(maxStalledCount: maxStalledCount, now: Self.now(), interval: interval))
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
        _ job: Job, token: String, target: FinishJobCall.Target, value: String, stacktrace: String?, keep: KeepJobs,
        fetchNext: FetchOptions?
    ) async throws -> FetchResult? {
        let reply = try await run(
            FinishJobCall(
                jobID: job.id, now: Self.now(), target: target, value: value, token: token, keep: keep,
                attempts: job.options.attempts, stacktrace: stacktrace, fetchNext: fetchNext,
                metricsDataPoints: options.metricsDataPoints))
        try ActiveJobRelease.check(reply, job: job.id, operation: target == .completed ? "complete" : "fail")
        guard fetchNext != nil else { return nil }
        return try fetchResult(reply)
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
