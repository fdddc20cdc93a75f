public import Domain
public import Queue

// The platform's job kinds and their policies: the one place that says how each is enqueued.

extension NotificationJob: TenantJob {
    public static let queue = QueueName.notifications
    /// Webhooks: five attempts, the first retry about 2 s after a failure.
    public static var defaultOptions: JobOptions { .platform(attempts: 5, firstRetryAfter: .seconds(2)) }
}

extension ImportNotificationJob: TenantJob {
    public static let queue = QueueName.notifications
    /// Webhooks: as intervention notifications.
    public static var defaultOptions: JobOptions { NotificationJob.defaultOptions }
}

extension PropertyImportJob: TenantJob {
    public static let queue = QueueName.imports
    /// Imports: five attempts, the first retry about 5 s after a failure.
    public static var defaultOptions: JobOptions { .platform(attempts: 5, firstRetryAfter: .seconds(5)) }
}

extension AgentRunJob: TenantJob {
    public static let queue = QueueName.agentRuns
    /// Agent runs: three attempts, the first retry about 10 s after a failure.
    public static var defaultOptions: JobOptions { .platform(attempts: 3, firstRetryAfter: .seconds(10)) }
}

extension AgentToolJob: TenantJob {
    public static let queue = QueueName.agentTools
    /// A tool call: three attempts, the first retry about 2 s after a failure (a tool's own
    /// refusals are results, not failures); a call that fails for good is shown to the model as
    /// an error result.
    public static var defaultOptions: JobOptions { .platform(attempts: 3, firstRetryAfter: .seconds(2)) }
}

extension JobOptions {
    /// A platform kind's options: exponential back-off with 20 % jitter, and finished jobs kept
    /// in Redis as ``Retention`` says (results stay in PostgreSQL).
    static func platform(attempts: Int, firstRetryAfter delay: Duration) -> JobOptions {
        JobOptions(
            attempts: attempts, backoff: .exponential(delay, jitter: 0.2), removeOnComplete: Retention.completed,
            removeOnFail: Retention.failed)
    }
}
