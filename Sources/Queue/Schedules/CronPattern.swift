/// A cron pattern, parsed and checked: `minute hour day-of-month month day-of-week`, or six fields
/// with seconds first (as BullMQ's and croniter's six-field form), or a shorthand (`@hourly`,
/// `@daily`/`@midnight`, `@weekly`, `@monthly`, `@yearly`/`@annually`).
///
/// Each field takes `*`, a value, a range `a-b`, a step `*/n`, `a/n` or `a-b/n`, and comma lists of
/// these; months and days of the week also by name (`JAN`, `MON`), Sunday as 0 or 7;
/// day-of-month also `L` (the month's last day), and `?` as `*` in either day field. As in Vixie
/// cron, when both day fields are restricted a day matches either; when one starts with `*` or
/// `?`, only the other counts.
///
/// ``next(after:in:)`` finds the next matching wall time in a time zone (see ``ZoneRules`` for
/// daylight-saving changes).
public struct CronPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let text: String
    let seconds: UInt64
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let lastDayOfMonth: Bool
    let months: UInt64
    let daysOfWeek: UInt64
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    let hasSeconds: Bool

    public var description: String { text }

    /// How many times a minute the pattern fires at most: the number of seconds its seconds field
    /// allows (1 for a five-field pattern, which fires at second 0).
    public var firingsPerMinute: Int { seconds.nonzeroBitCount }

    /// The last instant schedules reach: 9999-12-31T23:59:59.999Z, in milliseconds since 1970.
    public static let latestMilliseconds = 253_402_300_799_999

    /// The longest pattern accepted.
    public static let maximumLength = 256

    public init(_ text: String) throws(CronPatternError) {
        guard text.utf8.count <= Self.maximumLength else {
            throw CronPatternError("the cron pattern is longer than \(Self.maximumLength) characters")
        }
        self.text = text
        let trimmed = text.trimmingWhitespace()
        let expanded: String
        switch trimmed.lowercased() {
        case "@yearly", "@annually": expanded = "0 0 1 1 *"
        case "@monthly": expanded = "0 0 1 * *"
        case "@weekly": expanded = "0 0 * * 0"
        case "@daily", "@midnight": expanded = "0 0 * * *"
        case "@hourly": expanded = "0 * * * *"
        default:
            if trimmed.hasPrefix("@") { throw CronPatternError("'\(trimmed)' is not a cron shorthand (@hourly, @daily, @weekly, @monthly, @yearly)") }
            expanded = trimmed
        }
        var fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        switch fields.count {
        case 5:
            hasSeconds = false
            fields.insert("0", at: 0)
        case 6:
            hasSeconds = true
        default:
            throw CronPatternError(
                "a cron pattern has 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; '\(text)' has \(fields.count)"
            )
        }
        seconds = try Self.parse(fields[0], .second).bits
        minutes = try Self.parse(fields[1], .minute).bits
        hours = try Self.parse(fields[2], .hour).bits
        let dayOfMonth = try Self.parse(fields[3], .dayOfMonth)
        daysOfMonth = dayOfMonth.bits
        lastDayOfMonth = dayOfMonth.last
        months = try Self.parse(fields[4], .month).bits
        var weekdays = try Self.parse(fields[5], .dayOfWeek).bits
        // 7 is Sunday too.
        if weekdays & (1 << 7) != 0 { weekdays = (weekdays | 1) & ~(1 << 7) }
        daysOfWeek = weekdays
        dayOfMonthRestricted = !(fields[3].hasPrefix("*") || fields[3].hasPrefix("?"))
        dayOfWeekRestricted = !(fields[5].hasPrefix("*") || fields[5].hasPrefix("?"))
        // A pattern that can never match (30 February) is refused rather than never run. A
        // restricted day of the week occurs in every month, and so does the last day.
        if !dayOfWeekRestricted && dayOfMonthRestricted && !lastDayOfMonth {
            let days = daysOfMonth
            let possible = (1...12).contains { month in
                Self.has(months, month) && (1...CivilTime.daysIn(month: month, year: 2000)).contains { Self.has(days, $0) }
            }
            guard possible else { throw CronPatternError("the cron pattern '\(text)' names no day that exists") }
        }
    }

    /// Whether the wall time matches (seconds included).
    func matches(_ time: CivilTime) -> Bool {
        Self.has(months, time.month) && matchesDay(time) && Self.has(hours, time.hour) && Self.has(minutes, time.minute)
            && Self.has(seconds, time.second)
    }

    func matchesDay(_ time: CivilTime) -> Bool {
        let byMonth = Self.has(daysOfMonth, time.day) || (lastDayOfMonth && time.day == time.daysInMonth)
        let byWeek = Self.has(daysOfWeek, time.weekday)
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return byMonth || byWeek
        case (true, false): return byMonth
        case (false, true): return byWeek
        case (false, false): return true
        }
    }

    /// The first matching wall time strictly after `wall`; `nil` if none within 30 years.
    func nextWallTime(after wall: CivilTime) -> CivilTime? {
        var time = hasSeconds ? wall.nextSecond() : wall.startOfNextMinute()
        let lastYear = wall.year + 30
        // Each step moves to the start of the next month, day, hour, minute or second, so a
        // match (or the end of the horizon) comes within a few hundred steps per year.
        while time.year <= lastYear {
            if !Self.has(months, time.month) {
                time = time.startOfNextMonth()
            } else if !matchesDay(time) {
                time = time.startOfNextDay()
            } else if !Self.has(hours, time.hour) {
                time = time.startOfNextHour()
            } else if !Self.has(minutes, time.minute) {
                time = time.startOfNextMinute()
            } else if !Self.has(seconds, time.second) {
                time = time.nextSecond()
            } else {
                return time
            }
        }
        return nil
    }

    /// The next time the pattern fires strictly after `milliseconds` (since 1970) on the clocks
    /// of `zone`, in milliseconds; `nil` if it never fires again within 30 years.
    public func next(after milliseconds: Int, in zone: ScheduleTimeZone = .utc) -> Int? {
        guard (0...Self.latestMilliseconds).contains(milliseconds) else { return nil }
        let rules = zone.rules
        let after = CivilTime.floorDivide(Int64(milliseconds), 1_000)
        var wall = rules.wallTime(at: after)
        // Times that map before `after` (the second pass through a repeated hour) are skipped.
        for _ in 0..<1_000 {
            guard let candidate = nextWallTime(after: wall) else { return nil }
            let instant = rules.instant(of: candidate)
            if instant > after { return instant * 1_000 <= Int64(Self.latestMilliseconds) ? Int(instant) * 1_000 : nil }
            // In the second pass of a repeated hour every repeated wall time fired in the first
            // pass: jump to the end of the repeated hour in one step.
            if let change = rules.lastChange(atOrBefore: after) {
                let repeatedEnd = change + rules.offset(at: change - 1)
                wall = max(candidate, CivilTime(wallSeconds: repeatedEnd - 1))
            } else {
                wall = candidate
            }
        }
        return nil
    }

    // MARK: Parsing

    enum Field: String {
        case second, minute, hour, dayOfMonth = "day-of-month", month, dayOfWeek = "day-of-week"

        var range: ClosedRange<Int> {
            switch self {
            case .second, .minute: return 0...59
            case .hour: return 0...23
            case .dayOfMonth: return 1...31
            case .month: return 1...12
            case .dayOfWeek: return 0...7
            }
        }

        var names: [String] {
            switch self {
            case .month: return ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
            case .dayOfWeek: return ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
            default: return []
            }
        }

        /// The value of a name: months from 1, days of the week from 0.
        func value(ofName name: String) -> Int? {
            guard let index = names.firstIndex(of: name.uppercased()) else { return nil }
            return self == .month ? index + 1 : index
        }
    }

    static func has(_ bits: UInt64, _ value: Int) -> Bool { bits & (1 << UInt64(value)) != 0 }

    static func parse(_ text: String, _ field: Field) throws(CronPatternError) -> (bits: UInt64, last: Bool) {
        var bits: UInt64 = 0
        var last = false
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            if item.isEmpty { throw CronPatternError("the \(field.rawValue) field '\(text)' has an empty list item") }
            if field == .dayOfMonth && item.uppercased() == "L" {
                last = true
                continue
            }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2 else { throw CronPatternError("the \(field.rawValue) field item '\(item)' has more than one '/'") }
            var step = 1
            if parts.count == 2 {
                guard let parsed = Int(parts[1]), parsed >= 1, parsed <= field.range.upperBound + 1 else {
                    throw CronPatternError(
                        "the \(field.rawValue) field item '\(item)' has step '\(parts[1])'; a step is a whole number from 1 to \(field.range.upperBound + 1)"
                    )
                }
                step = parsed
            }
            let base = parts[0]
            var low: Int
            var high: Int
            if base == "*" || (base == "?" && (field == .dayOfMonth || field == .dayOfWeek)) {
                low = field == .dayOfWeek ? 0 : field.range.lowerBound
                high = field == .dayOfWeek ? 6 : field.range.upperBound
            } else {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard bounds.count <= 2 else { throw CronPatternError("the \(field.rawValue) field item '\(item)' is not a value or a range a-b") }
                low = try value(bounds[0], field, item: item)
                if bounds.count == 2 {
                    high = try value(bounds[1], field, item: item)
                    guard low <= high else {
                        throw CronPatternError("the \(field.rawValue) field range '\(base)' runs backwards; write the smaller value first")
                    }
                } else {
                    // `a/n` runs from a to the end of the field.
                    high = parts.count == 2 ? (field == .dayOfWeek ? 6 : field.range.upperBound) : low
                    if high < low { high = low }
                }
            }
            for value in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(value) }
        }
        return (bits, last)
    }

    static func value(_ text: String, _ field: Field, item: String) throws(CronPatternError) -> Int {
        if let number = Int(text), field.range.contains(number) { return number }
        if let named = field.value(ofName: text) { return named }
        let names = field.names.isEmpty ? "" : " or a name (\(field.names.first ?? "")…\(field.names.last ?? ""))"
        throw CronPatternError(
            "the \(field.rawValue) field item '\(item)' has '\(text)'; expected \(field.range.lowerBound)–\(field.range.upperBound)\(names)")
    }
}

/// Why a cron pattern was refused, in words that name the field.
public struct CronPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }
}
