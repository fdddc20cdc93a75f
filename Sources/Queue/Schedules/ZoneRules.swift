import Foundation

/// A time zone's offsets, as needed to run a cron pattern on wall-clock time: the wall time of an
/// instant, and the instant of a wall time, including the two cases where there is not exactly
/// one (a daylight-saving change).
///
/// The rules chosen, so that a schedule never fires twice for one wall time and never skips one:
/// - a wall time that does not exist (skipped when clocks go forward: 02:30 in Europe/Paris on the
///   last Sunday of March) maps to the end of the gap (03:00 summer time);
/// - a wall time that exists twice (repeated when clocks go back) maps to its first occurrence.
struct ZoneRules: Sendable {
    let timeZone: TimeZone

    static let utc = ZoneRules(timeZone: TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current)

    /// `nil` when `identifier` is not an IANA time zone name this system knows.
    init?(identifier: String) {
        guard !identifier.isEmpty, identifier.utf8.count <= 64, let zone = TimeZone(identifier: identifier) else { return nil }
        self.timeZone = zone
    }

    init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// The zone's offset from UTC, in seconds, at the instant `seconds` after 1970.
    func offset(at seconds: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
    }

    func wallTime(at seconds: Int64) -> CivilTime {
        CivilTime(wallSeconds: seconds + offset(at: seconds))
    }

    /// The instant of the zone's last offset change in the day up to `seconds` (the first
    /// instant with the offset in force at `seconds`); `nil` when there was none.
    func lastChange(atOrBefore seconds: Int64) -> Int64? {
        var low = seconds - 86_400
        var high = seconds
        let current = offset(at: high)
        guard offset(at: low) != current else { return nil }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(at: middle) == current { high = middle } else { low = middle }
        }
        return high
    }

    /// The instant (seconds since 1970) at which the zone's clocks show `wall`.
    func instant(of wall: CivilTime) -> Int64 {
        let local = wall.wallSeconds
        // The offsets in force a day either side cover every change a day can hold.
        let before = offset(at: local - 86_400)
        let after = offset(at: local + 86_400)
        let candidates = Set([local - before, local - after]).filter { offset(at: $0) == local - $0 }
        if let earliest = candidates.min() { return earliest }
        // A gap: find the first instant with the new offset, between the two readings.
        var low = local - after  // still the old offset
        var high = local - before  // already the new one
        if low > high { swap(&low, &high) }
        let oldOffset = offset(at: low)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(at: middle) == oldOffset { low = middle } else { high = middle }
        }
        return high
    }
}
