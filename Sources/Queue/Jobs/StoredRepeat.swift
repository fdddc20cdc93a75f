import Foundation

/// The `repeat` object in the `opts` of a scheduler's job, under BullMQ's names: the schedule the
/// job came from and its run number (`count`, from 1). A worker of either library reads it to
/// create the scheduler's next job, so it travels with every job.
///
/// Read leniently (other clients write it): numbers may arrive as integers, as decimals with no
/// fraction, or (dates) as ISO 8601 text; anything else reads as absent, never as an error.
struct StoredRepeat: Codable, Equatable, Sendable {
    var every: Int?
    var pattern: String?
    var tz: String?
    var limit: Int?
    var startDate: Int?
    var endDate: Int?
    var offset: Int?
    var count: Int?

    init(
        every: Int? = nil, pattern: String? = nil, tz: String? = nil, limit: Int? = nil, startDate: Int? = nil, endDate: Int? = nil,
        offset: Int? = nil, count: Int? = nil
    ) {
        self.every = every
        self.pattern = pattern
        self.tz = tz
        self.limit = limit
        self.startDate = startDate
        self.endDate = endDate
        self.offset = offset
        self.count = count
    }

    init(_ schedule: JobSchedule, count: Int, offset: Int? = nil) {
        switch schedule.cadence {
        case .every(let milliseconds):
            self.init(every: milliseconds, offset: offset)
        case .cron(let pattern, let zone):
            self.init(pattern: pattern.text, tz: zone == .utc ? nil : zone.identifier)
        }
        limit = schedule.limit
        startDate = schedule.startDate
        endDate = schedule.endDate
        self.count = count
    }

    private enum CodingKeys: String, CodingKey {
        case every, pattern, tz, limit, startDate, endDate, offset, count
    }

    init(from decoder: any Decoder) throws {
        guard let container = try? decoder.container(keyedBy: CodingKeys.self) else { return }
        every = Self.integer(container, .every)
        pattern = try? container.decodeIfPresent(String.self, forKey: .pattern)
        tz = try? container.decodeIfPresent(String.self, forKey: .tz)
        limit = Self.integer(container, .limit)
        startDate = Self.integer(container, .startDate) ?? Self.date(container, .startDate)
        endDate = Self.integer(container, .endDate) ?? Self.date(container, .endDate)
        offset = Self.integer(container, .offset)
        count = Self.integer(container, .count)
    }

    private static func integer(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) -> Int? {
        if let value = try? container.decodeIfPresent(Int.self, forKey: key) { return value }
        if let value = try? container.decodeIfPresent(Double.self, forKey: key) { return Int(exactly: value) }
        return nil
    }

    private static func date(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) -> Int? {
        guard let text = try? container.decodeIfPresent(String.self, forKey: key) else { return nil }
        if let number = Int(text) { return number }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
        return date.flatMap { Int(exactly: ($0.timeIntervalSince1970 * 1_000).rounded()) }
    }

    /// The schedule it describes; `nil` when it names none that can run (no cadence, a bad
    /// pattern or zone, numbers out of bounds).
    var schedule: JobSchedule? {
        let start = startDate.map { max(0, min($0, CronPattern.latestMilliseconds)) }
        let end = endDate.map { max(0, min($0, CronPattern.latestMilliseconds)) }
        let bounded = limit.map { max(1, min($0, JobSchedule.maximumLimit)) }
        if let every {
            return try? JobSchedule(cadence: .every(milliseconds: every), startDate: start, endDate: end, limit: bounded)
        }
        if let pattern {
            return try? JobSchedule.cron(pattern, timeZone: tz, startDate: start, endDate: end, limit: bounded)
        }
        return nil
    }

    /// The object's JSON text, keys sorted.
    func json() -> String {
        var writer = JSONObjectWriter()
        writer.field("count", count)
        writer.field("endDate", endDate)
        writer.field("every", every)
        writer.field("limit", limit)
        writer.field("offset", offset)
        writer.field("pattern", pattern)
        writer.field("startDate", startDate)
        writer.field("tz", tz)
        return writer.finished()
    }
}
