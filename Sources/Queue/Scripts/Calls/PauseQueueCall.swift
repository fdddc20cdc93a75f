import Redis

/// pause_queue.lua: the queue paused or resumed for every worker.
struct PauseQueueCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.pauseQueue }

    enum Action: String, Sendable {
        case pause, resume
    }

    var action: Action

    func keys(_ keys: QueueKeys) -> [String] { [keys.legacyPaused] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] { [.string(action.rawValue)] }
}
