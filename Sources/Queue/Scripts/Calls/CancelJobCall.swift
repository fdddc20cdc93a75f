import Redis

/// cancel_job.lua: a job removed before it starts, or flagged for its worker to cancel.
struct CancelJobCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.cancelJob }

    /// The script's refusals.
    enum Refusal: Int, CaseIterable, Sendable {
        case missingJob = -1
        /// Completed, failed, or waiting for its children.
        case finished = -2
        /// A scheduler's next run: removing it would stop the scheduler.
        case schedulerRun = -3
    }

    var jobID: String

    func keys(_ keys: QueueKeys) -> [String] { [keys.job(jobID)] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] { [.string(keys.base), .string(jobID)] }
}
