import Domain
import Foundation
import PostgresNIO

extension Database {
    /// Accepts notifications in one statement (`inter_app.enqueue_notifications`, migration 0010),
    /// of any tenants: each job is recorded in the outbox when the intervention it names exists
    /// for its own tenant (row-level security checks every row under its tenant); nothing is
    /// written for the others. Returns the ids of the jobs recorded. All jobs share the queue and
    /// name of the first; an empty list writes nothing.
    public func enqueueNotifications(_ notifications: [NotificationPromise]) async throws(StoreError) -> Set<String> {
        guard let first = notifications.first?.job else { return [] }
        guard notifications.allSatisfy({ $0.job.queue == first.queue && $0.job.name == first.name }) else {
            throw StoreError(kind: .invalidInput, message: "notifications written together must share their queue and name")
        }
        let client = self.client
        let logger = self.logger
        do {
            return try await DatabaseDeadline.run(callTimeout, onTimeout: {}) {
                let rows = try await client.execute(EnqueueNotificationsStatement(notifications: notifications), logger: logger)
                var recorded = Set<String>()
                for try await jobID in rows { recorded.insert(jobID) }
                return recorded
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
                claimed.append(
                    ClaimedOutboxJob(
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
        let total =
            milliseconds.overflow ? Int64.max : milliseconds.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000_000_000).partialValue
        return "\(max(0, total)) milliseconds"
    }
}

/// `inter_app.enqueue_notifications` as a named prepared statement: the notifications travel as
/// five parallel arrays.
struct EnqueueNotificationsStatement: PostgresPreparedStatement {
    static let name = "obotcall_enqueue_notifications_v2"
    static let sql = "SELECT * FROM inter_app.enqueue_notifications($1, $2, $3, $4, $5, $6, $7)"
    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .uuidArray, .uuidArray, .textArray, .textArray, .textArray]
    typealias Row = String

    let notifications: [NotificationPromise]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 7)
        let first = notifications[0].job
        bindings.append(first.queue)
        bindings.append(first.name)
        bindings.append(notifications.map(\.job.tenant.rawValue))
        bindings.append(notifications.map(\.interventionID))
        bindings.append(notifications.map(\.job.jobID))
        bindings.append(notifications.map(\.job.data))
        bindings.append(notifications.map(\.job.options))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> String {
        try row.decode(String.self)
    }
}
