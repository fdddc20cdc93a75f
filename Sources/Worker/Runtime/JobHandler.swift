public import Domain
public import Jobs
public import Queue
public import Store

/// Runs the jobs of one kind (its `Payload`, a ``TenantJob``): the runtime hands it the decoded
/// payload, whose tenant it has checked against the job's, and records the outcome it returns.
///
/// Adding a job kind is a payload type adopting `TenantJob`, a type adopting this protocol, and
/// the handler in the worker's list (`WorkerCommand`); see the README's "Adding a job kind".
public protocol JobHandler: Sendable {
    associatedtype Payload: TenantJob

    /// Does the work. External effects (HTTP calls) happen here; database writes go in the
    /// outcome's `writes`, which the runtime runs in the same tenant transaction as the job's
    /// result row. A thrown error is a failed attempt: retried while attempts remain, except
    /// `UnrecoverableJobError` and `PayloadError`; PostgreSQL being unavailable (a retryable
    /// `StoreError`) delays the job without using an attempt.
    func run(_ payload: Payload, in run: JobRun) async throws -> JobOutcome

    /// How long one of its jobs may run when the job sets no `timeout` of its own.
    var defaultTimeout: Duration { get }

    /// The processor gave up on an attempt without the handler: its timeout passed
    /// (``JobTimeoutError``) or the job was cancelled (``JobCancelledError``). The rows returned
    /// are written with the failure, in the same transaction: a handler whose own rows say
    /// "running" puts them right here. Default: none.
    func abandoned(_ payload: Payload, in run: JobRun, because error: any Error) -> TenantWrites?
}

extension JobHandler {
    public var defaultTimeout: Duration { .seconds(600) }
    public func abandoned(_ payload: Payload, in run: JobRun, because error: any Error) -> TenantWrites? { nil }
    /// The queue it serves: its payload kind's.
    public var queue: String { Payload.queue }
}

/// Rows a handler writes with its job's result, in the same tenant transaction.
public typealias TenantWrites = @Sendable (TenantTransaction) async throws -> Void

/// How an attempt ended, as its handler reports it.
public enum JobOutcome: Sendable {
    /// Done: `result` is the job's return value (JSON text).
    case completed(result: String, writes: TenantWrites? = nil)
    /// Failed with `reason`: run again while attempts remain when `retryable`, failed for good
    /// otherwise. `writes` are recorded either way (a delivery attempt, a run marked failed).
    case failed(reason: String, retryable: Bool, writes: TenantWrites? = nil)
    /// Not now: run again after `after`, without using an attempt (a destination asked to wait,
    /// with an HTTP 429). `writes` are recorded first (the deliveries that did go out).
    case postponed(after: Duration, reason: String, writes: TenantWrites? = nil)
}

/// The attempt a handler runs: the job, its tenant (checked), and the database.
public struct JobRun: Sendable {
    public let context: JobContext
    public let tenant: TenantID
    public let database: Database
    public let workerID: String

    public var job: Job { context.job }
    /// 1 for the first attempt.
    public var attempt: Int { job.attemptsMade + 1 }
    /// Whether a retryable failure of this attempt would end the job (`Job.willRetry`, the rule
    /// the queue applies).
    public var isLastAttempt: Bool { !job.willRetry(afterFailureUnrecoverable: false) }
}

/// A handler as the runtime keeps it: its kind's queue and name, and how to start an attempt.
struct RegisteredHandler: Sendable {
    /// An attempt ready to run, for the tenant its payload names.
    struct Attempt: Sendable {
        let tenant: TenantID
        let run: @Sendable () async throws -> JobOutcome
        /// The handler's rows for an attempt the processor gave up on.
        let abandoned: @Sendable (any Error) -> TenantWrites?
    }

    let queue: String
    let name: String
    let defaultTimeout: Duration
    private let start: @Sendable (JobContext, Database, String) throws(UnrecoverableJobError) -> Attempt

    init<Handler: JobHandler>(_ handler: Handler) {
        queue = Handler.Payload.queue
        name = Handler.Payload.name
        defaultTimeout = handler.defaultTimeout
        start = { context, database, workerID throws(UnrecoverableJobError) in
            let payload = try Self.payload(Handler.Payload.self, of: context.job)
            let run = JobRun(context: context, tenant: payload.tenantID, database: database, workerID: workerID)
            return Attempt(
                tenant: payload.tenantID, run: { try await handler.run(payload, in: run) },
                abandoned: { error in handler.abandoned(payload, in: run, because: error) })
        }
    }

    /// Decodes the job's payload once and checks it against the job's tenant field.
    func attempt(_ context: JobContext, database: Database, workerID: String) throws(UnrecoverableJobError) -> Attempt {
        try start(context, database, workerID)
    }

    /// The payload of `job`; one that does not decode, or names another tenant than the job's
    /// tenant field, fails the job without retry.
    static func payload<Payload: TenantJob>(_ type: Payload.Type, of job: Job) throws(UnrecoverableJobError) -> Payload {
        let payload: Payload
        do {
            payload = try job.decodeData(Payload.self)
        } catch {
            throw UnrecoverableJobError("job \(job.id) has a malformed payload: \(error)")
        }
        if let field = job.tenantID, TenantID(uuidString: field) != payload.tenantID {
            throw UnrecoverableJobError("the payload's tenant \(payload.tenantID) is not the job's tenant \(field)")
        }
        return payload
    }
}
