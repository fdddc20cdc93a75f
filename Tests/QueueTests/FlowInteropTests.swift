import Foundation
import Testing
import TestSupport
@testable import Queue

/// Flows shared with the real Python `bullmq` 3.4.4 (Tests/Interop/bullmq_peer.py): a flow
/// Python's FlowProducer adds runs on our workers, parent after children and by each failure
/// policy; ours runs on Python's workers, whose parent reads our children's values.
struct FlowInteropTests {
    typealias JSONValue = BullMQInteropTests.JSONValue

    struct Tree: Decodable {
        let id: String
        let children: [Tree]
    }

    /// Ours: leaves return {"n": n}, "fail" throws, parents return how many children completed
    /// and failed.
    static let handler: QueueProcessor.Handler = { context in
        if context.job.name == "fail" { throw UnrecoverableJobError("swift says no") }
        if context.job.name == "parent" {
            let values = try await context.queue.childrenValues(of: context.job.id)
            let failed = try await context.queue.failedChildren(of: context.job.id)
            return #"{"completed":\#(values.count),"failed":\#(failed.count)}"#
        }
        struct Data: Decodable { let n: Int }
        return #"{"n":\#(try context.job.decodeData(Data.self).n)}"#
    }

    static func spec(parent: Queue, children: Queue, failing policy: String?) -> String {
        let failing = policy.map { #",{"name":"fail","queueName":"\#(children.name)","data":{"n":3},"opts":{"\#($0)":true}}"# } ?? ""
        return """
            {"name":"parent","queueName":"\(parent.name)","data":{},"children":[
              {"name":"leaf","queueName":"\(children.name)","data":{"n":1}},
              {"name":"leaf","queueName":"\(children.name)","data":{"n":2}}\(failing)]}
            """
    }

    @Test(arguments: [nil, "ignoreDependencyOnFailure", "failParentOnFailure"])
    func aPythonFlowRunsOnOurWorkers(policy: String?) async throws {
        let url = try TestEnvironment.redisURL()
        try await FlowTests.withQueues { parents, children in
            let tree = try await BullMQPeer.run(
                ["flow", url, parents.name, Self.spec(parent: parents, children: children, failing: policy)], as: Tree.self)
            #expect(try await parents.state(of: tree.id) == .waitingChildren)
            #expect(try await parents.pendingChildren(of: tree.id).count == tree.children.count)
            let child = try #require(try await children.job(tree.children[0].id))
            #expect(child.parent == JobParent(id: tree.id, queueKey: "bull:\(parents.name)"))

            try await QueueTesting.withProcessor(children, handler: Self.handler) { (_: QueueProcessor) async throws in
                try await QueueTesting.withProcessor(parents, handler: Self.handler) { (_: QueueProcessor) async throws in
                    let end: JobState = policy == "failParentOnFailure" ? .failed : .completed
                    #expect(try await QueueTesting.eventually(timeout: .seconds(30)) { try await parents.state(of: tree.id) == end })
                }
            }
            let seen = try await BullMQPeer.run(["inspect", url, parents.name, "[\"\(tree.id)\"]"], as: JSONValue.self)
            let parent = try #require(seen["jobs"]?[tree.id])
            switch policy {
            case "failParentOnFailure":
                #expect(parent["state"] == .string("failed"))
                #expect(parent["failedReason"] == .string("child \(children.keys.job(tree.children[2].id)) failed"))
            case "ignoreDependencyOnFailure":
                #expect(parent["state"] == .string("completed"))
                #expect(parent["returnvalue"] == .object(["completed": .number(2), "failed": .number(1)]))
            default:
                #expect(parent["returnvalue"] == .object(["completed": .number(2), "failed": .number(0)]))
            }
            if policy != "failParentOnFailure" {
                // Python reads the values our workers recorded for the parent.
                let values = try await BullMQPeer.run(["children", url, parents.name, tree.id], as: [String: JSONValue].self)
                #expect(values[children.keys.job(tree.children[0].id)] == .object(["n": .number(1)]))
                #expect(values.count == 2)
            }
        }
    }

    @Test func ourFlowRunsOnPythonWorkers() async throws {
        let url = try TestEnvironment.redisURL()
        try await FlowTests.withQueues { parents, children in
            let added = try await parents.addFlow(
                FlowJob(
                    queue: parents.name, job: NewJob(name: "parent", json: "{}"),
                    children: [
                        FlowJob(queue: children.name, job: NewJob(name: "leaf", json: #"{"n":1}"#)),
                        FlowJob(queue: children.name, job: NewJob(name: "leaf", json: #"{"n":2}"#)),
                    ]))
            let ranChildren = try await BullMQPeer.run(["work", url, children.name, "2", "60"], as: [String].self)
            #expect(Set(ranChildren) == Set(added.children.map(\.jobID)))
            #expect(try await parents.state(of: added.jobID) == .waiting)
            let ranParent = try await BullMQPeer.run(["work", url, parents.name, "1", "60"], as: [String].self)
            #expect(ranParent == [added.jobID])

            let stored = try #require(try await parents.job(added.jobID))
            let returned = try JSONDecoder().decode(JSONValue.self, from: Data((stored.returnValue ?? "null").utf8))
            #expect(returned["by"] == .string("python"))
            #expect(returned["children"]?[children.keys.job(added.children[1].jobID)] == .object(["by": .string("python"), "n": .number(2)]))
            #expect(try await parents.childrenValues(of: added.jobID).count == 2)
        }
    }
}
