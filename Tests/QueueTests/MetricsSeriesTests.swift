import Testing
@testable import Queue

/// The per-minute series as admins read it: the last complete minute first, even when no job has
/// finished for a while (the finish script only writes a minute when a later finish comes).
struct MetricsSeriesTests {
    let minute = 60_000
    let start = 1_796_040_000_000  // a minute boundary

    @Test func withinTheRecordedMinuteTheStoredSeriesIsCurrent() {
        let series = Queue.perMinute(
            stored: [4, 7], count: 20, minuteStart: start, countAtMinuteStart: 18, now: start + 30_000, minutes: 3)
        #expect(series == [4, 7])
    }

    @Test func theMinuteAfterTheRecordedOneCountsItsFinishes() {
        let series = Queue.perMinute(
            stored: [4, 7], count: 20, minuteStart: start, countAtMinuteStart: 18, now: start + minute + 5_000, minutes: 3)
        #expect(series == [2, 4, 7])
    }

    @Test func aQuietSpellReadsAsIdleMinutes() {
        // Two failures, then 24 quiet minutes: the last minute shows none.
        let series = Queue.perMinute(
            stored: [0], count: 2, minuteStart: start, countAtMinuteStart: 0, now: start + 24 * minute + 1, minutes: 1)
        #expect(series == [0])
        let hour = Queue.perMinute(
            stored: [0], count: 2, minuteStart: start, countAtMinuteStart: 0, now: start + 24 * minute + 1, minutes: 60)
        #expect(hour.count == 25)
        #expect(hour[23] == 2)
        #expect(hour.reduce(0, +) == 2)
    }

    @Test func hostileStoredValuesDoNotTrap() {
        #expect(Queue.perMinute(stored: [], count: 0, minuteStart: Int.min, countAtMinuteStart: 0, now: Int.max, minutes: 5).count <= 5)
        #expect(Queue.perMinute(stored: [1], count: Int.min, minuteStart: Int.max, countAtMinuteStart: Int.max, now: 0, minutes: 5) == [1])
        #expect(Queue.perMinute(stored: [], count: 5, minuteStart: 0, countAtMinuteStart: Int.max, now: Int.max, minutes: 3) == [0, 0, 0])
        #expect(Queue.perMinute(stored: [], count: Int.min, minuteStart: 0, countAtMinuteStart: Int.max, now: 120_000, minutes: 3) == [0, 0])
    }
}
