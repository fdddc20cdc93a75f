/// A wall-clock date and time with no zone attached, to the second: what a cron pattern is
/// matched against. Converted to and from a count of seconds as if the wall time were UTC
/// (``ZoneRules`` turns that into a real instant), with the proleptic Gregorian calendar's
/// day arithmetic done on integers, so no calendar object is needed per step (the API's RFC 3339
/// dates use the same arithmetic).
public struct CivilTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    var year: Int
    /// 1…12
    var month: Int
    /// 1…31
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The wall time `seconds` after 1970-01-01 00:00:00.
    init(wallSeconds seconds: Int64) {
        let days = Self.floorDivide(seconds, 86_400)
        let within = Int(seconds - days * 86_400)
        let (year, month, day) = Self.civil(fromDays: days)
        self.init(year: year, month: month, day: day, hour: within / 3_600, minute: within % 3_600 / 60, second: within % 60)
    }

    /// Seconds since 1970-01-01 00:00:00 of this wall time (read as if it were UTC).
    var wallSeconds: Int64 {
        Self.days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
    }

    /// 0 = Sunday … 6 = Saturday.
    var weekday: Int {
        // 1970-01-01 was a Thursday.
        Int((Self.floorModulo(Self.days(year: year, month: month, day: day), 7) + 4) % 7)
    }

    var daysInMonth: Int { Self.daysIn(month: month, year: year) }

    public static func < (lhs: CivilTime, rhs: CivilTime) -> Bool { lhs.wallSeconds < rhs.wallSeconds }

    public var description: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(minute)):\(two(second))"
    }

    // MARK: Steps used by the cron search (each lands on the start of the unit)

    func startOfNextMonth() -> CivilTime {
        month == 12 ? CivilTime(year: year + 1, month: 1, day: 1) : CivilTime(year: year, month: month + 1, day: 1)
    }

    func startOfNextDay() -> CivilTime { CivilTime(wallSeconds: CivilTime(year: year, month: month, day: day).wallSeconds + 86_400) }

    func startOfNextHour() -> CivilTime {
        CivilTime(wallSeconds: CivilTime(year: year, month: month, day: day, hour: hour).wallSeconds + 3_600)
    }

    func startOfNextMinute() -> CivilTime {
        CivilTime(wallSeconds: CivilTime(year: year, month: month, day: day, hour: hour, minute: minute).wallSeconds + 60)
    }

    func nextSecond() -> CivilTime { CivilTime(wallSeconds: wallSeconds + 1) }

    // MARK: Day arithmetic

    public static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to the given date (negative before it).
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    static func floorModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
        value - floorDivide(value, divisor) * divisor
    }
}
