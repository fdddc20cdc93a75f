import Domain
import Foundation
import Testing

/// `Retry-After` from servers we do not control: both forms, bounded, garbage ignored.
struct RetryAfterTests {
    @Test func secondsAndDatesWithinBounds() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == .zero)
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:50:07 GMT", now: now) == .seconds(30))
        // In the past: no wait. Beyond the ceiling: the ceiling.
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == .zero)
        #expect(RetryAfter.parse("99999999999999999999999", now: now, maximum: .seconds(600)) == .seconds(600))
        #expect(RetryAfter.parse("Mon, 06 Nov 2095 08:00:00 GMT", now: now, maximum: .seconds(600)) == .seconds(600))
    }

    @Test func garbageIsIgnored() {
        for header in [
            nil, "", "-5", "1.5", "soon", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST", String(repeating: "9", count: 100),
        ] as [String?] {
            #expect(RetryAfter.parse(header) == nil, "\(header ?? "nil")")
        }
    }
}
