/// Where an agent run is (`agent_app.agent_runs.status`, migration 0004).
public enum AgentRunStatus: String, CaseIterable, Codable, Sendable {
    case queued, running, completed, failed, cancelled

    /// Completed, failed or cancelled: a run that will not change again.
    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}
