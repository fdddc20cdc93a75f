/// Thrown by a handler when the service it calls refused for now, for every job alike (a model
/// provider's 429 with `Retry-After`): the job goes back to wait without using an attempt, and
/// the queue holds every worker's fetches, in every process, until `retryAfter` has passed
/// (``Queue/rateLimit(for:)``).
///
/// A refusal that concerns one destination only (a tenant's webhook) must not hold the whole
/// queue, which every tenant shares: throw ``DelayJobError`` for that job instead.
public struct RateLimitedError: Error, CustomStringConvertible, Sendable {
    /// How long the queue holds, between 1 ms and ``maximumHold``.
    public let retryAfter: Duration
    public let reason: String

    /// The longest hold one error may ask for.
    public static let maximumHold = Duration.seconds(3_600)

    public init(retryAfter: Duration, reason: String) {
        self.retryAfter = min(max(retryAfter, .milliseconds(1)), Self.maximumHold)
        self.reason = reason
    }

    public var description: String { "rate limited for \(retryAfter): \(reason)" }
}
