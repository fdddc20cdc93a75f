/// One job of a flow (BullMQ's FlowProducer): its queue, the job, what its failure does to its
/// parent, and its children, which all finish before it runs.
///
/// A flow is added all at once (`Queue.addFlow`): parents wait in their queue's
/// `waiting-children` set; a child that completes hands its return value to its parent
/// (`Queue.childrenValues(of:)`), and the last one releases the parent to run.
public struct FlowJob: Sendable {
    /// What a child's final failure does to its parent (BullMQ's per-child options).
    public enum ParentPolicy: String, Sendable, CaseIterable {
        /// The parent keeps waiting (BullMQ's default): an operator retries or removes the child.
        case waitForChild = ""
        /// `failParentOnFailure`: the parent fails at once, with reason "child <key> failed".
        case failParent = "fpof"
        /// `continueParentOnFailure`: the parent runs at once (its other children may still be
        /// pending); the failure is in `failedChildren(of:)`.
        case continueParent = "cpof"
        /// `ignoreDependencyOnFailure`: the child counts as done; the failure is in
        /// `failedChildren(of:)`.
        case ignore = "idof"
        /// `removeDependencyOnFailure`: the child counts as done and is forgotten.
        case remove = "rdof"
    }

    /// The queue's name (same prefix as the queue that adds the flow).
    public var queue: String
    /// The job; without a `jobID` one is made (a UUID). Delay, priority, LIFO, attempts, back-off,
    /// retention and tenant apply; deduplication does not.
    public var job: NewJob
    /// What this job's final failure does to its parent (ignored on the root).
    public var onFailure: ParentPolicy
    public var children: [FlowJob]

    public init(queue: String, job: NewJob, onFailure: ParentPolicy = .waitForChild, children: [FlowJob] = []) {
        self.queue = queue
        self.job = job
        self.onFailure = onFailure
        self.children = children
    }

    /// The most jobs one flow may hold.
    public static let maximumJobs = 1_000
    /// The deepest a flow may nest (the root is depth 1).
    public static let maximumDepth = 20
}

/// A flow as added: each job's queue and id, in the flow's shape.
public struct AddedFlow: Sendable, Equatable {
    public let queue: String
    public let jobID: String
    public let children: [AddedFlow]
}
