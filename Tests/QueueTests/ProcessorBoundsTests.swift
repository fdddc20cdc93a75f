import Foundation
import Redis
import Testing
import TestSupport
@testable import Queue

/// Timeouts and shutdown of a processor, with handlers that ignore cancellation as a call
/// blocked on a dead connection does: none of them may hold a slot, a lock or the shutdown.
@Suite struct ProcessorBoundsTests {
    struct Payload: Codable, Sendable { var n: Int }

    @Test func aTimedOutHandlerFreesItsSlotEvenWhenItIgnoresCancellation() async throws {
        try await QueueTesting.withQueue { queue in
            let gate = Gate()
            let stuck = try await queue.add("stuck", data: Payload(n: 1), options: JobOptions(attempts: 1, timeout: .milliseconds(300)))
            let next = try await queue.add("next", data: Payload(n: 2))
            let ran = Recorder<String>()
            try await QueueTesting.withProcessor(queue, options: ProcessorOptions(concurrency: 1)) { context in
                ran.append(context.job.name)
                if context.job.name == "stuck" { await gate.wait() }
                return nil
            } _: { (processor: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually { try await queue.state(of: next.id) == .completed })
                #expect(processor.runningJobs.isEmpty)
            }
            gate.open()
            #expect(ran.all == ["stuck", "next"])
            let failed = try #require(try await queue.job(stuck.id))
            #expect(try await queue.state(of: stuck.id) == .failed)
            #expect(failed.failedReason?.contains("timed out") == true)
        }
    }

    @Test func theProcessorsTimeoutAppliesWhenTheJobSetsNone() async throws {
        try await QueueTesting.withQueue { queue in
            let gate = Gate()
            let added = try await queue.add("once-stuck", data: Payload(n: 1), options: JobOptions(attempts: 2))
            let attempts = Recorder<Int>()
            let abandoned = Recorder<String>()
            let processor = QueueProcessor(
                queue: queue, options: ProcessorOptions(concurrency: 1, jobTimeout: .milliseconds(300)), logger: QueueTesting.logger,
                onAbandoned: { context, error in abandoned.append("\(context.job.id): \(error)") }
            ) { context in
                attempts.append(context.job.attemptsMade)
                if context.job.attemptsMade == 0 { await gate.wait() }
                return "\"done\""
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await processor.run() }
                #expect(try await QueueTesting.eventually { try await queue.state(of: added.id) == .completed })
                processor.stop()
                try await group.waitForAll()
            }
            gate.open()
            #expect(attempts.all == [0, 1])
            #expect(abandoned.all == ["\(added.id): job timed out after 0.3 seconds"])
        }
    }

    @Test func aStopRequestTakesNoNextJobNotEvenFromAFinishingOne() async throws {
        try await QueueTesting.withQueue { queue in
            let gate = Gate()
            let first = try await queue.add("first", data: Payload(n: 1))
            for n in 2...4 { _ = try await queue.add("later", data: Payload(n: n)) }
            let ran = Recorder<String>()
            let processor = QueueProcessor(queue: queue, options: ProcessorOptions(concurrency: 1), logger: QueueTesting.logger) { context in
                ran.append(context.job.id)
                await gate.wait()
                return nil
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await processor.run() }
                #expect(try await QueueTesting.eventually { processor.runningJobs == [first.id] })
                processor.stop()
                gate.open()
                try await group.waitForAll()
            }
            #expect(ran.all == [first.id])
            #expect(try await queue.state(of: first.id) == .completed)
            let counts = try await queue.counts()
            #expect(counts.waiting == 3)
            #expect(counts.active == 0)
        }
    }

    @Test func afterTheGracePeriodRunningJobsGoBackToWaitUncounted() async throws {
        try await QueueTesting.withQueue { queue in
            let gate = Gate()
            let added = try await queue.add("long", data: Payload(n: 1), options: JobOptions(attempts: 3))
            let options = ProcessorOptions(
                concurrency: 2, lockDuration: .seconds(30), lockRenewInterval: .milliseconds(100),
                gracefulShutdownTimeout: .seconds(1))
            let processor = QueueProcessor(queue: queue, options: options, logger: QueueTesting.logger) { _ in
                await gate.wait()
                return nil
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await processor.run() }
                #expect(try await QueueTesting.eventually { processor.runningJobs == [added.id] })
                let renewalsBefore = processor.lockRenewalCalls
                processor.stop()
                // run() returns although the handler never does.
                try await group.waitForAll()
                // One second of grace at one renewal per 100 ms: about ten calls, not a spin.
                #expect(processor.lockRenewalCalls - renewalsBefore <= 15)
            }
            gate.open()
            #expect(try await queue.state(of: added.id) == .waiting)
            let job = try #require(try await queue.job(added.id))
            #expect(job.attemptsMade == 0)
            #expect(try Int(fromRESP: await queue.redis.execute(.exists([queue.keys.lock(added.id)]))) == 0)
            // The next worker runs it.
            try await QueueTesting.withProcessor(queue) { _ in
                nil
            } _: { (_: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually { try await queue.state(of: added.id) == .completed })
            }
        }
    }
}
