import Foundation
import Testing
import TestSupport
@testable import Queue

/// Flows on real Redis: a tree added all at once across two queues; parents run after their
/// children and read their values; each failure policy; a taken id refuses the whole flow.
struct FlowTests {
    /// A parent queue (the test's) and a child queue of the same prefix, both deleted afterwards.
    static func withQueues(_ body: @Sendable (Queue, Queue) async throws -> Void) async throws {
        try await QueueTesting.withQueue { (parents: Queue) async throws in
            let children = try Queue(name: parents.name + "-c", redis: parents.redis, options: parents.options, logger: QueueTesting.logger)
            do {
                try await body(parents, children)
            } catch {
                try? await QueueTesting.deleteAll(children)
                throw error
            }
            try await QueueTesting.deleteAll(children)
        }
    }

    static func leaf(_ queue: Queue, _ name: String, n: Int, _ policy: FlowJob.ParentPolicy = .waitForChild, attempts: Int = 1) -> FlowJob {
        FlowJob(queue: queue.name, job: NewJob(name: name, json: #"{"n":\#(n)}"#, options: .init(attempts: attempts)), onFailure: policy)
    }

    /// Children return n; "fail" children throw; parents return the sum of their children's values.
    static func handler(_ started: Recorder<String>) -> QueueProcessor.Handler {
        { context in
            started.append(context.job.id)
            if context.job.name == "fail" { throw UnrecoverableJobError("child says no") }
            let values = try await context.queue.childrenValues(of: context.job.id)
            if !values.isEmpty || context.job.name == "parent" {
                let sum = values.values.compactMap { Int($0) }.reduce(0, +)
                return String(sum)
            }
            struct Data: Decodable { let n: Int }
            return String(try context.job.decodeData(Data.self).n)
        }
    }

    @Test func parentsRunAfterTheirChildrenAcrossQueuesAndReadTheirValues() async throws {
        try await Self.withQueues { parents, children in
            // root (parents) ← c1, c2 (children), middle (children) ← g1, g2 (parents queue)
            let middle = FlowJob(
                queue: children.name, job: NewJob(name: "parent", json: "{}"),
                children: [Self.leaf(parents, "leaf", n: 10), Self.leaf(parents, "leaf", n: 20)])
            let root = FlowJob(
                queue: parents.name, job: NewJob(name: "parent", json: "{}", options: .init(jobID: "root", tenantID: "t1")),
                children: [Self.leaf(children, "leaf", n: 1), Self.leaf(children, "leaf", n: 2), middle])
            let added = try await parents.addFlow(root)
            #expect(added.jobID == "root" && added.children.count == 3 && added.children[2].children.count == 2)
            let middleID = added.children[2].jobID
            #expect(try await parents.state(of: "root") == .waitingChildren)
            #expect(try await children.state(of: middleID) == .waitingChildren)
            #expect(try await children.state(of: added.children[0].jobID) == .waiting)
            #expect(try await parents.pendingChildren(of: "root").count == 3)
            #expect(try await parents.counts(tenant: "t1").waitingChildren == 1)
            let stored = try #require(try await children.job(added.children[0].jobID))
            #expect(stored.parent == JobParent(id: "root", queueKey: parents.keys.base.dropLast().description))

            let started = Recorder<String>()
            try await QueueTesting.withProcessor(children, handler: Self.handler(started)) { (_: QueueProcessor) async throws in
                try await QueueTesting.withProcessor(parents, handler: Self.handler(started)) { (_: QueueProcessor) async throws in
                    #expect(try await QueueTesting.eventually { try await parents.state(of: "root") == .completed })
                }
            }
            // 1 + 2 + (10 + 20)
            #expect(try await parents.job("root")?.returnValue == "33")
            let order = started.all
            #expect(order.last == "root")
            #expect(order.firstIndex(of: middleID)! > order.firstIndex(of: added.children[2].children[0].jobID)!)
            let values = try await parents.childrenValues(of: "root")
            #expect(values[children.keys.job(middleID)] == "30")
            #expect(values.count == 3)
            #expect(try await parents.counts(tenant: "t1").completed == 1)
        }
    }

    @Test(arguments: FlowJob.ParentPolicy.allCases)
    func aFailedChildDoesToItsParentWhatItsPolicySays(policy: FlowJob.ParentPolicy) async throws {
        try await Self.withQueues { parents, children in
            // One child fails for good; its sibling completes.
            let root = FlowJob(
                queue: parents.name, job: NewJob(name: "parent", json: "{}", options: .init(jobID: "p")),
                children: [Self.leaf(children, "fail", n: 0, policy), Self.leaf(children, "leaf", n: 5)])
            let added = try await parents.addFlow(root)
            let failedKey = children.keys.job(added.children[0].jobID)
            let okKey = children.keys.job(added.children[1].jobID)
            let started = Recorder<String>()
            try await QueueTesting.withProcessor(children, handler: Self.handler(started)) { (_: QueueProcessor) async throws in
                #expect(
                    try await QueueTesting.eventually {
                        let counts = try await children.counts()
                        return counts.failed == 1 && counts.completed == 1
                    })
                try await QueueTesting.withProcessor(parents, handler: Self.handler(started)) { (_: QueueProcessor) async throws in
                    switch policy {
                    case .waitForChild:
                        // The parent keeps waiting on the failed child.
                        #expect(try await parents.pendingChildren(of: "p") == [failedKey])
                        #expect(try await parents.state(of: "p") == .waitingChildren)
                    case .failParent:
                        #expect(try await QueueTesting.eventually { try await parents.state(of: "p") == .failed })
                        #expect(try await parents.job("p")?.failedReason == "child \(failedKey) failed")
                        #expect(!started.all.contains("p"))
                    case .continueParent, .ignore, .remove:
                        #expect(try await QueueTesting.eventually { try await parents.state(of: "p") == .completed })
                        #expect(try await parents.childrenValues(of: "p") == [okKey: "5"])
                        let failed = try await parents.failedChildren(of: "p")
                        #expect(failed == (policy == .remove ? [:] : [failedKey: "child says no"]))
                    }
                }
            }
        }
    }

    @Test func aParentWithAChildPendingCannotComplete() async throws {
        try await Self.withQueues { parents, children in
            // continueParent releases the parent while its sibling is still delayed.
            let root = FlowJob(
                queue: parents.name, job: NewJob(name: "parent", json: "{}", options: .init(jobID: "p")),
                children: [
                    Self.leaf(children, "fail", n: 0, .continueParent),
                    FlowJob(queue: children.name, job: NewJob(name: "leaf", json: #"{"n":1}"#, options: .init(delay: .seconds(3_600)))),
                ])
            let added = try await parents.addFlow(root)
            let failing = try #require(try await children.fetch(QueueTesting.fetch).job)
            #expect(failing.id == added.children[0].jobID)
            _ = try await children.fail(failing, token: QueueTesting.fetch.token, reason: "no", unrecoverable: true)
            #expect(try await parents.state(of: "p") == .waiting)
            let parent = try #require(try await parents.fetch(QueueTesting.fetch).job)
            await #expect(throws: QueueError.self) {
                try await parents.complete(parent, token: QueueTesting.fetch.token, returnValue: "null")
            }
            #expect(try await parents.state(of: "p") == .active)
        }
    }

    @Test func aTakenJobIDRefusesTheWholeFlow() async throws {
        try await Self.withQueues { parents, children in
            try await children.add("leaf", json: "{}", options: .init(jobID: "taken"))
            let root = FlowJob(
                queue: parents.name, job: NewJob(name: "parent", json: "{}"),
                children: [
                    Self.leaf(children, "leaf", n: 1),
                    FlowJob(queue: children.name, job: NewJob(name: "leaf", json: "{}", options: .init(jobID: "taken"))),
                ])
            await #expect(throws: QueueError.self) { try await parents.addFlow(root) }
            #expect(try await parents.counts().waitingChildren == 0)
            #expect(try await children.counts().waiting == 1)
            // Bounds are checked before Redis is touched.
            let wide = FlowJob(
                queue: parents.name, job: NewJob(name: "parent", json: "{}"),
                children: (0...FlowJob.maximumJobs).map { Self.leaf(children, "leaf", n: $0) })
            await #expect(throws: QueueError.self) { try await parents.addFlow(wide) }
            var deep = Self.leaf(children, "leaf", n: 0)
            for _ in 0..<FlowJob.maximumDepth { deep = FlowJob(queue: children.name, job: NewJob(name: "parent", json: "{}"), children: [deep]) }
            deep.queue = parents.name
            await #expect(throws: QueueError.self) { try await parents.addFlow(deep) }
            #expect(try await parents.counts().waitingChildren == 0)
            // The same job twice in one flow is refused before Redis is touched.
            let twice = FlowJob(
                queue: parents.name, job: NewJob(name: "parent", json: "{}", options: .init(jobID: "same")),
                children: [FlowJob(queue: parents.name, job: NewJob(name: "leaf", json: "{}", options: .init(jobID: "same")))])
            await #expect(throws: QueueError.self) { try await parents.addFlow(twice) }
            #expect(try await parents.job("same") == nil)
        }
    }

    @Test func cancellingAParentOrItsLastPendingChildKeepsTheFlowConsistent() async throws {
        try await Self.withQueues { parents, children in
            // A waiting parent is removed; its children run on and leave nothing behind for it.
            let first = try await parents.addFlow(
                FlowJob(
                    queue: parents.name, job: NewJob(name: "parent", json: "{}", options: .init(jobID: "gone")),
                    children: [Self.leaf(children, "leaf", n: 1)]))
            #expect(try await parents.cancel("gone") == .removed(from: .waitingChildren))
            #expect(try await parents.job("gone") == nil)
            let child = try #require(try await children.fetch(QueueTesting.fetch).job)
            #expect(child.id == first.children[0].jobID)
            _ = try await children.complete(child, token: QueueTesting.fetch.token, returnValue: "1")
            #expect(try await QueueTesting.keys(of: parents).filter { $0.contains("gone") }.isEmpty)

            // The last pending child cancelled (or removed): the parent runs on what completed.
            let second = try await parents.addFlow(
                FlowJob(
                    queue: parents.name, job: NewJob(name: "parent", json: "{}", options: .init(jobID: "p")),
                    children: [Self.leaf(children, "leaf", n: 1), Self.leaf(children, "leaf", n: 2)]))
            let done = try #require(try await children.fetch(QueueTesting.fetch).job)
            _ = try await children.complete(done, token: QueueTesting.fetch.token, returnValue: "1")
            #expect(try await parents.state(of: "p") == .waitingChildren)
            let other = try #require(second.children.map(\.jobID).first { $0 != done.id })
            #expect(try await children.cancel(other) == .removed(from: .waiting))
            #expect(try await parents.state(of: "p") == .waiting)
            #expect(try await parents.childrenValues(of: "p").count == 1)
            #expect(try await parents.pendingChildren(of: "p").isEmpty)
        }
    }

    @Test func aRunningJobAddsChildrenWaitsForThemAndRunsAgain() async throws {
        try await Self.withQueues { parents, children in
            let parent = try await parents.add("parent", json: "{}", options: .init(jobID: "p", attempts: 1))
            let runs = Recorder<String>()
            // First run: add two children and wait; second run: sum their values.
            let handler: QueueProcessor.Handler = { context in
                runs.append(context.job.id)
                let values = try await context.queue.childrenValues(of: context.job.id)
                if values.isEmpty {
                    try await context.queue.addChildren(
                        [Self.leaf(children, "leaf", n: 3), Self.leaf(children, "leaf", n: 4)], to: context.job, token: context.token)
                    throw WaitForChildren()
                }
                return String(values.values.compactMap { Int($0) }.reduce(0, +))
            }
            let started = Recorder<String>()
            try await QueueTesting.withProcessor(parents, handler: handler) { (_: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually { try await parents.state(of: parent.id) == .waitingChildren })
                try await QueueTesting.withProcessor(children, handler: Self.handler(started)) { (_: QueueProcessor) async throws in
                    #expect(try await QueueTesting.eventually { try await parents.state(of: parent.id) == .completed })
                }
            }
            #expect(try await parents.job(parent.id)?.returnValue == "7")
            #expect(runs.all == ["p", "p"])
            // Waiting did not count as an attempt (the job allows one).
            #expect(try await parents.job(parent.id)?.attemptsMade == 1)
        }
    }

    @Test func waitingForChildrenThatAlreadyFinishedRunsTheJobAgainAtOnce() async throws {
        try await Self.withQueues { parents, children in
            try await parents.add("parent", json: "{}", options: .init(jobID: "p"))
            let taken = try #require(try await parents.fetch(QueueTesting.fetch).job)
            let added = try await parents.addChildren([Self.leaf(children, "leaf", n: 1)], to: taken)
            // A worker whose lock is gone cannot add to the job.
            await #expect(throws: QueueError.self) {
                try await parents.addChildren([Self.leaf(children, "leaf", n: 8)], to: taken, token: "someone-else")
            }
            // Adding to a job that is not there refuses, and adds nothing.
            let ghost = try #require(Job(id: "ghost", queue: parents.name, fields: ["name": "parent"]))
            await #expect(throws: QueueError.self) { try await parents.addChildren([Self.leaf(children, "leaf", n: 9)], to: ghost) }
            #expect(try await children.counts().waiting == 1)
            let child = try #require(try await children.fetch(QueueTesting.fetch).job)
            #expect(child.id == added[0].jobID && child.parent?.id == "p")
            _ = try await children.complete(child, token: QueueTesting.fetch.token, returnValue: "1")
            // The child finished before the parent gave itself up: it goes back to wait, first in line.
            #expect(try await parents.waitForChildren(taken, token: QueueTesting.fetch.token) == .waiting)
            #expect(try await parents.fetch(QueueTesting.fetch).job?.id == "p")
        }
    }

    @Test func aParentReturningWithChildrenPendingWaitsForThem() async throws {
        try await Self.withQueues { parents, children in
            try await parents.add("parent", json: "{}", options: .init(jobID: "p", attempts: 1))
            let runs = Recorder<String>()
            // The handler adds a child and returns instead of throwing WaitForChildren.
            let handler: QueueProcessor.Handler = { context in
                runs.append(context.job.id)
                if try await context.queue.childrenValues(of: context.job.id).isEmpty {
                    try await context.queue.addChildren([Self.leaf(children, "leaf", n: 5)], to: context.job)
                    return "\"early\""
                }
                return "\"late\""
            }
            try await QueueTesting.withProcessor(parents, handler: handler) { (_: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually { try await parents.state(of: "p") == .waitingChildren })
                let started = Recorder<String>()
                try await QueueTesting.withProcessor(children, handler: Self.handler(started)) { (_: QueueProcessor) async throws in
                    #expect(try await QueueTesting.eventually { try await parents.state(of: "p") == .completed })
                }
            }
            #expect(try await parents.job("p")?.returnValue == "\"late\"")
            #expect(runs.all == ["p", "p"])
        }
    }

    @Test func aChildThatFailsItsRunningParentFailsItInsteadOfParkingIt() async throws {
        try await Self.withQueues { parents, children in
            try await parents.add("parent", json: "{}", options: .init(jobID: "p"))
            let parent = try #require(try await parents.fetch(QueueTesting.fetch).job)
            try await parents.addChildren(
                [
                    Self.leaf(children, "fail", n: 0, .failParent),
                    FlowJob(queue: children.name, job: NewJob(name: "leaf", json: "{}", options: .init(delay: .seconds(3_600)))),
                ], to: parent)
            let failing = try #require(try await children.fetch(QueueTesting.fetch).job)
            _ = try await children.fail(failing, token: QueueTesting.fetch.token, reason: "no", unrecoverable: true)
            // A sibling is still pending, yet the parent does not wait: it is failed when next taken.
            #expect(try await parents.waitForChildren(parent, token: QueueTesting.fetch.token) == .waiting)
            let again = try #require(try await parents.fetch(QueueTesting.fetch).job)
            #expect(again.deferredFailure == "child \(children.keys.job(failing.id)) failed")
        }
    }

    @Test func drainingOrObliteratingAQueueTakesItsFlowParentsWithIt() async throws {
        try await Self.withQueues { parents, _ in
            // Parent and children on one queue: draining the children releases the parent, which
            // the next round drains too; nothing is left, counted or listed.
            try await parents.addFlow(
                FlowJob(
                    queue: parents.name, job: NewJob(name: "parent", json: "{}", options: .init(jobID: "p", tenantID: "t1")),
                    children: [
                        FlowJob(queue: parents.name, job: NewJob(name: "leaf", json: "{}", options: .init(tenantID: "t1"))),
                        FlowJob(queue: parents.name, job: NewJob(name: "leaf", json: "{}", options: .init(tenantID: "t1"))),
                    ]))
            try await parents.drain()
            let counts = try await parents.counts()
            #expect(counts.waiting == 0 && counts.waitingChildren == 0)
            #expect(try await parents.job("p") == nil)
            let tenant = try await parents.counts(tenant: "t1")
            #expect(tenant.waiting == 0 && tenant.waitingChildren == 0)

            try await parents.addFlow(
                FlowJob(
                    queue: parents.name, job: NewJob(name: "parent", json: "{}", options: .init(jobID: "q")),
                    children: [FlowJob(queue: parents.name, job: NewJob(name: "leaf", json: "{}"))]))
            try await parents.pause()
            try await parents.obliterate(force: true)
            #expect(try await QueueTesting.keys(of: parents).isEmpty)
        }
    }
}
