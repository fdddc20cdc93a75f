import Foundation
import Redis
import Testing
import TestSupport
@testable import Queue

/// The Swift queue and the real Python `bullmq` 3.4.4 on one Redis, both directions.
@Suite struct BullMQInteropTests {
    struct Inspection: Decodable {
        struct JobInfo: Decodable {
            let name: String
            let state: String
            let returnvalue: JSONValue?
            let failedReason: String?
            let attemptsMade: Int
        }
        let counts: [String: Int]
        let jobs: [String: JobInfo?]
        let paused: Bool
    }

    /// Any JSON value, for return values written by either side.
    enum JSONValue: Decodable, Equatable {
        case object([String: JSONValue]), array([JSONValue]), string(String), number(Double), bool(Bool), null
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([JSONValue].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: JSONValue].self))
            }
        }
        subscript(key: String) -> JSONValue? {
            if case .object(let object) = self { return object[key] }
            return nil
        }
    }

    struct Payload: Codable, Sendable { var n: Int }

    static func spec(_ jobs: [(name: String, n: Int, opts: [String: Any])]) throws -> String {
        let list: [[String: Any]] = jobs.map { ["name": $0.name, "data": ["n": $0.n], "opts": $0.opts] }
        return String(decoding: try JSONSerialization.data(withJSONObject: list), as: UTF8.self)
    }

    @Test func pythonProducerSwiftConsumer() async throws {
        let url = try TestEnvironment.redisURL()
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let ids = try await BullMQPeer.run(
                [
                    "add", url, queue.name,
                    try Self.spec([
                        ("plain", 1, [:]), ("plain", 2, [:]), ("plain", 3, [:]),
                        ("later", 4, ["delay": 200]),
                        ("urgent", 5, ["priority": 1]), ("normal", 6, ["priority": 5]),
                        ("flaky", 7, ["attempts": 3, "backoff": ["type": "fixed", "delay": 50]]),
                    ]),
                ], as: [String].self)
            #expect(ids.count == 7)
            try await QueueTesting.withProcessor(queue, options: .init(concurrency: 4)) { context in
                let payload = try context.job.decodeData(Payload.self)
                if context.job.name == "flaky" { throw NSError(domain: "swift", code: 1, userInfo: [NSLocalizedDescriptionKey: "swift says no"]) }
                return #"{"by":"swift","n":\#(payload.n)}"#
            } _: { (_: QueueProcessor) async throws in
                #expect(
                    try await QueueTesting.eventually {
                        let counts = try await queue.counts()
                        return counts.completed == 6 && counts.failed == 1
                    })
            }
            let seen = try await BullMQPeer.run(
                ["inspect", url, queue.name, String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)], as: Inspection.self)
            #expect(seen.counts["completed"] == 6)
            #expect(seen.counts["failed"] == 1)
            for id in ids.prefix(6) {
                let job = try #require(seen.jobs[id] ?? nil)
                #expect(job.state == "completed")
                #expect(job.returnvalue?["by"] == .string("swift"))
            }
            let flaky = try #require(seen.jobs[ids[6]] ?? nil)
            #expect(flaky.state == "failed")
            #expect(flaky.failedReason == "swift says no")
            #expect(flaky.attemptsMade == 3)
        }
    }

    @Test func swiftProducerPythonWorker() async throws {
        let url = try TestEnvironment.redisURL()
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            var ids: [String] = []
            for n in 0..<4 { ids.append(try await queue.add("work", data: Payload(n: n)).id) }
            ids.append(try await queue.add("prio", data: Payload(n: 10), options: .init(priority: 2)).id)
            ids.append(try await queue.add("delayed", data: Payload(n: 11), options: .init(delay: .milliseconds(100))).id)
            ids.append(try await queue.add("fail", data: Payload(n: 12), options: .init(attempts: 2, backoff: .fixed(.milliseconds(50)))).id)
            let ran = try await BullMQPeer.run(["work", url, queue.name, "7", "60"], as: [String].self)
            #expect(Set(ran) == Set(ids))
            let counts = try await queue.counts()
            #expect(counts.completed == 6)
            #expect(counts.failed == 1)
            for id in ids.prefix(6) {
                let job = try #require(try await queue.job(id))
                #expect(job.returnValue?.contains(#""by": "python""#) == true || job.returnValue?.contains(#""by":"python""#) == true)
                #expect(job.attemptsMade == 1)
            }
            let failed = try #require(try await queue.job(ids[6]))
            #expect(failed.failedReason == "python says no")
            #expect(failed.attemptsMade == 2)
        }
    }

    @Test func swiftAndPythonConsumersRunEachJobExactlyOnce() async throws {
        let url = try TestEnvironment.redisURL()
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let total = 2_000
            _ = try await queue.addBulk((0..<total).map { try NewJob(name: "mixed", data: Payload(n: $0)) })
            let python = try BullMQPeer.start(["work", url, queue.name, "\(total)", "120", "20"])
            let swiftRan = Recorder<String>()
            try await QueueTesting.withProcessor(queue, options: .init(concurrency: 20)) { context in
                swiftRan.append(context.job.id)
                return #"{"by":"swift"}"#
            } _: { (_: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually(timeout: .seconds(120)) { try await queue.counts().completed == total })
            }
            let pythonRan = try await BullMQPeer.output(of: python, as: [String].self)
            let swiftIDs = swiftRan.all
            #expect(swiftIDs.count + pythonRan.count == total, "swift \(swiftIDs.count) + python \(pythonRan.count)")
            #expect(Set(swiftIDs).isDisjoint(with: pythonRan))
            #expect(Set(swiftIDs).union(pythonRan).count == total)
            #expect(!swiftIDs.isEmpty && !pythonRan.isEmpty, "both consumers should have taken part")
            // Every job was started exactly once.
            let jobs = try await queue.jobs(ids: (1...total).map(String.init))
            #expect(jobs.count == total)
            #expect(jobs.allSatisfy { $0.attemptsStarted == 1 && $0.attemptsMade == 1 })
        }
    }

    @Test func pythonQueueEventsReceivesOurEvents() async throws {
        let url = try TestEnvironment.redisURL()
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let listener = try BullMQPeer.start(["events", url, queue.name, "3", "60"])
            try await QueueTesting.withProcessor(queue) { context in
                #"{"n":\#(try context.job.decodeData(Payload.self).n)}"#
            } _: { (_: QueueProcessor) async throws in
                for n in 0..<3 { try await queue.add("evented", data: Payload(n: n)) }
                #expect(try await QueueTesting.eventually { try await queue.counts().completed == 3 })
            }
            struct Completed: Decodable { let jobId: String; let returnvalue: JSONValue? }
            let events = try await BullMQPeer.output(of: listener, as: [Completed].self)
            #expect(events.map(\.jobId).sorted() == ["1", "2", "3"])
            let values = events.compactMap { $0.returnvalue?["n"] }
            #expect(values.contains(.number(2)))
        }
    }

    @Test func aPauseFromEitherSideHoldsTheOther() async throws {
        let url = try TestEnvironment.redisURL()
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            // Python pauses: our fetch hands out nothing.
            _ = try await BullMQPeer.run(["pause", url, queue.name], as: [String: Bool].self)
            let added = try await queue.add("held", data: Payload(n: 1))
            #expect(try await queue.isPaused())
            #expect(try await queue.fetch(QueueTesting.fetch).job == nil)
            _ = try await BullMQPeer.run(["resume", url, queue.name], as: [String: Bool].self)
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            #expect(job.id == added.id)
            _ = try await queue.complete(job, token: QueueTesting.fetch.token)

            // We pause: a Python worker runs nothing until we resume.
            try await queue.pause()
            let second = try await queue.add("held", data: Payload(n: 2))
            let python = try BullMQPeer.start(["work", url, queue.name, "2", "60"])
            let seen = try await BullMQPeer.run(["inspect", url, queue.name, "[\"\(second.id)\"]"], as: Inspection.self)
            #expect(seen.paused)
            #expect(try await queue.state(of: second.id) == .waiting)
            try await queue.resume()
            let ran = try await BullMQPeer.output(of: python, as: [String].self)
            #expect(ran == [second.id])
        }
    }
}
