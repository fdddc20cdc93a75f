/// A queue's limits across all workers, as `Queue.limits()` reads them from Redis.
public struct QueueLimits: Sendable, Equatable {
    /// At most this many jobs active at once (`nil`: no limit).
    public var concurrency: Int?
    /// At most `max` jobs started per `duration` (`nil`: no limit).
    public var rateLimit: (max: Int, duration: Duration)?
    /// A hold in force (`RateLimitedError`, `rateLimit(for:)`, BullMQ's `rateLimit`): how long it lasts.
    public var heldFor: Duration?

    public init(concurrency: Int? = nil, rateLimit: (max: Int, duration: Duration)? = nil, heldFor: Duration? = nil) {
        self.concurrency = concurrency
        self.rateLimit = rateLimit
        self.heldFor = heldFor
    }

    public static func == (lhs: QueueLimits, rhs: QueueLimits) -> Bool {
        lhs.concurrency == rhs.concurrency && lhs.rateLimit?.max == rhs.rateLimit?.max
            && lhs.rateLimit?.duration == rhs.rateLimit?.duration && (lhs.heldFor == nil) == (rhs.heldFor == nil)
    }
}
