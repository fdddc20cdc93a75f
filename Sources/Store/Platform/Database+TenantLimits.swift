public import Domain
public import Foundation
import PostgresNIO

/// Reads across tenants for the platform: the limits reconciler's pages and the admins' usage.
extension Database {
    /// Every tenant's limits, a page after `(tenant, queue)` in key order
    /// (`public.tenant_limits_page`, migration 0013).
    public func tenantLimitsPage(after: (tenant: TenantID, queue: String)?, limit: Int) async throws(StoreError) -> [TenantQueueLimitsRecord] {
        let limit = min(max(limit, 1), 10_000)
        let afterTenant = after?.tenant.rawValue
        let afterQueue = after?.queue
        return try await withTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: TenantQueueLimitsRecord.columns)
                FROM public.tenant_limits_page(\(afterTenant), \(afterQueue), \(limit)::integer)
                """, logger: self.logger)
            var records: [TenantQueueLimitsRecord] = []
            for try await row in rows { records.append(try TenantQueueLimitsRecord(row: row)) }
            return records
        }
    }

    /// Finished jobs per tenant and queue since `since`, of one tenant or all (at most 10,000 rows).
    public func jobUsage(since: Date, tenant: TenantID?) async throws(StoreError) -> [JobUsageRecord] {
        let tenantID = tenant?.rawValue
        return try await withTransaction { connection in
            let rows = try await connection.query(
                "SELECT * FROM public.job_usage_since(\(since), \(tenantID))", logger: self.logger)
            var records: [JobUsageRecord] = []
            for try await row in rows { records.append(try JobUsageRecord(row: row)) }
            return records
        }
    }

    /// Model tokens per tenant since `since` (UTC days), of one tenant or all.
    public func tokenUsage(since: Date, tenant: TenantID?) async throws(StoreError) -> [TenantID: Int] {
        let tenantID = tenant?.rawValue
        return try await withTransaction { connection in
            let rows = try await connection.query(
                "SELECT tenant_id, tokens FROM public.token_usage_since((\(since) AT TIME ZONE 'UTC')::date, \(tenantID))",
                logger: self.logger)
            var tokens: [TenantID: Int] = [:]
            for try await row in rows {
                let (tenant, count) = try row.decode((UUID, Int).self)
                tokens[TenantID(tenant)] = count
            }
            return tokens
        }
    }
}
