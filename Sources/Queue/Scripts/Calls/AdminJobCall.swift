import Redis

/// admin_job.lua: one job promoted, retried, removed, or its progress or a log line written.
struct AdminJobCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.adminJob }

    enum Action: String, Sendable {
        case promote, retry, remove, progress, log
    }

    /// The script's refusals.
    enum Refusal: Int, CaseIterable, Sendable {
        case missingJob = -1
        case wrongState = -3
        case locked = -4

        static func check(_ reply: RESPToken, job: String, action: Action) throws(QueueError) {
            guard case .number(let code) = reply.value, code < 0 else { return }
            switch Self(rawValue: Int(code)) {
            case .missingJob: throw QueueError(.jobNotFound, "job \(job) does not exist (\(action.rawValue))")
            case .wrongState: throw QueueError(.wrongState, "job \(job) is not in the state \(action.rawValue) needs")
            case .locked: throw QueueError(.jobLocked, "job \(job) is being processed and cannot be removed")
            case nil: throw QueueError(.unexpectedReply, "\(action.rawValue) of job \(job) returned \(code)")
            }
        }
    }

    var action: Action
    var jobID: String
    var now: Int
    /// Progress JSON, or the log line.
    var argument: String = ""
    /// Log lines kept (0: all).
    var keepLogs: Int = 0

    func keys(_ keys: QueueKeys) -> [String] { [keys.completed, keys.failed, keys.waitingChildren, keys.job(jobID)] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        [.string(keys.base), .string(action.rawValue), .string(jobID), .int(now), .string(argument), .int(keepLogs)]
    }
}
