import Foundation
import Testing
import TestSupport
@testable import Queue

/// A fair queue and the real Python `bullmq` 3.4.4: its producers' jobs (no tenant) take turns as
/// one more tenant; its workers see only those jobs, never the tenants' sets.
@Suite struct FairQueueInteropTests {
    @Test func aPythonProducersJobsTakeTurnsWithTheTenants() async throws {
        let url = try TestEnvironment.redisURL()
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            try await queue.makeFair()
            var backlog: [String] = []
            for _ in 0..<20 { backlog.append(try await queue.add("tenant-job", json: "{}", options: .init(tenantID: "ta")).id) }
            let python = try await BullMQPeer.run(
                [
                    "add", url, queue.name,
                    try BullMQInteropTests.spec([("plain", 1, [:]), ("plain", 2, [:]), ("urgent", 3, ["priority": 1])]),
                ], as: [String].self)
            #expect(python.count == 3)
            let order = Recorder<String>()
            try await QueueTesting.withProcessor(queue, options: .init(concurrency: 1)) { context in
                order.append(context.job.id)
                return #"{"by":"swift"}"#
            } _: { (_: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually { try await queue.counts().completed == 23 })
            }
            // One job each in turn: the Python jobs are done within the first six, not after A's 20.
            let started = order.all
            let firstSix = Set(started.prefix(6))
            #expect(Set(python).isSubset(of: firstSix), "start order: \(started)")
            // Within the tenant-less turn, BullMQ's order holds: wait first, then prioritized.
            #expect(started.filter { python.contains($0) } == python)
            #expect(started.filter { backlog.contains($0) } == backlog)
            let seen = try await BullMQPeer.run(
                ["inspect", url, queue.name, String(decoding: try JSONEncoder().encode(python), as: UTF8.self)],
                as: BullMQInteropTests.Inspection.self)
            for id in python { #expect(seen.jobs[id]??.state == "completed") }
        }
    }

    @Test func aPythonWorkerSeesOnlyTheJobsWithoutATenant() async throws {
        let url = try TestEnvironment.redisURL()
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            try await queue.makeFair()
            var tenantJobs: [String] = []
            for _ in 0..<3 { tenantJobs.append(try await queue.add("work", json: #"{"n":1}"#, options: .init(tenantID: "ta")).id) }
            let plain = [
                try await queue.add("work", json: #"{"n":2}"#).id, try await queue.add("work", json: #"{"n":3}"#).id,
            ]
            let ran = try await BullMQPeer.run(["work", url, queue.name, "2", "60"], as: [String].self)
            #expect(Set(ran) == Set(plain))
            for id in tenantJobs { #expect(try await queue.state(of: id) == .waiting) }
            #expect(try await queue.fairTenant("ta")?.queued == 3)
        }
    }
}
