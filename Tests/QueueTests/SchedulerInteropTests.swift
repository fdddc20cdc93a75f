import Foundation
import Testing
import TestSupport
@testable import Queue

/// Job schedulers shared with the real Python `bullmq` 3.4.4 (Tests/Interop/bullmq_peer.py): a
/// scheduler Python upserts runs on our workers, and ours runs on Python's and is listed by it.
struct SchedulerInteropTests {
    typealias JSONValue = BullMQInteropTests.JSONValue

    @Test(arguments: [
        (#"{"every": 300, "limit": 3}"#, 3),
        (#"{"pattern": "*/1 * * * * *", "tz": "Europe/Paris", "limit": 2}"#, 2),
    ])
    func aPythonSchedulerRunsOnOurWorkers(repeatOptions: String, runs: Int) async throws {
        let url = try TestEnvironment.redisURL()
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let first = try await BullMQPeer.run(["schedule", url, queue.name, "py", repeatOptions, "tick", #"{"n": 1}"#], as: String?.self)
            #expect(first?.hasPrefix("repeat:py:") == true)
            let ran = Recorder<String>()
            try await QueueTesting.withProcessor(queue) { context in
                ran.append(context.job.id)
                return "null"
            } _: { (_: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually(timeout: .seconds(60)) { try await queue.counts().completed == runs })
            }
            // The limit ended it: nothing pending, and Python counts the runs we created.
            let counts = try await queue.counts()
            #expect(counts.waiting == 0 && counts.delayed == 0)
            #expect(Set(ran.all).count == runs)
            #expect(ran.all.allSatisfy { $0.hasPrefix("repeat:py:") })
            let listed = try await BullMQPeer.run(["schedulers", url, queue.name], as: [[String: JSONValue]].self)
            #expect(listed.count == 1)
            #expect(listed.first?["iterationCount"] == .number(Double(runs)))
            #expect(try await queue.jobScheduler("py")?.iterationCount == runs)
        }
    }

    @Test func ourSchedulerRunsOnPythonWorkersAndPythonListsIt() async throws {
        let url = try TestEnvironment.redisURL()
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let template = try NewJob(name: "tick", data: ["n": 7])
            _ = try await queue.upsertJobScheduler("ours", schedule: try JobSchedule.every(.milliseconds(300), limit: 3), template: template)
            let ran = try await BullMQPeer.run(["work", url, queue.name, "3", "60"], as: [String].self)
            #expect(ran.count == 3)
            #expect(Set(ran).count == 3 && ran.allSatisfy { $0.hasPrefix("repeat:ours:") })
            let counts = try await queue.counts()
            #expect(counts.completed == 3 && counts.waiting == 0 && counts.delayed == 0)

            let listed = try await BullMQPeer.run(["schedulers", url, queue.name], as: [[String: JSONValue]].self)
            let entry = try #require(listed.first)
            #expect(entry["key"] == .string("ours"))
            #expect(entry["name"] == .string("tick"))
            #expect(entry["every"] == .number(300))
            #expect(entry["limit"] == .number(3))
            #expect(entry["iterationCount"] == .number(3))
            #expect(entry["template"]?["data"]?["n"] == .number(7))
        }
    }
}
