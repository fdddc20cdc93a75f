import Redis

/// extend_locks.lua: the locks of a worker's active jobs renewed; replies with the ids whose
/// lock was lost.
struct ExtendLocksCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.extendLocks }
    static var takesSharedKeys: Bool { false }

    var duration: Duration
    var jobs: [(id: String, token: String)]

    func keys(_ keys: QueueKeys) -> [String] { [keys.stalled] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        var arguments: [RedisArgument] = [.string(keys.base), .int(duration.milliseconds)]
        arguments.reserveCapacity(2 + jobs.count * 2)
        for job in jobs {
            arguments.append(.string(job.id))
            arguments.append(.string(job.token))
        }
        return arguments
    }
}
