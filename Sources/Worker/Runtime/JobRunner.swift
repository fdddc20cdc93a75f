import Foundation
import Domain
public import Logging
public import Queue
public import Store

/// Runs one queue's jobs through their handlers and records each outcome in PostgreSQL.
///
/// For every job: find the handler by name, decode the payload once (its tenant checked against
/// the job's), run the handler, then record its ``JobOutcome`` through one path: in one tenant
/// transaction, the handler's rows and the `public.job_results` row, as `completed`, `retrying`
/// or `failed` — whether a failure retries is `Job.willRetry`, the rule `Queue.fail` applies.
/// PostgreSQL being unavailable does not use up an attempt: the job is delayed and tried again.
/// Metrics and logging are middlewares around all of it (``JobMiddleware``).
public struct JobRunner: Sendable {
    public let queue: String
    public let database: Database
    public let workerID: String
    let handlers: [String: RegisteredHandler]
    let logger: Logger
    /// How long a job waits when PostgreSQL is unavailable.
    public var unavailableDelay: Duration = .seconds(2)
    /// Around every attempt, the first outermost; metrics and attempt logging by default.
    public var middlewares: [any JobMiddleware]

    /// `tenantLabels` bounds the tenant label of the per-tenant metrics; share one per process.
    public init(
        queue: String, handlers: [any JobHandler], database: Database, workerID: String, logger: Logger,
        tenantLabels: TenantMetricLabels = TenantMetricLabels()
    ) {
        self.queue = queue
        self.database = database
        self.workerID = workerID
        var byName: [String: RegisteredHandler] = [:]
        for handler in handlers {
            let registered = RegisteredHandler(handler)
            if registered.queue == queue { byName[registered.name] = registered }
        }
        self.handlers = byName
        self.logger = logger
        self.middlewares = [WorkerMetrics(queue: queue, tenants: tenantLabels), AttemptLogging(logger: logger)]
    }

    /// The longest default timeout of the queue's handlers (`nil`: no handler for this queue).
    public var defaultTimeout: Duration? { handlers.values.map(\.defaultTimeout).max() }

    /// The `QueueProcessor` handler.
    public func execute(_ context: JobContext) async throws -> String? {
        try await middlewares.wrapping { context in try await self.attempt(context) }(context)
    }

    /// The processor's `onAbandoned`: the handler ran past the job's timeout and the processor
    /// fails the attempt without it; the attempt is recorded here as retrying or failed, through
    /// the same recording path as any other failure. (The middlewares saw the attempt start; the
    /// abandoned handler's own ending, if it ever comes, is what they count.)
    public func recordAbandoned(_ context: JobContext, _ error: any Error) async {
        let job = context.job
        guard let attempt = try? handler(for: job).attempt(context, database: database, workerID: workerID) else { return }
        do {
            // A timeout may be retried; a cancellation never is.
            _ = try await record(
                .failed(reason: QueueProcessor.reason(for: error), retryable: !(error is JobCancelledError), writes: attempt.abandoned(error)),
                job: job, tenant: attempt.tenant, base: base(job, startedAt: Date()))
        } catch is JobAttemptFailure {
            // Recorded: the processor fails the attempt itself.
        } catch is UnrecoverableJobError {
            // Recorded as failed for good (a cancellation).
        } catch {
            logger.warning("could not record an abandoned job", metadata: ["queue": "\(queue)", "job": "\(job.id)", "error": "\(error)"])
        }
    }

    private func handler(for job: Job) throws(UnrecoverableJobError) -> RegisteredHandler {
        guard let handler = handlers[job.name] else {
            throw UnrecoverableJobError("no handler for job '\(job.name)' on queue \(queue)")
        }
        return handler
    }

    private func base(_ job: Job, startedAt: Date) -> JobResultRecord {
        JobResultRecord(
            queue: queue, jobID: job.id, name: job.name, state: .active, attempts: job.attemptsMade + 1,
            workerID: workerID, enqueuedAt: Date(timeIntervalSince1970: Double(job.timestamp) / 1000), startedAt: startedAt)
    }

