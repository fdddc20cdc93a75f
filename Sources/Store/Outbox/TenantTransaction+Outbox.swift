import Domain
import PostgresNIO

extension TenantTransaction {
    /// Records `job` as promised, in this transaction: it commits with the rows that made the
    /// promise or not at all. Recording the same job twice keeps the first.
    public func enqueue(_ job: OutboxJob) async throws(StoreError) {
        guard job.tenant == tenant else {
            throw StoreError(kind: .permissionDenied, message: "an outbox job must belong to the transaction's tenant")
        }
        try await query(
            """
            INSERT INTO public.job_outbox (tenant_id, queue, job_id, name, data, options)
            VALUES (\(tenant.rawValue), \(job.queue), \(job.jobID), \(job.name), \(job.data), \(job.options))
            ON CONFLICT (tenant_id, queue, job_id) DO NOTHING
            """)
    }
}
