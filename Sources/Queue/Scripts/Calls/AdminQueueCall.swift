import Redis

/// admin_queue.lua: a queue-wide action on at most `batchSize` jobs per call.
struct AdminQueueCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.adminQueue }

    enum Action: String, Sendable {
        case retryFailed = "retry-failed"
        case promoteDelayed = "promote-delayed"
        case clean, drain, obliterate
    }

    /// The script's refusals (obliterate only).
    enum Refusal: Int, CaseIterable, Sendable {
        case notPaused = -1
        case activeJobs = -2
    }

    var action: Action
    var now: Int
    /// clean: the state's name as the script knows it (`wait`, not `waiting`).
    var state: String = ""
    var batchSize: Int
    /// clean: only jobs older than this.
    var grace: Duration = .zero
    /// drain: include delayed jobs; obliterate: even with active jobs.
    var flag: Bool = false

    func keys(_ keys: QueueKeys) -> [String] {
        [
            keys.completed, keys.failed, keys.waitingChildren, keys.idCounter, keys.stalledCheck,
            keys.metrics(.completed), keys.metrics(.failed), keys.legacyPaused, keys.schedulers,
        ]
    }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        [
            .string(keys.base), .string(action.rawValue), .int(now), .string(state), .int(max(1, batchSize)),
            .int(grace.milliseconds), flag ? "1" : "0",
        ]
    }

    /// `{handled count, more remain, handled ids}`, or the refusal.
    static func reply(_ reply: RESPToken, queue: String) throws(QueueError) -> (count: Int, more: Bool, ids: [String]) {
        if case .number(let code) = reply.value {
            switch Refusal(rawValue: Int(code)) {
            case .notPaused: throw QueueError(.notPaused, "pause queue \(queue) before obliterating it")
            case .activeJobs: throw QueueError(.activeJobs, "queue \(queue) has active jobs; obliterate with force to delete them anyway")
            case nil: throw QueueError(.unexpectedReply, "queue admin script returned \(code)")
            }
        }
        guard case .array(let array) = reply.value, array.count == 3 else {
            throw QueueError(.unexpectedReply, "queue admin script returned \(reply)")
        }
        let parts = Array(array)
        do {
            return (try Int(fromRESP: parts[0]), try Int(fromRESP: parts[1]) == 1, try [String](fromRESP: parts[2]))
        } catch {
            throw QueueError(.unexpectedReply, "queue admin script returned \(reply)")
        }
    }
}
