/// The platform's queues (README, "Jobs").
public enum QueueName {
    /// Webhook notifications about interventions.
    public static let notifications = "inter-notifications"
    /// Property imports (CSV or JSON stored in PostgreSQL).
    public static let imports = "immo-imports"
    /// Agent runs.
    public static let agentRuns = "agent-runs"
    /// The tool calls of agent runs that asked for several at once, run in parallel.
    public static let agentTools = "agent-tools"

    public static let all = [notifications, imports, agentRuns, agentTools]
}
