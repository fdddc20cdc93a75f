import Redis

/// recover_stalled.lua: the two-phase stalled check, at most once per interval across workers.
struct RecoverStalledCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.recoverStalled }

    var maxStalledCount: Int
    var now: Int
    var interval: Duration

    func keys(_ keys: QueueKeys) -> [String] { [keys.stalledCheck] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        [.string(keys.base), .int(maxStalledCount), .int(now), .int(max(1, interval.milliseconds))]
    }
}
