import Redis

/// hold_queue.lua: every fetch of the queue held for a while, unless a longer hold is in force.
struct HoldQueueCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.holdQueue }
    static var takesSharedKeys: Bool { false }

    var milliseconds: Int

    func keys(_ keys: QueueKeys) -> [String] { [keys.limiter] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] { [.string(keys.base), .int(milliseconds)] }
}
