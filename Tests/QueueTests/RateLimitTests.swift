import Foundation
import Redis
import Testing
import TestSupport
@testable import Queue

/// A queue-wide hold: asked for by a handler (`RateLimitedError`), by an admin, or by a BullMQ
/// client, it stops every fetch until it expires, and the job that asked keeps its attempts.
struct RateLimitTests {
    struct Payload: Codable, Sendable { let n: Int }

    @Test func aHoldStopsFetchesUntilItIsLifted() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            try await queue.add("held", data: Payload(n: 1))
            try await queue.rateLimit(for: .seconds(30))
            guard case .rateLimited(let remaining) = try await queue.fetch(QueueTesting.fetch) else {
                Issue.record("a held queue handed out a job")
                return
            }
            #expect(remaining > .seconds(20) && remaining <= .seconds(30))
            // A shorter hold does not cut the longer one short.
            try await queue.rateLimit(for: .seconds(1))
            #expect(try await queue.rateLimitRemaining().map { $0 > .seconds(20) } == true)
            try await queue.redis.execute(.del([queue.keys.limiter]))
            #expect(try await queue.fetch(QueueTesting.fetch).job != nil)
            // A limiter that only counts starts (a window of a global rate limit) is not a hold:
            // a hold asked for replaces it, even a shorter one.
            try await queue.redis.execute(.set(queue.keys.limiter, 3))
            try await queue.redis.execute(RedisCommand("PEXPIRE", [.string(queue.keys.limiter), 60_000]))
            try await queue.rateLimit(for: .seconds(20))
            #expect(try await queue.limits().heldFor.map { $0 <= .seconds(20) } == true)
        }
    }

    @Test func aRateLimitedJobGoesBackWithoutUsingAnAttempt() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let added = try await queue.add("limited", data: Payload(n: 1), options: .init(attempts: 1))
            let runs = Recorder<String>()
            try await QueueTesting.withProcessor(queue) { context in
                runs.append(context.job.id)
                if runs.all.count == 1 { throw RateLimitedError(retryAfter: .milliseconds(300), reason: "provider said 429") }
                return "null"
            } _: { (_: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually { try await queue.counts().completed == 1 })
            }
            // Two runs, one counted attempt: with attempts 1 it still completed.
            #expect(runs.all == [added.id, added.id])
            let job = try #require(try await queue.job(added.id))
            #expect(job.attemptsMade == 1 && job.attemptsStarted == 2)
        }
    }

    @Test func aHoldWrittenByBullMQHoldsOurWorkers() async throws {
        let url = try TestEnvironment.redisURL()
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            try await queue.add("held", data: Payload(n: 1))
            #expect(try await BullMQPeer.run(["ratelimit", url, queue.name, "30000"], as: Bool.self))
            guard case .rateLimited = try await queue.fetch(QueueTesting.fetch) else {
                Issue.record("BullMQ's hold did not stop our fetch")
                return
            }
        }
    }
}
