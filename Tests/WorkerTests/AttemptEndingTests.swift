import Queue
import Testing
@testable import Worker

/// How middlewares (metrics, attempt logs) classify an attempt's ending: waits that use no
/// attempt are `delayed`, not retries.
struct AttemptEndingTests {
    @Test func waitsThatUseNoAttemptAreDelays() throws {
        let job = try #require(Job(id: "j", queue: "q", fields: ["name": "n", "opts": #"{"attempts":3}"#]))
        #expect(AttemptEnding(job, error: nil) == .completed)
        #expect(AttemptEnding(job, error: DelayJobError(delay: .seconds(1), reason: "later")) == .delayed)
        #expect(AttemptEnding(job, error: RateLimitedError(retryAfter: .seconds(1), reason: "429")) == .delayed)
        #expect(AttemptEnding(job, error: WaitForChildren()) == .delayed)
        #expect(AttemptEnding(job, error: UnrecoverableJobError("no")) == .failed)
        #expect(AttemptEnding(job, error: CancellationError()) == .retrying)
    }
}
