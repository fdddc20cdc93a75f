import Redis

/// wait_for_children.lua: an active job gives itself up until the children it added finish.
struct WaitForChildrenCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.waitForChildren }

    var jobID: String
    var token: String
    var now: Int

    func keys(_ keys: QueueKeys) -> [String] { [keys.job(jobID)] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        [.string(keys.base), .string(jobID), .string(token), .int(now)]
    }
}
