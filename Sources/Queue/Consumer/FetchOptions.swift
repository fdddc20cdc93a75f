/// How a worker takes jobs: its lock token, how long the lock lasts, its rate limit.
public struct FetchOptions: Sendable {
    /// Identifies this worker's lock on the jobs it takes (`"0"`: take without locking).
    public var token: String
    /// A job whose lock is not renewed within this time is considered stalled.
    public var lockDuration: Duration
    /// At most `max` jobs per `duration` across all workers of the queue (the queue's own
    /// `meta.max` takes precedence over `max`).
    public var limiter: RateLimit?
    /// Recorded as the job's `pb` (processed by).
    public var workerName: String?

    public struct RateLimit: Sendable, Equatable {
        public var max: Int
        public var duration: Duration
        public init(max: Int, duration: Duration) {
            self.max = max
            self.duration = duration
        }
    }

    public init(token: String, lockDuration: Duration = .seconds(30), limiter: RateLimit? = nil, workerName: String? = nil) {
        self.token = token
        self.lockDuration = lockDuration
        self.limiter = limiter
        self.workerName = workerName
    }
}

/// What a fetch found.
public enum FetchResult: Sendable, Equatable {
    /// A job, now active and locked with the fetch's token.
    case job(Job)
    /// The rate limiter is full; try again after this long.
    case rateLimited(Duration)
    /// Nothing to run now; the earliest delayed job becomes due at this time (ms since 1970), if any.
    case empty(nextDelayedDue: Int?)

    public var job: Job? {
        if case .job(let job) = self { return job }
        return nil
    }
}
