public import Queue

/// How long the platform's queues keep finished jobs in Redis: the one place it is said. The
/// platform's own jobs carry it in their options (``JobOptions/platform(attempts:firstRetryAfter:)``)
/// and every process opens its queues with it as the default (``QueueOptions/platform(prefix:)``),
/// so a job added without a policy (by a BullMQ client in another language, say) is bounded too.
/// Results and failures stay in PostgreSQL; Redis keeps what the dashboard and retries need.
public enum Retention {
    /// Completed jobs: a week, and at most 10,000 per queue.
    public static let completed = KeepJobs.age(seconds: 7 * 86_400, count: 10_000, limit: nil)
    /// Failed jobs: 30 days (time to look and retry), and at most 50,000 per queue.
    public static let failed = KeepJobs.age(seconds: 30 * 86_400, count: 50_000, limit: nil)
}

extension QueueOptions {
    /// The options every process of the platform opens its queues with.
    public static func platform(prefix: String) -> QueueOptions {
        QueueOptions(prefix: prefix, defaultRemoveOnComplete: Retention.completed, defaultRemoveOnFail: Retention.failed)
    }
}
