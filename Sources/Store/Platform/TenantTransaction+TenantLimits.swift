import Domain
public import Foundation
import PostgresNIO

/// The transaction's tenant's limits per queue (`public.tenant_queue_limits`).
extension TenantTransaction {
    /// The tenant's limits in `queue`, or nil when it has no row (every value the default).
    public func queueLimits(_ queue: String) async throws(StoreError) -> TenantQueueLimitsRecord? {
        let rows = try await query(
            "SELECT \(unescaped: TenantQueueLimitsRecord.columns) FROM public.tenant_queue_limits WHERE queue = \(queue)")
        return try rows.first.map { row throws(StoreError) in try TenantQueueLimitsRecord(row: row) }
    }

    /// The tenant's limits in every queue it has a row for.
    public func queueLimits() async throws(StoreError) -> [TenantQueueLimitsRecord] {
        let rows = try await query(
            "SELECT \(unescaped: TenantQueueLimitsRecord.columns) FROM public.tenant_queue_limits ORDER BY queue LIMIT 1000")
        var records: [TenantQueueLimitsRecord] = []
        for row in rows { records.append(try TenantQueueLimitsRecord(row: row)) }
        return records
    }

    /// Replaces the tenant's limits in `record.queue` (the pause flag is kept as stored).
    public func setQueueLimits(_ record: TenantQueueLimitsRecord) async throws(StoreError) -> TenantQueueLimitsRecord {
        let rows = try await query(
            """
            INSERT INTO public.tenant_queue_limits (tenant_id, queue, weight, concurrency, rate_max, rate_duration_ms, max_pending)
            VALUES (
                \(tenant.rawValue), \(record.queue), \(record.weight), \(record.concurrency), \(record.rateMax), \(record.rateDurationMs),
                \(record.maxPending))
            ON CONFLICT (tenant_id, queue) DO UPDATE SET
                weight = EXCLUDED.weight, concurrency = EXCLUDED.concurrency, rate_max = EXCLUDED.rate_max,
                rate_duration_ms = EXCLUDED.rate_duration_ms, max_pending = EXCLUDED.max_pending, updated_at = now()
            RETURNING \(unescaped: TenantQueueLimitsRecord.columns)
            """)
        guard let row = rows.first else { throw StoreError(kind: .other, message: "tenant_queue_limits upsert returned no row") }
        return try TenantQueueLimitsRecord(row: row)
    }

    /// Records whether the tenant's jobs in `queue` are paused (the limits are kept as stored).
    public func setQueuePaused(_ queue: String, paused: Bool) async throws(StoreError) -> TenantQueueLimitsRecord {
        let rows = try await query(
            """
            INSERT INTO public.tenant_queue_limits (tenant_id, queue, paused) VALUES (\(tenant.rawValue), \(queue), \(paused))
            ON CONFLICT (tenant_id, queue) DO UPDATE SET paused = EXCLUDED.paused, updated_at = now()
            RETURNING \(unescaped: TenantQueueLimitsRecord.columns)
            """)
        guard let row = rows.first else { throw StoreError(kind: .other, message: "tenant_queue_limits upsert returned no row") }
        return try TenantQueueLimitsRecord(row: row)
    }

    /// The tenant's finished jobs per queue since `since` (from `public.job_results`, the rows kept).
    public func jobUsage(since: Date) async throws(StoreError) -> [JobUsageRecord] {
        let rows = try await query(
            """
            SELECT tenant_id, queue,
                count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE state = 'failed'),
                coalesce(sum(greatest(0, (extract(epoch FROM (finished_at - started_at)) * 1000)::bigint)), 0)::bigint
            FROM public.job_results
            WHERE finished_at >= \(since) AND state IN ('completed', 'failed')
            GROUP BY tenant_id, queue ORDER BY queue LIMIT 1000
            """)
        var records: [JobUsageRecord] = []
        for row in rows { records.append(try JobUsageRecord(row: row)) }
        return records
    }

    /// The tenant's model tokens since `since` (UTC days, the day of `since` included).
    public func tokens(since: Date) async throws(StoreError) -> Int {
        let rows = try await query(
            """
            SELECT coalesce(sum(tokens), 0)::int8 FROM agent_app.token_usage
            WHERE day >= (\(since) AT TIME ZONE 'UTC')::date
            """)
        guard let row = rows.first else { return 0 }
        do { return try row.decode(Int.self) } catch { throw StoreError(error) }
    }
}
