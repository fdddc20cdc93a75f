import Testing
@testable import Queue

/// The one rule for "does this failed attempt run again", without I/O.
@Suite struct RetryDecisionTests {
    static func job(attemptsMade: Int, attempts: Int, deferredFailure: String? = nil) throws -> Job {
        var fields = ["name": "n", "atm": "\(attemptsMade)", "opts": #"{"attempts":\#(attempts)}"#]
        fields["defa"] = deferredFailure
        return try #require(Job(id: "1", queue: "q", fields: fields))
    }

    @Test(arguments: [
        (0, 1, false, false), (0, 3, false, true), (1, 3, false, true), (2, 3, false, false), (5, 3, false, false),
        (0, 3, true, false),
    ])
    func attemptsLeftAndRecoverableMeanRetry(attemptsMade: Int, attempts: Int, unrecoverable: Bool, retries: Bool) throws {
        let job = try Self.job(attemptsMade: attemptsMade, attempts: attempts)
        #expect(job.willRetry(afterFailureUnrecoverable: unrecoverable) == retries)
    }

    @Test func aDeferredFailureNeverRetries() throws {
        let job = try Self.job(attemptsMade: 0, attempts: 5, deferredFailure: "parent failed")
        #expect(!job.willRetry(afterFailureUnrecoverable: false))
    }

    @Test func extremeCountsDoNotTrap() throws {
        let job = try Self.job(attemptsMade: 1 << 53, attempts: 100_000)
        #expect(!job.willRetry(afterFailureUnrecoverable: false))
    }
}
