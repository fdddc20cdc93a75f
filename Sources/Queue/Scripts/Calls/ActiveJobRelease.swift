import Redis

/// Why a script that gives up an active job (finish_job.lua, retry_job.lua, through
/// `releaseActiveJob` in lib.lua) refused: its negative replies.
enum ActiveJobRelease: Int, CaseIterable, Sendable {
    case missingJob = -1
    case missingLock = -2
    case notActive = -3
    /// A flow's parent with children still pending (finish_job.lua, on completion).
    case pendingChildren = -4
    case lockedByAnother = -6
    /// A flow's parent one of whose children failed it (`failParentOnFailure`).
    case failedChild = -9

    /// The reply as a refusal, `nil` for any reply that is not one of these codes.
    init?(reply: RESPToken) {
        guard case .number(let code) = reply.value, let status = Self(rawValue: Int(code)) else { return nil }
        self = status
    }

    /// Throws the refusal `reply` carries; any other negative number is an unexpected reply.
    static func check(_ reply: RESPToken, job: String, operation: String) throws(QueueError) {
        guard case .number(let code) = reply.value, code < 0 else { return }
        guard let status = Self(reply: reply) else {
            throw QueueError(.unexpectedReply, "\(operation) of job \(job) returned \(code)")
        }
        throw status.error(job: job, operation: operation)
    }

    func error(job: String, operation: String) -> QueueError {
        switch self {
        case .missingJob: QueueError(.jobNotFound, "job \(job) does not exist (\(operation))")
        case .missingLock: QueueError(.lockLost, "job \(job) is no longer locked by this worker; its lock expired (\(operation))")
        case .notActive: QueueError(.wrongState, "job \(job) is not in the state \(operation) needs")
        case .lockedByAnother: QueueError(.lockLost, "job \(job) is locked by another worker (\(operation))")
        case .pendingChildren: QueueError(.childrenPending, "job \(job) still has children pending; it completes after them (\(operation))")
        case .failedChild: QueueError(.childFailed, "job \(job) has a child that failed it; it cannot complete (\(operation))")
        }
    }
}
