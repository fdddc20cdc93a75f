import Redis

/// scheduler_remove.lua: a job scheduler and its pending job removed.
struct SchedulerRemoveCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.schedulerRemove }

    var schedulerID: String

    func keys(_ keys: QueueKeys) -> [String] { [keys.schedulers] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] { [.string(keys.base), .string(schedulerID)] }
}
