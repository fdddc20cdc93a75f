public import Domain
public import Foundation
import PostgresNIO

/// Jobs one tenant finished in one queue over a period, and the time they took (metering).
public struct JobUsageRecord: Sendable, Equatable {
    public var tenant: TenantID
    public var queue: String
    public var completed: Int
    public var failed: Int
    /// Summed from each job's start to its finish, in milliseconds.
    public var processingMs: Int

    init(row: PostgresRow) throws(StoreError) {
        do {
            let (tenant, queue, completed, failed, processing) = try row.decode((UUID, String, Int, Int, Int).self)
            self.tenant = TenantID(tenant)
            self.queue = queue
            self.completed = completed
            self.failed = failed
            self.processingMs = processing
        } catch {
            throw StoreError(error)
        }
    }
}
