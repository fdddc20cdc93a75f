import Redis

/// add_flow.lua: a flow's jobs, parents first, added all or nothing (eleven ARGV values per job).
struct AddFlowCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.addFlow }
    static var takesSharedKeys: Bool { false }

    /// One job as the script takes it.
    struct Node: Sendable {
        /// Its queue's keys (the same prefix for every node).
        var keys: QueueKeys
        var jobID: String
        var job: NewJob
        var optionsJSON: String
        /// 1-based index of its parent in the list; 0 for the root.
        var parent: Int
        var onFailure: FlowJob.ParentPolicy
    }

    var timestamp: Int
    var nodes: [Node]

    func keys(_ keys: QueueKeys) -> [String] { nodes.map { $0.keys.job($0.jobID) } }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        var arguments: [RedisArgument] = [.int(timestamp)]
        arguments.reserveCapacity(1 + nodes.count * 11)
        for node in nodes {
            let options = node.job.options
            arguments += [
                .string(node.keys.base), .string(node.jobID), .string(node.job.name), .string(node.job.data), .string(node.optionsJSON),
                .int(options.delay?.milliseconds ?? 0), .int(options.priority ?? 0), options.lifo ? "1" : "0",
                .string(options.tenantID ?? ""), .int(node.parent), .string(node.parent == 0 ? "" : node.onFailure.rawValue),
            ]
        }
        return arguments
    }
}
