#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// An HTTP `Retry-After` header (RFC 9110 §10.2.3): a number of seconds, or an HTTP date.
///
/// The header comes from servers we do not control (a tenant's webhook, a model provider), so
/// the wait it asks for is bounded: never negative, at most `maximum`.
public enum RetryAfter {
    /// The wait the header asks for at `now`, between zero and `maximum`; `nil` when it is
    /// missing or reads as neither form.
    public static func parse(_ header: String?, now: Date = Date(), maximum: Duration = .seconds(3_600)) -> Duration? {
        guard let header, header.utf8.count <= 64 else { return nil }
        let text = String(header.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
        guard !text.isEmpty else { return nil }
        let ceiling = Double(maximum.components.seconds)
        if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Digits only: any length is safe, a value too large for Int is simply the ceiling.
            return .seconds(Int64(min(Double(text) ?? ceiling, ceiling)))
        }
        guard let date = httpDate(text) else { return nil }
        let seconds = min(max(date.timeIntervalSince(now), 0), ceiling)
        return .milliseconds(Int64((seconds * 1_000).rounded()))
    }

    /// An IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (the form servers must send).
    static func httpDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT", let day = Int(parts[1]), (1...31).contains(day),
            let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3]), (1970...9999).contains(year)
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3, (0..<24).contains(time[0]), (0..<60).contains(time[1]), (0..<61).contains(time[2]) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT") ?? calendar.timeZone
        let components = DateComponents(year: year, month: month + 1, day: day, hour: time[0], minute: time[1], second: min(time[2], 59))
        return calendar.date(from: components)
    }
}
