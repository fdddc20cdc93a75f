import Redis

/// finish_job.lua: an active job completed or failed for good, kept or deleted by its policy,
/// counted in the per-minute metrics, and optionally the next job fetched in the same call.
struct FinishJobCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.finishJob }

    /// Where the job ends.
    enum Target: String, Sendable {
        case completed, failed
    }

    var jobID: String
    var now: Int
    var target: Target
    /// The return value (JSON) or the failure reason.
    var value: String
    var token: String
    var keep: KeepJobs
    var attempts: Int
    /// JSON array of lines, for a failure.
    var stacktrace: String?
    /// The next job to fetch, with this worker's lock options (its `now` and token are this call's).
    var fetchNext: FetchOptions?
    var metricsDataPoints: Int

    func keys(_ keys: QueueKeys) -> [String] {
        switch target {
        case .completed: [keys.completed, keys.metrics(.completed), keys.job(jobID)]
        case .failed: [keys.failed, keys.metrics(.failed), keys.job(jobID)]
        }
    }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        let policy = keep.scriptArguments
        var arguments: [RedisArgument] = [
            .string(keys.base), .string(jobID), .int(now), .string(target.rawValue), .string(value), .string(token),
            .int(policy.count), .int(policy.age), .int(policy.limit), .int(attempts), .string(stacktrace ?? ""),
        ]
        if let fetchNext {
            arguments.append("1")
            arguments += FetchJobCall(now: now, options: fetchNext).lockArguments
        } else {
            arguments += ["0", 0, 0, 0, ""]
        }
        arguments.append(.int(metricsDataPoints))
        return arguments
    }
}
