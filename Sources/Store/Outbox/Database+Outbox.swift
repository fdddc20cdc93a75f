public import Domain
public import Foundation
import PostgresNIO

extension Database {
    /// Accepts a notification about the tenant's intervention in one statement: the job is
    /// recorded in the outbox when the intervention exists (`true`), nothing is written when it
    /// does not (`false`). One round trip, as the read of 0006 it replaces on the enqueue path.
    public func enqueueNotification(_ job: OutboxJob, interventionID: UUID) async throws(StoreError) -> Bool {
        let client = self.client
        let logger = self.logger
        do {
            return try await DatabaseDeadline.run(callTimeout, onTimeout: {}) {
                let rows = try await client.execute(EnqueueNotificationStatement(job: job, interventionID: interventionID), logger: logger)
                var found = false
                for try await value in rows { found = value }
                return found
            }
        } catch {
            throw StoreError(error)
        }
    }

    /// Claims up to `limit` due outbox rows for a relay (see `public.outbox_claim`): a row is due
    /// 30 s after it was accepted, then `recheckEvery` after each claim, until its job has its
    /// final outcome (the row is then deleted when it comes due).
    public func claimOutbox(limit: Int, recheckEvery: Duration) async throws(StoreError) -> [ClaimedOutboxJob] {
        let limit = min(max(limit, 1), 10_000)
        let recheck = Self.interval(recheckEvery)
        return try await withTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT tenant_id, queue, job_id, name, data, options, rechecked
                FROM public.outbox_claim(\(limit)::integer, \(recheck)::interval)
                """, logger: self.logger)
            var claimed: [ClaimedOutboxJob] = []
            for try await row in rows {
                let (tenant, queue, jobID, name, data, options, rechecked) = try row.decode((UUID, String, String, String, String, String, Bool).self)
                claimed.append(ClaimedOutboxJob(
                    job: OutboxJob(tenant: TenantID(tenant), queue: queue, jobID: jobID, name: name, data: data, options: options),
                    rechecked: rechecked))
            }
            return claimed
        }
    }

    /// Drops outbox rows older than `keep`, at most `limit` per call. Returns how many went.
    public func pruneOutbox(keep: Duration, limit: Int) async throws(StoreError) -> Int {
        let limit = min(max(limit, 1), 100_000)
        let keep = Self.interval(keep)
        return try await withTransaction { connection in
            let rows = try await connection.query("SELECT public.outbox_prune(\(keep)::interval, \(limit)::integer)", logger: self.logger)
            var pruned = 0
            for try await row in rows { pruned = try row.decode(Int.self) }
            return pruned
        }
    }

    /// A duration as PostgreSQL interval text in whole milliseconds (`'1500 milliseconds'`).
    static func interval(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1_000)
        let total = milliseconds.overflow ? Int64.max : milliseconds.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000_000_000).partialValue
        return "\(max(0, total)) milliseconds"
    }
}

/// `inter_app.enqueue_notification` as a named prepared statement.
struct EnqueueNotificationStatement: PostgresPreparedStatement {
    static let name = "obotcall_enqueue_notification_v1"
    static let sql = "SELECT inter_app.enqueue_notification($1, $2, $3, $4, $5, $6, $7)"
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid, .text, .text, .text, .text, .text]
    typealias Row = Bool

    let job: OutboxJob
    let interventionID: UUID

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 7)
        bindings.append(job.tenant.rawValue)
        bindings.append(interventionID)
        bindings.append(job.queue)
        bindings.append(job.jobID)
        bindings.append(job.name)
        bindings.append(job.data)
        bindings.append(job.options)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Bool {
        try row.decode(Bool.self)
    }
}
