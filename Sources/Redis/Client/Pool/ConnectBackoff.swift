/// Exponential back-off between failed attempts to connect: the first retry waits `initial`,
/// each further failure doubles the wait up to `maximum`, and one success resets it.
///
/// Shared by every connection of a pool, so a server that is down is not hammered by each
/// caller in turn.
struct ConnectBackoff<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    let initial: Duration
    let maximum: Duration
    private(set) var failures = 0
    private(set) var retryAfter: Instant?

    init(initial: Duration, maximum: Duration) {
        // Bounded here, so the doubling below cannot overflow whatever the configuration says.
        self.maximum = min(max(maximum, .zero), .seconds(3_600))
        self.initial = min(max(initial, .zero), self.maximum)
    }

    /// How long a new attempt must still wait at `now`; `nil` when it may connect at once.
    func remaining(now: Instant) -> Duration? {
        guard let retryAfter, now < retryAfter else { return nil }
        return now.duration(to: retryAfter)
    }

    mutating func succeeded() {
        failures = 0
        retryAfter = nil
    }

    /// Records a failed attempt at `now` and returns the wait before the next one.
    @discardableResult
    mutating func failed(now: Instant) -> Duration {
        failures = failures < Int.max ? failures + 1 : failures
        var delay = initial
        var doublings = min(failures, 64) - 1
        while doublings > 0 && (delay < maximum) && (delay > .zero) {
            delay = delay * 2
            doublings -= 1
        }
        delay = min(delay, maximum)
        retryAfter = now.advanced(by: delay)
        return delay
    }
}
