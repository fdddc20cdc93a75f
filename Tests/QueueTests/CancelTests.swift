import Foundation
import Testing
import TestSupport
@testable import Queue

/// Cancelling any job: removed before it starts, cancelled while it runs (the handler sees Swift
/// cancellation), refused once finished.
struct CancelTests {
    struct Payload: Codable, Sendable { let n: Int }

    @Test func pendingJobsAreRemovedAtOnce() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let waiting = try await queue.add("w", data: Payload(n: 1), options: .init(tenantID: "t1"))
            let delayed = try await queue.add("d", data: Payload(n: 2), options: .init(delay: .seconds(60)))
            let prioritized = try await queue.add("p", data: Payload(n: 3), options: .init(priority: 3))
            #expect(try await queue.cancel(waiting.id) == .removed(from: .waiting))
            #expect(try await queue.cancel(delayed.id) == .removed(from: .delayed))
            #expect(try await queue.cancel(prioritized.id) == .removed(from: .prioritized))
            let counts = try await queue.counts()
            #expect(counts.waiting == 0 && counts.delayed == 0 && counts.prioritized == 0)
            #expect(try await queue.job(waiting.id) == nil)
            #expect(try await queue.jobCount(tenant: "t1") == 0)
            // Gone: a second cancel finds nothing.
            let error = await #expect(throws: QueueError.self) { try await queue.cancel(waiting.id) }
            #expect(error?.code == .jobNotFound)
        }
    }

    @Test func aRunningJobsHandlerIsCancelledAndTheJobFailsWithoutRetry() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let added = try await queue.add("long", data: Payload(n: 1), options: .init(attempts: 3))
            let sawCancellation = Recorder<Bool>()
            try await QueueTesting.withProcessor(queue, options: .init(cancelCheckInterval: .milliseconds(100))) { _ in
                do {
                    try await Task.sleep(for: .seconds(120))
                } catch is CancellationError {
                    sawCancellation.append(true)
                    throw CancellationError()
                }
                return "null"
            } _: { (processor: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually { processor.runningJobs == [added.id] })
                #expect(try await queue.cancel(added.id) == .requested)
                #expect(try await QueueTesting.eventually(timeout: .seconds(30)) { try await queue.state(of: added.id) == .failed })
            }
            let job = try #require(try await queue.job(added.id))
            #expect(job.failedReason == "cancelled")
            #expect(job.attemptsMade == 1)
            #expect(try await QueueTesting.eventually { sawCancellation.all == [true] })
            // Finished: cancelling again is refused.
            let error = await #expect(throws: QueueError.self) { try await queue.cancel(added.id) }
            #expect(error?.code == .wrongState)
        }
    }

    @Test func aFlaggedJobGivenBackFailsWhenNextTakenWithoutRunning() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let added = try await queue.add("flagged", data: Payload(n: 1), options: .init(attempts: 3))
            // Taken by a worker that then gives it back (shutdown) after the cancel request.
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            #expect(try await queue.cancel(added.id) == .requested)
            try await queue.release(job, token: QueueTesting.fetch.token)
            let ran = Recorder<String>()
            try await QueueTesting.withProcessor(queue) { context in
                ran.append(context.job.id)
                return "null"
            } _: { (_: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually { try await queue.state(of: added.id) == .failed })
            }
            #expect(ran.all.isEmpty)
            #expect(try await queue.job(added.id)?.failedReason == "cancelled")
        }
    }

    @Test func aSchedulersNextRunIsRefusedAndAnAdminRetryClearsTheFlag() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            // Removing the scheduler's pending run would stop the scheduler: refused.
            let run = try await queue.upsertJobScheduler(
                "s", schedule: try JobSchedule.every(.seconds(60), startDate: 4_000_000_000_000),
                template: try NewJob(name: "n", data: Payload(n: 0)))
            let refused = await #expect(throws: QueueError.self) { try await queue.cancel(run.jobID) }
            #expect(refused?.code == .wrongState)
            #expect(refused?.message.contains("scheduler") == true)
            #expect(try await queue.counts().delayed == 1)

            // A cancelled job that an admin retries runs normally again.
            let added = try await queue.add("again", data: Payload(n: 1), options: .init(attempts: 1))
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            #expect(job.id == added.id)
            #expect(try await queue.cancel(added.id) == .requested)
            _ = try await queue.fail(job, token: QueueTesting.fetch.token, reason: "cancelled", unrecoverable: true)
            try await queue.retry(added.id)
            #expect(try await queue.job(added.id)?.cancelRequested == false)
        }
    }
}
