/// A tenant's pending jobs in a queue and the cap on them (`Queue.pendingLoad(tenant:)`).
public struct TenantPendingLoad: Sendable, Equatable {
    /// Waiting, prioritized and delayed jobs, as the tenant's counts hold them.
    public var pending: Int
    /// Its max pending (its own, else the queue's default), or nil: no cap.
    public var limit: Int?

    public init(pending: Int, limit: Int?) {
        self.pending = pending
        self.limit = limit
    }

    /// Whether `count` more jobs stay within the cap.
    public func allows(adding count: Int) -> Bool {
        guard let limit else { return true }
        let (total, overflow) = pending.addingReportingOverflow(max(0, count))
        return !overflow && total <= limit
    }
}
