public import Foundation
import Domain
import PostgresNIO

/// The generic result row of a job in `public.job_results`, written by the worker in the same
/// transaction as the handler's own effects and keyed by (tenant, queue, job id), so a job that
/// runs twice leaves one row.
public struct JobResultRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        case active, completed, failed, retrying
    }

    public var queue: String
    public var jobID: String
    public var name: String
    public var state: State
    public var attempts: Int
    /// JSON text.
    public var result: String?
    public var error: String?
    public var workerID: String?
    public var enqueuedAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(
        queue: String, jobID: String, name: String, state: State, attempts: Int, result: String? = nil, error: String? = nil,
        workerID: String? = nil, enqueuedAt: Date? = nil, startedAt: Date? = nil, finishedAt: Date? = nil
    ) {
        self.queue = queue
        self.jobID = jobID
        self.name = name
        self.state = state
        self.attempts = attempts
        self.result = result
        self.error = error
        self.workerID = workerID
        self.enqueuedAt = enqueuedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

extension TenantTransaction {
    /// Inserts or updates the job's result row for this transaction's tenant.
    public func upsert(_ record: JobResultRecord) async throws(StoreError) {
        let error = record.error.map { String($0.prefix(8_000)) }
        try await query(
            """
            INSERT INTO public.job_results
                (tenant_id, queue, job_id, name, state, attempts, result, error, worker_id, enqueued_at, started_at, finished_at, updated_at)
            VALUES (\(tenant.rawValue), \(record.queue), \(record.jobID), \(record.name), \(record.state.rawValue), \(record.attempts),
                    \(record.result)::jsonb, \(error), \(record.workerID), \(record.enqueuedAt), \(record.startedAt), \(record.finishedAt), now())
            ON CONFLICT (tenant_id, queue, job_id) DO UPDATE SET
                name = EXCLUDED.name, state = EXCLUDED.state, attempts = EXCLUDED.attempts, result = EXCLUDED.result,
                error = EXCLUDED.error, worker_id = EXCLUDED.worker_id, enqueued_at = COALESCE(job_results.enqueued_at, EXCLUDED.enqueued_at),
                started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, updated_at = now()
            """)
    }

    /// The job's result row, if this tenant has one.
    public func jobResult(queue: String, jobID: String) async throws(StoreError) -> JobResultRecord? {
        let rows = try await query(
            """
            SELECT name, state, attempts, result::text, error, worker_id, enqueued_at, started_at, finished_at
            FROM public.job_results WHERE queue = \(queue) AND job_id = \(jobID)
            """)
        guard let row = rows.first else { return nil }
        do {
            let (name, state, attempts, result, error, worker, enqueued, started, finished) = try row.decode(
                (String, String, Int, String?, String?, String?, Date?, Date?, Date?).self)
            return JobResultRecord(
                queue: queue, jobID: jobID, name: name, state: JobResultRecord.State(rawValue: state) ?? .failed,
                attempts: attempts, result: result, error: error, workerID: worker, enqueuedAt: enqueued,
                startedAt: started, finishedAt: finished)
        } catch {
            throw StoreError(error)
        }
    }
}
