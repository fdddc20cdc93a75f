/// How a ``QueueProcessor`` runs jobs.
public struct ProcessorOptions: Sendable {
    /// Jobs run at once by this processor.
    public var concurrency: Int
    /// A job's lock lasts this long; it is renewed every `lockRenewInterval`.
    public var lockDuration: Duration
    public var lockRenewInterval: Duration
    /// How often the stalled check runs (once per interval across all workers).
    public var stalledInterval: Duration
    /// Recoveries from stalling a job may have before it fails.
    public var maxStalledCount: Int
    /// The longest an idle processor blocks on the marker before looking again.
    public var drainDelay: Duration
    /// The longest a rate-limited processor waits before trying again.
    public var maximumRateLimitDelay: Duration
    public var limiter: FetchOptions.RateLimit?
    /// Recorded on each job it takes (`pb`) and in logs.
    public var workerName: String?
    /// After a stop request, running jobs get this long to finish; then their handlers are
    /// cancelled and the jobs moved back to wait without counting the attempt.
    public var gracefulShutdownTimeout: Duration
    /// How long moving the jobs still running at the end of the grace period back to wait may
    /// take before the processor gives up on it (the stalled check then recovers them).
    public var releaseTimeout: Duration
    /// The longest a handler runs when its job sets no `timeout`; `nil`: no limit. Past it the
    /// handler is cancelled and the attempt fails with ``JobTimeoutError``.
    public var jobTimeout: Duration?
    /// How often running jobs are checked for a cancel request (`Queue.cancel`): the handler of
    /// a cancelled job is cancelled within about this long.
    public var cancelCheckInterval: Duration

    public init(
        concurrency: Int = 1, lockDuration: Duration = .seconds(30), lockRenewInterval: Duration? = nil,
        stalledInterval: Duration = .seconds(30), maxStalledCount: Int = 1, drainDelay: Duration = .seconds(5),
        maximumRateLimitDelay: Duration = .seconds(30), limiter: FetchOptions.RateLimit? = nil, workerName: String? = nil,
        gracefulShutdownTimeout: Duration = .seconds(30), releaseTimeout: Duration = .seconds(3),
        jobTimeout: Duration? = .seconds(600), cancelCheckInterval: Duration = .seconds(1)
    ) {
        self.concurrency = max(1, concurrency)
        self.lockDuration = lockDuration
        self.lockRenewInterval = lockRenewInterval ?? lockDuration / 2
        self.stalledInterval = stalledInterval
        self.maxStalledCount = maxStalledCount
        self.drainDelay = drainDelay
        self.maximumRateLimitDelay = maximumRateLimitDelay
        self.limiter = limiter
        self.workerName = workerName
        self.gracefulShutdownTimeout = gracefulShutdownTimeout
        self.releaseTimeout = releaseTimeout
        self.jobTimeout = jobTimeout
        self.cancelCheckInterval = max(cancelCheckInterval, .milliseconds(50))
    }
}
