import Testing
@testable import Queue

/// Numbers a job, a producer or a request may carry, at their extremes: nothing traps.
struct HostileValuesTests {
    @Test func jobFieldsBeyondExactIntegersAreIgnored() throws {
        let job = try #require(
            Job(
                id: "1", queue: "q",
                fields: [
                    "name": "n", "timestamp": "1e300", "atm": "9223372036854775807", "ats": "-9223372036854775808",
                    "processedOn": "inf", "delay": "nan", "priority": "18446744073709551616",
                ]))
        #expect(job.timestamp == 0)
        #expect(job.attemptsMade == 0)
        #expect(job.attemptsStarted == 0)
        #expect(job.processedOn == nil)
        #expect(job.delay == 0)
        #expect(job.priority == 0)
        #expect(Job.integer("1.7e12") == 1_700_000_000_000)
        #expect(Job.integer("9007199254740992") == 9_007_199_254_740_992)
        #expect(Job.integer("9007199254740993") == nil)
    }

    @Test func backoffNeverOverflows() {
        let exponential = Backoff.exponential(.milliseconds(1_000))
        #expect(exponential.delay(afterAttempt: Int.max, random: 0) == Backoff.maximumDelay)
        #expect(exponential.delay(afterAttempt: Int.min, random: 0) == 1_000)
        var huge = Backoff.fixed(.seconds(1))
        huge.delay = Int.max
        #expect(huge.delay(afterAttempt: 3, random: 0.5) == Backoff.maximumDelay)
        huge.delay = Int.min
        #expect(huge.delay(afterAttempt: 3) == 0)
        var jittered = Backoff.exponential(.milliseconds(1_000), jitter: .infinity)
        #expect(jittered.delay(afterAttempt: 2, random: 0) == 2_000)
        jittered.jitter = .nan
        #expect(jittered.delay(afterAttempt: 2, random: 1) == 2_000)
    }

    @Test func pageRangesClampWhateverTheOffset() {
        #expect(Queue.range(offset: Int.max, limit: Int.max) == (Queue.maximumOffset, Queue.maximumOffset + 999))
        #expect(Queue.range(offset: Int.min, limit: Int.min) == (0, 0))
        #expect(Queue.range(offset: 10, limit: 50) == (10, 59))
    }

    @Test func durationsSaturateInMilliseconds() {
        #expect(Duration.seconds(Int64.max).milliseconds == Int.max)
        #expect(Duration.seconds(Int64.min).milliseconds == Int.min)
        #expect(Duration.milliseconds(1_500).milliseconds == 1_500)
    }
}
