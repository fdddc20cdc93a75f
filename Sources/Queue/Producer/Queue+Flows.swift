import Foundation
public import Redis

extension Queue {
    /// Adds a flow rooted on this queue, all at once: every job is added or none (a job id that
    /// exists already refuses the whole flow). Children may be on other queues of this prefix.
    /// Compatible with BullMQ's FlowProducer: BullMQ workers run our flows' jobs and ours run
    /// theirs, parents waiting for children either way.
    @discardableResult
    public func addFlow(_ root: FlowJob) async throws -> AddedFlow {
        guard root.queue == name else {
            throw QueueError(.invalidOption, "the flow's root is on the queue \(root.queue); add it through that queue")
        }
        var nodes: [AddFlowCall.Node] = []
        try flatten(root, parent: 0, depth: 1, into: &nodes)
        let ids = try await addFlowNodes(nodes)
        return Self.shaped([root], ids: ids, from: 0)[0]
    }

    /// Adds `children` (each with its own children) to `parent`, a job of this queue that exists
    /// (typically the one running: it then calls ``waitForChildren(_:token:)`` or throws
    /// ``WaitForChildren`` from its handler). With `token`, only while that lock holds the parent
    /// (a worker that lost its job cannot add to it). All or nothing, as ``addFlow(_:)``.
    @discardableResult
    public func addChildren(_ children: [FlowJob], to parent: Job, token: String? = nil) async throws -> [AddedFlow] {
        guard !children.isEmpty else { return [] }
        var nodes = [
            AddFlowCall.Node(
                keys: keys, jobID: parent.id, job: NewJob(name: parent.name, json: "{}"), optionsJSON: token ?? "", parent: -1,
                onFailure: .waitForChild)
        ]
        for child in children { try flatten(child, parent: 1, depth: 2, into: &nodes) }
        let ids = try await addFlowNodes(nodes)
        return Self.shaped(children, ids: ids, from: 1)
    }

    /// The added ids (parents first, as `flatten` listed them from `start`) in the trees' shape.
    static func shaped(_ trees: [FlowJob], ids: [String], from start: Int) -> [AddedFlow] {
        var position = start
        func shape(_ node: FlowJob) -> AddedFlow {
            let id = ids[position]
            position += 1
            return AddedFlow(queue: node.queue, jobID: id, children: node.children.map(shape))
        }
        return trees.map(shape)
    }

    /// Gives up the running `job` until the children it added finish: it waits in
    /// `waiting-children` (and runs again when the last child finishes), or, when they all
    /// finished already, goes to the front of wait. Returns the state it went to.
    @discardableResult
    public func waitForChildren(_ job: Job, token: String) async throws -> JobState {
        let reply = try await run(WaitForChildrenCall(jobID: job.id, token: token, now: Self.now()))
        try ActiveJobRelease.check(reply, job: job.id, operation: "wait for children")
        return JobState(rawValue: try String(fromRESP: reply)) ?? .unknown
    }

    private func addFlowNodes(_ nodes: [AddFlowCall.Node]) async throws -> [String] {
        var seen = Set<String>()
        for node in nodes where !seen.insert(node.keys.job(node.jobID)).inserted {
            throw QueueError(.invalidJobID, "the flow names job \(node.jobID) of queue \(node.keys.queue) twice")
        }
        let reply = try await run(AddFlowCall(timestamp: Self.now(), nodes: nodes))
        let ids = try [String](fromRESP: reply)
        if ids.count == 2, ids[0] == "exists" {
            throw QueueError(.wrongState, "job \(ids[1]) exists already; the flow was not added")
        }
        if ids.count == 2, ids[0] == "missing" {
            throw QueueError(.jobNotFound, "the parent job \(ids[1]) does not exist; no children were added")
        }
        if ids.count == 2, ids[0] == "unlocked" {
            throw QueueError(.lockLost, "the parent job \(ids[1]) is no longer locked by this worker; no children were added")
        }
        guard ids.count == nodes.count else { throw QueueError(.unexpectedReply, "add_flow returned \(ids.count) ids for \(nodes.count) jobs") }
        return ids
    }

    /// The children that completed, by their full key (`<prefix>:<queue>:<id>`), with their
    /// return values (JSON text), as BullMQ's `getChildrenValues` reads them.
    public func childrenValues(of id: String) async throws -> [String: String] {
        try await hash(keys.job(id) + ":processed")
    }

    /// The children that failed under `continueParent` or `ignore`, by full key, with their reasons.
    public func failedChildren(of id: String) async throws -> [String: String] {
        try await hash(keys.job(id) + ":failed")
    }

    /// Whether the job has or had children (pending, completed or failed ones recorded).
    public func hasChildren(_ id: String) async throws -> Bool {
        let job = keys.job(id)
        return try await redis.execute(
            RedisCommand("EXISTS", [.string(job + ":dependencies"), .string(job + ":processed"), .string(job + ":failed")], keyArguments: 0..<3),
            as: Int.self) > 0
    }

    /// The children not finished yet, by full key.
    public func pendingChildren(of id: String) async throws -> [String] {
        try await redis.execute(RedisCommand("SMEMBERS", [.string(keys.job(id) + ":dependencies")], keyArguments: 0..<1), as: [String].self)
            .sorted()
    }

    private func hash(_ key: String) async throws -> [String: String] {
        let flat = try await redis.execute(RedisCommand("HGETALL", [.string(key)], keyArguments: 0..<1), as: [String].self)
        var values: [String: String] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) { values[flat[index]] = flat[index + 1] }
        return values
    }

    /// The flow's jobs parents first, each checked as an add would check it.
    private func flatten(_ node: FlowJob, parent: Int, depth: Int, into nodes: inout [AddFlowCall.Node]) throws(QueueError) {
        guard depth <= FlowJob.maximumDepth else { throw QueueError(.invalidOption, "a flow nests at most \(FlowJob.maximumDepth) levels") }
        guard nodes.count < FlowJob.maximumJobs else { throw QueueError(.invalidOption, "a flow holds at most \(FlowJob.maximumJobs) jobs") }
        guard !node.queue.isEmpty, node.queue.utf8.count <= 200, !node.queue.contains(":") else {
            throw QueueError(.invalidOption, "queue name '\(node.queue)' must be 1 to 200 bytes without ':'")
        }
        try validate(node.job)
        if node.job.options.deduplication != nil { throw QueueError(.invalidOption, "a flow's jobs cannot use deduplication") }
        let jobID = node.job.options.jobID ?? UUID().uuidString.lowercased()
        if let custom = node.job.options.jobID, custom.isEmpty || custom.contains(":") {
            throw QueueError(.invalidJobID, "a flow job id must be non-empty and without ':'")
        }
        nodes.append(
            AddFlowCall.Node(
                keys: QueueKeys(prefix: keys.prefix, queue: node.queue), jobID: jobID, job: node.job,
                optionsJSON: StoredJobOptions(node.job.options).json(), parent: parent, onFailure: node.onFailure))
        let index = nodes.count
        for child in node.children { try flatten(child, parent: index, depth: depth + 1, into: &nodes) }
    }
}
