import Testing
@testable import Queue

/// Cron patterns without I/O: parsing, refusals that name the field, and the next firing time in
/// time zones across daylight-saving changes. Expected instants are written as wall time plus
/// offset; a few were checked against Python's zoneinfo (the numbers in `civilArithmetic`).
struct CronPatternTests {
    /// Milliseconds since 1970 of "YYYY-MM-DD hh:mm:ss ±hh:mm".
    static func at(_ text: String) -> Int {
        let parts = text.split(separator: " ")
        let date = parts[0].split(separator: "-").compactMap { Int($0) }
        let time = parts[1].split(separator: ":").compactMap { Int($0) }
        let sign = parts[2].hasPrefix("-") ? -1 : 1
        let offset = parts[2].dropFirst().split(separator: ":").compactMap { Int($0) }
        let wall = CivilTime(year: date[0], month: date[1], day: date[2], hour: time[0], minute: time[1], second: time[2])
        return (Int(wall.wallSeconds) - sign * (offset[0] * 3_600 + offset[1] * 60)) * 1_000
    }

    static let paris = try! ScheduleTimeZone("Europe/Paris")
    static let newYork = try! ScheduleTimeZone("America/New_York")

    /// The successive firing times after `start`.
    static func firings(_ pattern: String, after start: String, count: Int, in zone: ScheduleTimeZone = .utc) throws -> [Int] {
        let cron = try CronPattern(pattern)
        var times: [Int] = []
        var now = at(start)
        for _ in 0..<count {
            guard let next = cron.next(after: now, in: zone) else { break }
            times.append(next)
            now = next
        }
        return times
    }

    @Test func civilArithmetic() {
        // Checked with Python: datetime(2026, 3, 29, 3, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
        #expect(Self.at("2026-03-29 03:00:00 +02:00") == 1_774_746_000_000)
        #expect(Self.at("2026-10-25 02:30:00 +01:00") == 1_792_891_800_000)
        for days: Int64 in [-800_000, -1, 0, 1, 11_016, 20_000, 2_932_896] {
            let (year, month, day) = CivilTime.civil(fromDays: days)
            #expect(CivilTime.days(year: year, month: month, day: day) == days)
        }
        #expect(CivilTime(year: 2026, month: 11, day: 30).weekday == 1)  // a Monday
        #expect(CivilTime(year: 2000, month: 2, day: 29).daysInMonth == 29)
        #expect(CivilTime(year: 2100, month: 2, day: 1).daysInMonth == 28)
    }

    // MARK: Daylight-saving changes