    /// One attempt: the handler's outcome (a thrown error is a failed outcome), then its record.
    private func attempt(_ context: JobContext) async throws -> String? {
        let job = context.job
        let base = base(job, startedAt: Date())
        let handler = try handler(for: job)
        let attempt: RegisteredHandler.Attempt
        do {
            attempt = try handler.attempt(context, database: database, workerID: workerID)
        } catch {
            // A payload that does not decode (or names another tenant) fails the job; when the
            // job names its tenant, the failure is on its record like any other.
            guard let tenant = Self.tenant(of: job) else { throw error }
            _ = try await record(.failed(reason: error.reason, retryable: false), job: job, tenant: tenant, base: base)
            throw error
        }
        let outcome: JobOutcome
        do {
            outcome = try await attempt.run()
        } catch let error as StoreError where error.isRetryable {
            throw DelayJobError(delay: unavailableDelay, reason: "database unavailable: \(error)")
        } catch let error as RateLimitedError {
            // The queue holds and the job waits: not a failed attempt, nothing to record.
            throw error
        } catch let error as DelayJobError {
            throw error
        } catch let error as WaitForChildren {
            // The job waits for the children it added; it runs again when they finish.
            throw error
        } catch {
            let unrecoverable = error is UnrecoverableJobError || error is PayloadError
            outcome = .failed(reason: QueueProcessor.reason(for: error), retryable: !unrecoverable)
            return try await record(outcome, job: job, tenant: attempt.tenant, base: base, detail: String(reflecting: error))
        }
        return try await record(outcome, job: job, tenant: attempt.tenant, base: base)
    }

    /// The tenant a job's tenant field names, if any.
    static func tenant(of job: Job) -> TenantID? {
        job.tenantID.flatMap(TenantID.init(uuidString:))
    }

    /// Records an outcome: returns the result of a completed one, throws what the processor
    /// should see for a failed one (`UnrecoverableJobError` when it must not retry).
    /// `detail` is what the processor keeps as the failure's stack trace (the error as thrown).
    private func record(
        _ outcome: JobOutcome, job: Job, tenant: TenantID, base: JobResultRecord, detail: String? = nil
    ) async throws -> String {
        var record = base
        let writes: TenantWrites?
        let failure: JobAttemptFailure?
        var postponed: DelayJobError?
        switch outcome {
        case .completed(let result, let handlerWrites):
            record.state = .completed
            record.result = result
            record.finishedAt = Date()
            (writes, failure) = (handlerWrites, nil)
        case .failed(let reason, let retryable, let handlerWrites):
            let retrying = job.willRetry(afterFailureUnrecoverable: !retryable)
            record.state = retrying ? .retrying : .failed
            record.error = reason
            record.finishedAt = retrying ? nil : Date()
            (writes, failure) = (handlerWrites, JobAttemptFailure(reason: reason, retryable: retryable, detail: detail ?? reason))
        case .postponed(let delay, let reason, let handlerWrites):
            record.state = .retrying
            record.error = reason
            (writes, failure) = (handlerWrites, nil)
            postponed = DelayJobError(delay: delay, reason: reason)
        }
        let row = record
        do {
            try await database.withTenant(tenant) { tx in
                try await writes?(tx)
                try await tx.upsert(row)
            }
        } catch {
            if error.isRetryable {
                throw DelayJobError(delay: unavailableDelay, reason: "could not record the outcome: \(error)")
            }
            // The result could not be kept (a constraint refused the handler's rows): a failed
            // attempt, retried like any other.
            guard failure == nil else { throw error }
            return try await self.record(.failed(reason: QueueProcessor.reason(for: error), retryable: true), job: job, tenant: tenant, base: base)
        }
        if let failure {
            if failure.retryable { throw failure }
            throw UnrecoverableJobError(failure.reason)
        }
        if let postponed { throw postponed }
        return record.result ?? "null"
    }
}

/// A recorded failed attempt, as the processor sees it: its description is the job's
/// `failedReason`, its debug description (the stack trace kept) the error as it was thrown.
struct JobAttemptFailure: Error, CustomStringConvertible, CustomDebugStringConvertible {
    let reason: String
    let retryable: Bool
    let detail: String
    var description: String { reason }
    var debugDescription: String { detail }
}
