/// A tenant's share and limits in a fair queue (`Queue.makeFair(defaults:)`,
/// `Queue.setLimits(_:tenant:)`). A field left `nil` takes the queue's default; the defaults' own
/// `nil` means no limit (weight: 1).
///
/// Bounds (checked by `validate()`, so a request's numbers cannot overflow the scripts' arithmetic):
/// weight 1…1,000; concurrency 1…100,000; a rate limit of 1…1,000,000 jobs per 1 ms…1 day;
/// max pending 1…100,000,000.
public struct TenantLimits: Sendable, Equatable, Codable {
    /// Jobs started per round relative to other tenants (3 against 1: three jobs for each one).
    public var weight: Int?
    /// At most this many of the tenant's jobs active at once, across all workers.
    public var concurrency: Int?
    /// At most `max` of the tenant's jobs started per `duration`, across all workers.
    public var rateLimit: TenantRateLimit?
    /// At most this many of the tenant's jobs pending (waiting, prioritized, delayed): producers
    /// that check (`Queue.pendingRoom(tenant:adding:)`, the API before it writes) refuse more.
    public var maxPending: Int?

    public init(weight: Int? = nil, concurrency: Int? = nil, rateLimit: TenantRateLimit? = nil, maxPending: Int? = nil) {
        self.weight = weight
        self.concurrency = concurrency
        self.rateLimit = rateLimit
        self.maxPending = maxPending
    }

    public static let weights = 1...1_000
    public static let concurrencies = 1...100_000
    public static let pendingCaps = 1...100_000_000

    /// Refuses a value out of bounds, naming the field.
    public func validate() throws(QueueError) {
        if let weight, !Self.weights.contains(weight) {
            throw QueueError(.invalidOption, "weight must be between 1 and 1000, not \(weight)")
        }
        if let concurrency, !Self.concurrencies.contains(concurrency) {
            throw QueueError(.invalidOption, "concurrency must be between 1 and 100000, not \(concurrency)")
        }
        try rateLimit?.validate()
        if let maxPending, !Self.pendingCaps.contains(maxPending) {
            throw QueueError(.invalidOption, "max pending must be between 1 and 100000000, not \(maxPending)")
        }
    }
}

/// At most `max` jobs started per `duration`.
public struct TenantRateLimit: Sendable, Equatable, Codable {
    public var max: Int
    public var duration: Duration

    public init(max: Int, duration: Duration) {
        self.max = max
        self.duration = duration
    }

    public static let maxima = 1...1_000_000
    /// 1 ms to one day, in milliseconds.
    public static let durations = 1...86_400_000

    public func validate() throws(QueueError) {
        if !Self.maxima.contains(max) {
            throw QueueError(.invalidOption, "rate limit max must be between 1 and 1000000, not \(max)")
        }
        if !Self.durations.contains(duration.milliseconds) {
            throw QueueError(.invalidOption, "rate limit duration must be between 1 ms and 1 day")
        }
    }
}
