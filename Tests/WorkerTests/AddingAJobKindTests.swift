import Domain
import Foundation
import Jobs
import Logging
import Queue
import Redis
import Store
import Testing
import TestSupport
import Worker

/// The README's "Adding a job kind" recipe, followed to the letter: a payload type adopting
/// `TenantJob`, a handler type, one registration line — then run by a real worker.
@Suite struct AddingAJobKindTests {
    // 1. The payload: its queue, name, policy and tenant.
    struct Ping: TenantJob, Equatable {
        static let queue = "toy-pings"
        static let name = "ping"
        static var defaultOptions: JobOptions { JobOptions(attempts: 2, removeOnComplete: .last(100)) }
        var tenantID: TenantID
        var word: String
    }

    struct PingError: Error {
        let word: String
    }

    // 2. The handler: the decoded payload in, one outcome out.
    struct PingHandler: JobHandler {
        func run(_ ping: Ping, in run: JobRun) async throws -> JobOutcome {
            guard ping.word != "refuse" else { return .failed(reason: "asked to refuse", retryable: false) }
            // A thrown error is a failed attempt too, retried while attempts remain.
            guard ping.word != "throw" else { throw PingError(word: ping.word) }
            return .completed(result: #"{"echo":"\#(ping.word)","tenant":"\#(run.tenant)"}"#)
        }
    }

    @Test func aToyKindRunsThroughTheWorkerAndIsRecorded() async throws {
        try await TestDatabase.with { database in
            let tenant = try await PropertyImportJobTests.tenant(database)
            let logger = Logger(label: "test.toy")
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
            // 3. One registration line: the handler in the worker's list.
            let service = WorkerService(
                configuration: WorkerConfiguration(
                    queues: [Ping.queue: 2], processor: .init(lockDuration: .seconds(10)), workerID: "toy-worker",
                    queueOptions: QueueOptions(prefix: "t\(UUID().uuidString.prefix(8).lowercased())")),
                redis: redis, database: database.runtime, handlers: [PingHandler()], logger: logger)
            let processors = try service.processors()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await redis.run() }
                for processor in processors { group.addTask { try await processor.run() } }
                defer {
                    for processor in processors { processor.stop() }
                    group.cancelAll()
                }
                let queue = processors[0].queue
                // Producers add the payload; the kind's options come with it.
                let hello = try await queue.add(Ping(tenantID: tenant, word: "hello")).id
                let refused = try await queue.add(Ping(tenantID: tenant, word: "refuse")).id
                let thrown = try await queue.add(Ping(tenantID: tenant, word: "throw")).id
                #expect(try await PropertyImportJobTests.finished(queue, hello) == .completed)
                #expect(try await PropertyImportJobTests.finished(queue, refused) == .failed)
                #expect(try await PropertyImportJobTests.finished(queue, thrown) == .failed)
                // Retried once (two attempts), the error kept as thrown in the stack trace.
                let failedThrow = try #require(try await queue.job(thrown))
                #expect(failedThrow.attemptsMade == 2)
                #expect(failedThrow.stacktrace.last?.contains("PingError") == true)

                let done = try #require(try await queue.job(hello))
                #expect(done.returnValue == #"{"echo":"hello","tenant":"\#(tenant)"}"#)
                #expect(done.options.attempts == 2)
                #expect(done.options.removeOnComplete == .last(100))
                #expect(done.tenantID == tenant.description)
                #expect(try await queue.job(refused)?.attemptsMade == 1)
                let (helloRow, refusedRow) = try await database.runtime.withTenant(tenant) { tx in
                    (try await tx.jobResult(queue: Ping.queue, jobID: hello), try await tx.jobResult(queue: Ping.queue, jobID: refused))
                }
                #expect(helloRow?.state == .completed)
                #expect(refusedRow?.state == .failed)
                #expect(refusedRow?.error == "asked to refuse")
            }
        }
    }
}
