import Redis

/// retry_job.lua: an active job given back — to delayed after a back-off, or straight to wait —
/// with or without counting the attempt.
struct RetryJobCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.retryJob }

    var jobID: String
    var now: Int
    var token: String
    /// 0: back to wait now.
    var delayMilliseconds: Int
    var reason: String
    /// JSON array of lines, or nil.
    var stacktrace: String?
    /// Whether the attempt counts (a failure) or not (a delay the handler asked for, a release).
    var countsAttempt: Bool

    func keys(_ keys: QueueKeys) -> [String] { [keys.job(jobID)] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        [
            .string(keys.base), .string(jobID), .int(now), .string(token), .int(delayMilliseconds), .string(reason),
            .string(stacktrace ?? ""), countsAttempt ? "1" : "0",
        ]
    }
}
