import Redis

/// scheduler_advance.lua: the next job of a scheduler, added by the worker that took its current one.
struct SchedulerAdvanceCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.schedulerAdvance }

    /// The script's refusals; none is an error of the worker: each means the run is not its to add.
    enum Refusal: Int, CaseIterable, Sendable {
        /// The scheduler was removed.
        case schedulerGone = -1
        /// The taken job is not the scheduler's current run (another worker or attempt advanced it,
        /// or an upsert changed it).
        case notCurrent = -2
        /// A job for the next run already exists.
        case runExists = -3
    }

    var schedulerID: String
    var now: Int
    var takenJobID: String
    var nextRun: Int
    var optionsJSON: String
    var priority: Int

    func keys(_ keys: QueueKeys) -> [String] { [keys.idCounter, keys.schedulers] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        [
            .string(keys.base), .int(now), .string(schedulerID), .string(takenJobID), .int(nextRun), .string(optionsJSON),
            .int(priority),
        ]
    }
}
