import Redis

/// fetch_job.lua: the next runnable job, moved to active under the worker's lock.
struct FetchJobCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.fetchJob }

    var now: Int
    var options: FetchOptions

    func keys(_ keys: QueueKeys) -> [String] { [] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        [.string(keys.base), .int(now), .string(options.token)] + lockArguments
    }

    /// ARGV 4–7 here, and the same values as ARGV 13–16 of finish_job.lua (fetching the next
    /// job; the token is its ARGV 6 already).
    var lockArguments: [RedisArgument] {
        [
            .int(options.lockDuration.milliseconds), .int(options.limiter?.max ?? 0),
            .int(options.limiter?.duration.milliseconds ?? 0), .string(options.workerName ?? ""),
        ]
    }
}
