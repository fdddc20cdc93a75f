public import Redis

/// What cancelling a job did.
public enum CancelOutcome: Sendable, Equatable {
    /// It had not started: it is gone (it was in this state).
    case removed(from: JobState)
    /// It is running: its worker cancels the handler within about a second and fails the job
    /// with reason `cancelled`, without retrying it.
    case requested
}

extension Queue {
    /// Cancels a job whatever its kind. Throws ``QueueError/Code/jobNotFound`` for a job that
    /// does not exist and ``QueueError/Code/wrongState`` for one that has finished.
    @discardableResult
    public func cancel(_ jobID: String) async throws -> CancelOutcome {
        let reply = try await run(CancelJobCall(jobID: jobID))
        if case .number(let code) = reply.value {
            switch CancelJobCall.Refusal(rawValue: Int(code)) {
            case .missingJob: throw QueueError(.jobNotFound, "job \(jobID) does not exist in queue \(name)")
            case .finished: throw QueueError(.wrongState, "job \(jobID) has already finished; only waiting, delayed or running jobs can be cancelled")
            case .schedulerRun:
                throw QueueError(
                    .wrongState, "job \(jobID) is a job scheduler's next run; change or remove the scheduler instead of cancelling its run")
            case nil: throw QueueError(.unexpectedReply, "cancelling job \(jobID) returned \(code)")
            }
        }
        let parts = try [String](fromRESP: reply)
        switch (parts.first, parts.last) {
        case ("removed", let state?):
            return .removed(from: JobState(rawValue: state) ?? .unknown)
        case ("requested", _):
            return .requested
        default:
            throw QueueError(.unexpectedReply, "cancelling job \(jobID) returned \(reply)")
        }
    }

    /// Which of `jobIDs` carry the cancel flag (one round trip).
    func cancelRequested(among jobIDs: [String]) async throws -> Set<String> {
        guard !jobIDs.isEmpty else { return [] }
        let replies = try await redis.pipeline(jobIDs.map { RedisCommand("HEXISTS", [.string(keys.job($0)), "cxl"], keyArguments: 0..<1) })
        var flagged: Set<String> = []
        for (id, reply) in zip(jobIDs, replies) where (try? Int(fromRESP: reply)) == 1 { flagged.insert(id) }
        return flagged
    }
}
