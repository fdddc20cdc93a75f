import Redis

/// scheduler_upsert.lua: a job scheduler created or changed, with its next job.
struct SchedulerUpsertCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.schedulerUpsert }

    /// The script's refusals.
    enum Refusal: Int, CaseIterable, Sendable {
        /// The scheduler changed between the read and the call: read again and retry.
        case changed = -1
        /// A job for the chosen run already exists.
        case runExists = -2
    }

    /// A run the script may choose, with its job's `opts`.
    struct Run: Sendable {
        var milliseconds: Int
        var optionsJSON: String
    }

    var schedulerID: String
    var now: Int
    /// The score the caller read from the set (nil: the scheduler did not exist), as read: another
    /// client may have written one that is not a whole number.
    var expectedCurrent: Double?
    var tenantID: String?
    var name: String
    var data: String
    var priority: Int
    /// The run when the pending job is replaced.
    var ifReplaced: Run
    /// The run when it is not (new scheduler, or its job already running).
    var otherwise: Run
    /// The scheduler hash's field/value pairs, without "ic".
    var fields: [(String, String)]

    func keys(_ keys: QueueKeys) -> [String] { [keys.idCounter, keys.schedulers] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        var arguments: [RedisArgument] = [
            .string(keys.base), .int(now), .string(schedulerID), .string(expectedCurrent.map { "\($0)" } ?? ""),
            .string(tenantID ?? ""), .string(name), .string(data), .int(priority),
            .int(ifReplaced.milliseconds), .string(ifReplaced.optionsJSON), .int(otherwise.milliseconds), .string(otherwise.optionsJSON),
        ]
        for (field, value) in fields {
            arguments.append(.string(field))
            arguments.append(.string(value))
        }
        return arguments
    }
}
