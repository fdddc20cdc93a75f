/// When a job scheduler creates its jobs: BullMQ's repeat options (`every` or a cron `pattern` in a
/// time zone, `startDate`, `endDate`, `limit`, `immediately`), checked when made.
///
/// The run-time arithmetic is here, without I/O: ``firstRun(now:)`` for a new scheduler and
/// ``run(after:now:)`` for the run after one a worker took. Times are milliseconds since 1970.
public struct JobSchedule: Sendable, Equatable {
    public enum Cadence: Sendable, Equatable {
        /// A run every so many milliseconds.
        case every(milliseconds: Int)
        /// A run at each time the pattern matches on the zone's clocks.
        case cron(CronPattern, timeZone: ScheduleTimeZone)
    }

    public var cadence: Cadence
    /// No run before this time.
    public var startDate: Int?
    /// No run after this time.
    public var endDate: Int?
    /// At most this many jobs in all.
    public var limit: Int?
    /// The first run at once rather than at the first time the cadence gives.
    public var immediately: Bool

    /// The longest `every`: ten years.
    public static let maximumEvery = 315_360_000_000
    /// The largest `limit`.
    public static let maximumLimit = 1_000_000_000

    public init(cadence: Cadence, startDate: Int? = nil, endDate: Int? = nil, limit: Int? = nil, immediately: Bool = false)
        throws(QueueError)
    {
        self.cadence = cadence
        self.startDate = startDate
        self.endDate = endDate
        self.limit = limit
        self.immediately = immediately
        try validate()
    }

    /// A run every `interval` (at least a millisecond, at most ten years).
    public static func every(
        _ interval: Duration, startDate: Int? = nil, endDate: Int? = nil, limit: Int? = nil, immediately: Bool = false
    ) throws(QueueError) -> JobSchedule {
        let seconds = interval.components.seconds
        guard seconds >= 0, seconds <= Int64(maximumEvery / 1_000) else {
            throw QueueError(.invalidOption, "every must be between 1 millisecond and 10 years")
        }
        return try JobSchedule(
            cadence: .every(milliseconds: interval.milliseconds), startDate: startDate, endDate: endDate, limit: limit,
            immediately: immediately)
    }

    /// A run at each time `pattern` matches, on the clocks of `timeZone` (an IANA name; UTC when nil).
    public static func cron(
        _ pattern: String, timeZone: String? = nil, startDate: Int? = nil, endDate: Int? = nil, limit: Int? = nil,
        immediately: Bool = false
    ) throws(QueueError) -> JobSchedule {
        do {
            let cron = try CronPattern(pattern)
            let zone = try timeZone.map { identifier throws(CronPatternError) in try ScheduleTimeZone(identifier) } ?? .utc
            return try JobSchedule(
                cadence: .cron(cron, timeZone: zone), startDate: startDate, endDate: endDate, limit: limit, immediately: immediately)
        } catch let error as CronPatternError {
            throw QueueError(.invalidOption, error.message)
        } catch let error as QueueError {
            throw error
        } catch {
            throw QueueError(.invalidOption, "\(error)")
        }
    }

    /// Checks every number against its bounds, naming the field.
    public func validate() throws(QueueError) {
        let latest = CronPattern.latestMilliseconds
        if case .every(let milliseconds) = cadence, !(1...Self.maximumEvery).contains(milliseconds) {
            throw QueueError(.invalidOption, "every must be between 1 and \(Self.maximumEvery) milliseconds (10 years)")
        }
        if let startDate, !(0...latest).contains(startDate) {
            throw QueueError(.invalidOption, "startDate must be a time between 1970 and 9999, in milliseconds since 1970")
        }
        if let endDate, !(0...latest).contains(endDate) {
            throw QueueError(.invalidOption, "endDate must be a time between 1970 and 9999, in milliseconds since 1970")
        }
        if let startDate, let endDate, endDate < startDate {
            throw QueueError(.invalidOption, "endDate is before startDate")
        }
        if let limit, !(1...Self.maximumLimit).contains(limit) {
            throw QueueError(.invalidOption, "limit must be between 1 and \(Self.maximumLimit)")
        }
        if immediately && startDate != nil {
            throw QueueError(.invalidOption, "immediately and startDate cannot be used together")
        }
    }

    /// The first run of a scheduler made (or changed) at `now`; `nil` when the schedule has no run
    /// left (its end date passed, or a pattern that does not fire again).
    public func firstRun(now: Int) -> Int? {
        let now = Self.clamp(now)
        let start = max(now, startDate ?? 0)
        let run: Int?
        if immediately {
            run = now
        } else {
            switch cadence {
            case .every:
                run = start
            case .cron(let pattern, let zone):
                // A start date on a matching time is itself a run.
                run = pattern.next(after: start == now ? now : start - 1, in: zone)
            }
        }
        return run.flatMap(within)
    }

    /// The run after the one at `previous`, computed when that run's job is taken at `now`.
    /// `every` keeps its cadence (runs missed while no worker took jobs are skipped, not made
    /// up); a pattern fires at its next time after both. `nil` once the end date is passed.
    public func run(after previous: Int, now: Int) -> Int? {
        let previous = Self.clamp(previous)
        let now = Self.clamp(now)
        let run: Int?
        switch cadence {
        case .every(let every):
            var next = previous + every
            if next <= now {
                // Skip to the first slot after now; both terms are bounded, so no overflow.
                next = previous + ((now - previous) / every + 1) * every
            }
            run = next
        case .cron(let pattern, let zone):
            run = pattern.next(after: max(now, previous), in: zone)
        }
        return run.flatMap(within)
    }

    /// The next run of an `every` schedule whose cadence or bounds changed while it had a run at
    /// `current`: a pending run moves no later than one new period from now and no earlier than
    /// it was due (a longer period does not fire at once); after a running one, the new cadence
    /// follows it. Never before the start date. `nil` for a pattern (its first run after now is
    /// right) and with `immediately` (a run now).
    public func runAfterChange(current: Int, pending: Bool, now: Int) -> Int? {
        guard case .every(let every) = cadence, !immediately else { return nil }
        let (current, now) = (Self.clamp(current), Self.clamp(now))
        // Both terms are clamped to year 9999 and `every` to ten years: no overflow.
        let next = pending ? min(max(current, now), now + every) : run(after: current, now: now)
        return next.flatMap { within(max($0, startDate ?? 0)) }
    }

    /// Whether run number `count` (from 1) is allowed by the limit.
    public func allows(count: Int) -> Bool {
        guard let limit else { return true }
        return count <= limit
    }

    private func within(_ run: Int) -> Int? {
        if let endDate, run > endDate { return nil }
        return run <= CronPattern.latestMilliseconds ? run : nil
    }

    static func clamp(_ milliseconds: Int) -> Int { min(max(milliseconds, 0), CronPattern.latestMilliseconds) }
}
