import Foundation
import OpenAPIRuntime
import Queue

/// RFC 3339 date-times, as JSON Schema's `date-time` format defines them: `2026-12-01T09:00:00Z`,
/// with an optional fraction of a second (any number of digits), `Z` or a `±hh:mm` offset, and
/// `t`/`z` in either case. Parsed with plain arithmetic on bounded fields (no formatter, no
/// locale, nothing that can overflow).
enum RFC3339 {
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + count)] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += count
            return value
        }
        func expect(_ accepted: Set<UInt8>) -> Bool {
            guard index < bytes.count, accepted.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), expect([0x2D]), let month = digits(2), expect([0x2D]), let day = digits(2),
            expect([0x54, 0x74]), let hour = digits(2), expect([0x3A]), let minute = digits(2), expect([0x3A]),
            let second = digits(2)
        else { return nil }
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                fraction += Double(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offsetSeconds = 0
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case 0x5A, 0x7A:
            index += 1
        case 0x2B, 0x2D:
            let sign = bytes[index] == 0x2D ? -1 : 1
            index += 1
            guard let hours = digits(2), expect([0x3A]), let minutes = digits(2), hours < 24, minutes < 60 else { return nil }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        default:
            return nil
        }
        guard index == bytes.count, (1...12).contains(month), (1...CivilTime.daysIn(month: month, year: year)).contains(day), hour < 24,
            minute < 60, second < 60
        else { return nil }
        let days = Int(CivilTime.days(year: year, month: month, day: day))
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// `2026-12-01T09:00:00Z` (UTC, whole seconds), as the API has always written dates.
    static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.isFinite ? date.timeIntervalSince1970 : 0
        // Years 0001 to 9999, the range the format can write.
        let total = Int(seconds.rounded(.down).clamped(to: -62_135_596_800...253_402_300_799))
        let days = Int((Double(total) / 86_400).rounded(.down))
        let secondsOfDay = total - days * 86_400
        let (year, month, day) = CivilTime.civil(fromDays: Int64(days))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
        return "\(yearText)-\(two(month))-\(two(day))T\(two(secondsOfDay / 3600)):\(two(secondsOfDay % 3600 / 60)):\(two(secondsOfDay % 60))Z"
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}

/// The generated code's date coding: ``RFC3339`` both ways.
struct RFC3339DateTranscoder: DateTranscoder {
    func encode(_ date: Date) throws -> String { RFC3339.format(date) }

    func decode(_ text: String) throws -> Date {
        guard let date = RFC3339.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "must be an RFC 3339 date-time such as 2026-12-01T09:00:00Z"))
        }
        return date
    }
}
