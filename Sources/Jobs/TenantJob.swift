public import Domain
public import Queue

/// A job kind of the platform, declared by its payload type: the queue it goes on, its name,
/// how it is retried and kept, and the tenant it belongs to.
///
/// Producers (the API, an agent's tools) add a payload with
/// `queue.add(job)` and get the kind's policy from here, so every producer of a kind enqueues it
/// the same way. `Queue` and `Domain` may not import each other (README, "Layout"); this target
/// joins them.
public protocol TenantJob: Codable, Sendable {
    /// The queue the kind's jobs go on.
    static var queue: String { get }
    /// The job name workers dispatch on.
    static var name: String { get }
    /// Attempts, back-off and retention of every job of the kind; the tenant and id are set per job.
    static var defaultOptions: JobOptions { get }
    /// The tenant the job belongs to; workers run it under this tenant only.
    var tenantID: TenantID { get }
}

extension TenantJob {
    /// The kind's options for this job: its tenant, and `jobID` when the producer fixes the id.
    public func options(jobID: String? = nil) -> JobOptions {
        var options = Self.defaultOptions
        options.jobID = jobID
        options.tenantID = tenantID.description
        return options
    }

    /// The job as an add takes it (data encoded and checked for size).
    public func newJob(jobID: String? = nil) throws -> NewJob {
        try NewJob(name: Self.name, data: self, options: options(jobID: jobID))
    }
}

extension Queue {
    /// Adds a job of a platform kind with the kind's options. A job of another queue's kind is
    /// refused before Redis is touched.
    @discardableResult
    public func add<Job: TenantJob>(_ job: Job, jobID: String? = nil) async throws -> AddedJob {
        try checkKind(Job.self)
        return try await add(try job.newJob(jobID: jobID))
    }

    /// Throws unless jobs of `kind` belong on this queue.
    public func checkKind<Job: TenantJob>(_ kind: Job.Type) throws(QueueError) {
        guard name == Job.queue else {
            throw QueueError(.invalidOption, "\(Job.name) jobs belong on the queue \(Job.queue), not \(name)")
        }
    }
}
