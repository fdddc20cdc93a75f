public import Domain
public import Queue
public import Store

/// Runs the jobs of one kind. The runtime decodes nothing for it: it hands over the job, the
/// tenant the job belongs to and the database, and records the outcome.
public protocol JobHandler: Sendable {
    /// The queue whose jobs it runs.
    var queue: String { get }
    /// The job names it accepts.
    var jobNames: Set<String> { get }
    /// Does the work. External effects (HTTP calls) happen here; database writes go in the
    /// result's `writes`, which the runtime runs in the same tenant transaction as the job's
    /// result row. Throw `UnrecoverableJobError` (or `PayloadError`) when retrying cannot help.
    func run(_ job: WorkerJob) async throws -> HandlerResult
    /// How long one of its jobs may run when the job sets no `timeout` of its own.
    var defaultTimeout: Duration { get }
}

extension JobHandler {
    public var defaultTimeout: Duration { .seconds(600) }
}

/// What a handler returns: the job's result (JSON text) and the rows to write with it.
public struct HandlerResult: Sendable {
    public var value: String
    public var writes: (@Sendable (TenantTransaction) async throws -> Void)?

    public init(value: String, writes: (@Sendable (TenantTransaction) async throws -> Void)? = nil) {
        self.value = value
        self.writes = writes
    }
}

/// A failure that has rows of its own to write (a delivery attempt, say), in the same
/// transaction as the job's result row.
public protocol RecordedFailure: Error {
    /// Whether another attempt may succeed.
    var isRetryable: Bool { get }
    func record(in transaction: TenantTransaction) async throws
}

/// One job as a handler sees it.
public struct WorkerJob: Sendable {
    public let context: JobContext
    public let tenant: TenantID
    public let database: Database
    public let workerID: String

    public var job: Job { context.job }
    /// 1 for the first attempt.
    public var attempt: Int { job.attemptsMade + 1 }

    /// Decodes the payload; a payload that does not decode fails the job without retry.
    public func payload<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try job.decodeData(T.self)
        } catch {
            throw UnrecoverableJobError("job \(job.id) has a malformed payload: \(error)")
        }
    }
}