    @Test func parisSpringForwardFiresASkippedTimeAtTheEndOfTheGap() throws {
        // 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that night.
        #expect(
            try Self.firings("30 2 * * *", after: "2026-03-28 02:30:00 +01:00", count: 2, in: Self.paris) == [
                Self.at("2026-03-29 03:00:00 +02:00"), Self.at("2026-03-30 02:30:00 +02:00"),
            ])
        // Every quarter hour keeps going in real time: the skipped 02:xx collapse into one 03:00.
        #expect(
            try Self.firings("*/15 * * * *", after: "2026-03-29 01:30:00 +01:00", count: 4, in: Self.paris) == [
                Self.at("2026-03-29 01:45:00 +01:00"), Self.at("2026-03-29 03:00:00 +02:00"),
                Self.at("2026-03-29 03:15:00 +02:00"), Self.at("2026-03-29 03:30:00 +02:00"),
            ])
    }

    @Test func parisFallBackFiresARepeatedTimeOnce() throws {
        // 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice, fired the first time.
        #expect(
            try Self.firings("30 2 * * *", after: "2026-10-24 02:30:00 +02:00", count: 2, in: Self.paris) == [
                Self.at("2026-10-25 02:30:00 +02:00"), Self.at("2026-10-26 02:30:00 +01:00"),
            ])
        #expect(
            try Self.firings("*/15 * * * *", after: "2026-10-25 02:30:00 +02:00", count: 3, in: Self.paris) == [
                Self.at("2026-10-25 02:45:00 +02:00"), Self.at("2026-10-25 03:00:00 +01:00"),
                Self.at("2026-10-25 03:15:00 +01:00"),
            ])
        // From inside the second 02:xx, the wall times already fired are not fired again.
        let cron = try CronPattern("*/15 * * * *")
        #expect(cron.next(after: Self.at("2026-10-25 02:10:00 +01:00"), in: Self.paris) == Self.at("2026-10-25 03:00:00 +01:00"))
        // Every second, asked from early in the second pass: one jump, not 3,600 steps.
        let everySecond = try CronPattern("* * * * * *")
        #expect(everySecond.next(after: Self.at("2026-10-25 02:00:05 +01:00"), in: Self.paris) == Self.at("2026-10-25 03:00:00 +01:00"))
        #expect(everySecond.next(after: Self.at("2026-10-25 02:59:58 +02:00"), in: Self.paris) == Self.at("2026-10-25 02:59:59 +02:00"))
    }

    @Test func newYorkChanges() throws {
        // 8 March 2026: 02:00 EST becomes 03:00 EDT.
        #expect(
            try Self.firings("0 2 * * *", after: "2026-03-07 02:00:00 -05:00", count: 2, in: Self.newYork) == [
                Self.at("2026-03-08 03:00:00 -04:00"), Self.at("2026-03-09 02:00:00 -04:00"),
            ])
        // 1 November 2026: 02:00 EDT becomes 01:00 EST; 01:30 fires once, at its first occurrence.
        #expect(
            try Self.firings("30 1 * * *", after: "2026-10-31 01:30:00 -04:00", count: 2, in: Self.newYork) == [
                Self.at("2026-11-01 01:30:00 -04:00"), Self.at("2026-11-02 01:30:00 -05:00"),
            ])
        #expect(Self.at("2026-11-01 01:30:00 -04:00") == 1_793_511_000_000)
    }

    @Test func mondaysAtEightInParisAcrossTheChange() throws {
        #expect(
            try Self.firings("0 8 * * MON", after: "2026-10-14 12:00:00 +02:00", count: 3, in: Self.paris) == [
                Self.at("2026-10-19 08:00:00 +02:00"), Self.at("2026-10-26 08:00:00 +01:00"),
                Self.at("2026-11-02 08:00:00 +01:00"),
            ])
    }

    // MARK: Fields

    @Test func everyQuarterHourInUTC() throws {
        #expect(
            try Self.firings("*/15 * * * *", after: "2026-12-31 23:40:00 +00:00", count: 3) == [
                Self.at("2026-12-31 23:45:00 +00:00"), Self.at("2027-01-01 00:00:00 +00:00"), Self.at("2027-01-01 00:15:00 +00:00"),
            ])
    }

    @Test func lastDayOfTheMonth() throws {
        #expect(
            try Self.firings("0 0 L * *", after: "2027-01-15 00:00:00 +00:00", count: 4) == [
                Self.at("2027-01-31 00:00:00 +00:00"), Self.at("2027-02-28 00:00:00 +00:00"),
                Self.at("2027-03-31 00:00:00 +00:00"), Self.at("2027-04-30 00:00:00 +00:00"),
            ])
        #expect(try Self.firings("0 12 L 2 *", after: "2027-03-01 00:00:00 +00:00", count: 1) == [Self.at("2028-02-29 12:00:00 +00:00")])
        // The 31st skips the months without one.
        #expect(
            try Self.firings("0 0 31 * *", after: "2027-03-31 00:00:00 +00:00", count: 2) == [
                Self.at("2027-05-31 00:00:00 +00:00"), Self.at("2027-07-31 00:00:00 +00:00"),
            ])
    }

    @Test func strictlyAfterAndSecondsField() throws {
        let cron = try CronPattern("0 9 * * *")
        #expect(cron.next(after: Self.at("2027-01-01 09:00:00 +00:00")) == Self.at("2027-01-02 09:00:00 +00:00"))
        #expect(cron.next(after: Self.at("2027-01-01 08:59:59 +00:00") + 999) == Self.at("2027-01-01 09:00:00 +00:00"))
        #expect(
            try Self.firings("*/20 * * * * *", after: "2027-01-01 00:00:05 +00:00", count: 3) == [
                Self.at("2027-01-01 00:00:20 +00:00"), Self.at("2027-01-01 00:00:40 +00:00"), Self.at("2027-01-01 00:01:00 +00:00"),
            ])
    }

    @Test func namesRangesListsAndSteps() throws {
        #expect(try CronPattern("0 0 * * 7").daysOfWeek == CronPattern("0 0 * * 0").daysOfWeek)
        #expect(try CronPattern("0 0 * * sun").daysOfWeek == 1)
        #expect(try CronPattern("0 0 * JAN-MAR,dec *").months == 0b1_0000_0000_1110)
        #expect(try CronPattern("5/20 * * * *").minutes == (1 << 5 | 1 << 25 | 1 << 45))
        #expect(try CronPattern("0 9-17/4 * * MON-FRI").hours == (1 << 9 | 1 << 13 | 1 << 17))
        #expect(try CronPattern("@daily").next(after: Self.at("2027-01-01 10:00:00 +00:00")) == Self.at("2027-01-02 00:00:00 +00:00"))
        #expect(try CronPattern("  @hourly ").next(after: Self.at("2027-01-01 10:00:00 +00:00")) == Self.at("2027-01-01 11:00:00 +00:00"))
    }

    @Test func bothDayFieldsRestrictedMeansEither() throws {
        // The 13th, or any Friday: Friday 6 November 2026 comes first, then Friday the 13th.
        #expect(
            try Self.firings("0 0 13 * FRI", after: "2026-11-01 00:00:00 +00:00", count: 3) == [
                Self.at("2026-11-06 00:00:00 +00:00"), Self.at("2026-11-13 00:00:00 +00:00"), Self.at("2026-11-20 00:00:00 +00:00"),
            ])
        // A `*` day of month leaves only the day of the week.
        #expect(try Self.firings("0 0 * * FRI", after: "2026-11-12 00:00:00 +00:00", count: 1) == [Self.at("2026-11-13 00:00:00 +00:00")])
    }

    // MARK: Refusals

    @Test func refusalsNameTheField() {
        let cases: [(String, String)] = [
            ("* * * *", "has 4"),
            ("60 * * * *", "minute field item '60'"),
            ("* 24 * * *", "hour field item '24'"),
            ("* * 0 * *", "day-of-month field item '0'"),
            ("* * * 13 *", "month field item '13'"),
            ("* * * * 8", "day-of-week field item '8'"),
            ("*/0 * * * *", "has step '0'"),
            ("*/99999999999999999999 * * * *", "has step"),
            ("99999999999999999999 * * * *", "minute field item"),
            ("10-5 * * * *", "runs backwards"),
            ("1,,2 * * * *", "empty list item"),
            ("0 0 30 2 *", "names no day that exists"),
            ("@fortnightly", "not a cron shorthand"),
            ("* * * * FOO", "day-of-week field item 'FOO'"),
            ("1-2-3 * * * *", "not a value or a range"),
            (String(repeating: "1,", count: 200) + "1 * * * *", "longer than 256"),
        ]
        for (pattern, expected) in cases {
            #expect(throws: CronPatternError.self) { try CronPattern(pattern) }
            do {
                _ = try CronPattern(pattern)
            } catch {
                #expect(error.message.contains(expected), "\(pattern): \(error.message)")
            }
        }
        #expect(throws: CronPatternError.self) { try ScheduleTimeZone("Mars/Olympus") }
        #expect(throws: CronPatternError.self) { try ScheduleTimeZone("") }
    }

    @Test func instantsOutsideTheSupportedRangeGiveNoNextTime() throws {
        let cron = try CronPattern("* * * * *")
        #expect(cron.next(after: -1) == nil)
        #expect(cron.next(after: Int.max) == nil)
        #expect(cron.next(after: CronPattern.latestMilliseconds) == nil)
        #expect(cron.next(after: 0) == 60_000)
    }

    @Test func firingsPerMinuteCountTheSecondsField() throws {
        #expect(try CronPattern("*/15 * * * *").firingsPerMinute == 1)
        #expect(try CronPattern("30 0 8 * * MON").firingsPerMinute == 1)
        #expect(try CronPattern("*/5 * * * * *").firingsPerMinute == 12)
        #expect(try CronPattern("* * * * * *").firingsPerMinute == 60)
    }
}
