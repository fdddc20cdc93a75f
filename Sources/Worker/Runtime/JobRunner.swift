import Foundation
import Domain
public import Logging
import Metrics
public import Queue
public import Store

/// Runs one queue's jobs through their handlers and records each outcome in PostgreSQL.
///
/// For every job: find the handler by name, find the tenant (the job's tenant field, else
/// `tenantId` in its payload), run the handler, then in one tenant transaction write the
/// handler's rows and the `public.job_results` row. PostgreSQL being unavailable does not use up
/// an attempt: the job is delayed and tried again.
public struct JobRunner: Sendable {
    public let queue: String
    public let database: Database
    public let workerID: String
    let handlers: [String: any JobHandler]
    let metrics: WorkerMetrics
    let logger: Logger
    /// How long a job waits when PostgreSQL is unavailable.
    public var unavailableDelay: Duration = .seconds(2)

    public init(queue: String, handlers: [any JobHandler], database: Database, workerID: String, logger: Logger) {
        self.queue = queue
        self.database = database
        self.workerID = workerID
        var byName: [String: any JobHandler] = [:]
        for handler in handlers where handler.queue == queue {
            for name in handler.jobNames { byName[name] = handler }
        }
        self.handlers = byName
        self.metrics = WorkerMetrics(queue: queue)
        self.logger = logger
    }

    /// The `QueueProcessor` handler.
    public func execute(_ context: JobContext) async throws -> String? {
        let job = context.job
        let started = Date()
        metrics.started(job)
        defer { metrics.finished(job, after: Date().timeIntervalSince(started)) }

        guard let handler = handlers[job.name] else {
            metrics.failed(job)
            throw UnrecoverableJobError("no handler for job '\(job.name)' on queue \(queue)")
        }
        guard let tenant = Self.tenant(of: job) else {
            metrics.failed(job)
            throw UnrecoverableJobError("job \(job.id) names no tenant (tenantId)")
        }
        let base = JobResultRecord(
            queue: queue, jobID: job.id, name: job.name, state: .active, attempts: job.attemptsMade + 1,
            workerID: workerID, enqueuedAt: Date(timeIntervalSince1970: Double(job.timestamp) / 1000), startedAt: started)

        let outcome: HandlerResult
        do {
            outcome = try await handler.run(WorkerJob(context: context, tenant: tenant, database: database, workerID: workerID))
        } catch {
            throw try await recordFailure(error, job: job, tenant: tenant, base: base)
        }
        do {
            var record = base
            record.state = .completed
            record.result = outcome.value
            record.finishedAt = Date()
            let completed = record
            try await database.withTenant(tenant) { tx in
                try await outcome.writes?(tx)
                try await tx.upsert(completed)
            }
        } catch {
            if error.isRetryable {
                metrics.delayed(job)
                throw DelayJobError(delay: unavailableDelay, reason: "could not record the result: \(error)")
            }
            throw try await recordFailure(error, job: job, tenant: tenant, base: base)
        }
        metrics.completed(job)
        return outcome.value
    }

    /// The processor's `onAbandoned`: the handler ran past the job's timeout and the processor
    /// fails the attempt without it; the attempt is recorded here as retrying or failed, like any
    /// other failure (the handler's own recording never came).
    public func recordAbandoned(_ context: JobContext, _ error: JobTimeoutError) async {
        let job = context.job
        guard let tenant = Self.tenant(of: job) else { return }
        let base = JobResultRecord(
            queue: queue, jobID: job.id, name: job.name, state: .active, attempts: job.attemptsMade + 1,
            workerID: workerID, enqueuedAt: Date(timeIntervalSince1970: Double(job.timestamp) / 1000), startedAt: Date())
        do {
            _ = try await recordFailure(error, job: job, tenant: tenant, base: base)
        } catch {
            logger.warning("could not record a timed-out job", metadata: ["queue": "\(queue)", "job": "\(job.id)", "error": "\(error)"])
        }
    }

    /// Records a failed attempt and returns the error the processor should see: unrecoverable
    /// errors stay so, a database outage becomes a delay that uses no attempt.
    private func recordFailure(_ error: any Error, job: Job, tenant: TenantID, base: JobResultRecord) async throws -> any Error {
        if let store = error as? StoreError, store.isRetryable {
            metrics.delayed(job)
            return DelayJobError(delay: unavailableDelay, reason: "database unavailable: \(store)")
        }
        let unrecoverable = error is UnrecoverableJobError || error is PayloadError
            || ((error as? any RecordedFailure).map { !$0.isRetryable } ?? false)
        let retrying = !unrecoverable && job.attemptsMade + 1 < job.options.attempts
        var record = base
        record.state = retrying ? .retrying : .failed
        record.error = QueueProcessor.reason(for: error)
        record.finishedAt = retrying ? nil : Date()
        let attempt = record
        do {
            try await database.withTenant(tenant) { tx in
                if let recorded = error as? any RecordedFailure { try await recorded.record(in: tx) }
                try await tx.upsert(attempt)
            }
        } catch {
            guard error.isRetryable else { throw error }
            metrics.delayed(job)
            return DelayJobError(delay: unavailableDelay, reason: "could not record the failure: \(error)")
        }
        if retrying { metrics.retried(job) } else { metrics.failed(job) }
        logger.info("job attempt failed", metadata: [
            "queue": "\(queue)", "job": "\(job.id)", "retrying": "\(retrying)", "error": "\(record.error ?? "")",
        ])
        if unrecoverable && !(error is UnrecoverableJobError) {
            return UnrecoverableJobError(record.error ?? "\(error)")
        }
        return error
    }

    /// The job's tenant: the tenant field our producers set, else `tenantId` in the payload.
    static func tenant(of job: Job) -> TenantID? {
        if let id = job.tenantID, let tenant = TenantID(uuidString: id) { return tenant }
        struct Tenanted: Decodable { let tenantId: String? }
        guard let text = (try? job.decodeData(Tenanted.self))?.tenantId else { return nil }
        return TenantID(uuidString: text)
    }
}
