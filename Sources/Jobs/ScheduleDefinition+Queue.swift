public import Domain
public import Foundation
public import Queue

extension ScheduleDefinition {
    /// The queue engine's schedule for this definition. Refuses, naming the field, a period
    /// outside a minute to ten years, a pattern or zone that does not parse, and out-of-range
    /// dates or limits.
    public func jobSchedule() throws(QueueError) -> JobSchedule {
        let start = try Self.milliseconds(startAt, field: "startDate")
        let end = try Self.milliseconds(endAt, field: "endDate")
        switch cadence {
        case .every(let milliseconds):
            guard (Self.minimumEvery...Self.maximumEvery).contains(milliseconds) else {
                throw QueueError(
                    .invalidOption, "every must be between \(Self.minimumEvery) milliseconds (a minute) and \(Self.maximumEvery) (10 years)")
            }
            return try JobSchedule(
                cadence: .every(milliseconds: milliseconds), startDate: start, endDate: end, limit: limit, immediately: immediately)
        case .cron(let pattern, let timeZone):
            let cron: CronPattern
            do { cron = try CronPattern(pattern) } catch { throw QueueError(.invalidOption, "pattern: \(error.message)") }
            guard cron.firingsPerMinute <= 1 else {
                throw QueueError(.invalidOption, "pattern: a schedule runs at most once a minute; its seconds field must be one value")
            }
            var zone = ScheduleTimeZone.utc
            if let timeZone {
                do { zone = try ScheduleTimeZone(timeZone) } catch { throw QueueError(.invalidOption, "tz: \(error.message)") }
            }
            return try JobSchedule(
                cadence: .cron(cron, timeZone: zone), startDate: start, endDate: end, limit: limit, immediately: immediately)
        }
    }

    /// A date as milliseconds since 1970, refused (naming `field`) outside 1970–9999.
    static func milliseconds(_ date: Date?, field: String) throws(QueueError) -> Int? {
        guard let date else { return nil }
        let value = (date.timeIntervalSince1970 * 1_000).rounded()
        guard value.isFinite, value >= 0, value <= Double(CronPattern.latestMilliseconds), let milliseconds = Int(exactly: value) else {
            throw QueueError(.invalidOption, "\(field) must be a time between 1970 and 9999")
        }
        return milliseconds
    }
}

extension Queue {
    /// Creates or changes the scheduler of the tenant's schedule `id` on this queue (its kind's):
    /// each run is a trigger job (``ScheduleKind/trigger(tenant:scheduleID:)``) that a worker
    /// turns into the run's own job. Changing a live schedule moves its pending run, never
    /// doubles it.
    @discardableResult
    public func upsertSchedule(_ id: UUID, tenant: TenantID, _ definition: ScheduleDefinition, now: Int? = nil) async throws
        -> ScheduledRun
    {
        guard name == definition.kind.queue else {
            throw QueueError(.invalidOption, "\(definition.kind.rawValue) schedules belong on the queue \(definition.kind.queue), not \(name)")
        }
        let schedule = try definition.jobSchedule()
        let template = try definition.kind.trigger(tenant: tenant, scheduleID: id)
        return try await upsertJobScheduler(ScheduleKind.schedulerID(id), schedule: schedule, template: template, now: now)
    }

    /// Removes the scheduler of the schedule `id` and its pending run; returns whether it existed.
    @discardableResult
    public func removeSchedule(_ id: UUID) async throws -> Bool {
        try await removeJobScheduler(ScheduleKind.schedulerID(id))
    }
}
