import Synchronization

/// Bounds the `tenant` label of the per-tenant metrics: the first `capacity` tenants a process
/// sees get their own label, every later one is counted under `other`, and jobs without a
/// tenant under `none`. So a worker exports at most `capacity + 2` tenant series per metric and
/// queue, however many tenants there are; the full per-tenant figures are in PostgreSQL
/// (`GET /api/admin/usage`). A tenant id longer than 64 characters (a foreign producer's
/// value) is counted as `other` too.
public final class TenantMetricLabels: Sendable {
    /// Tenants with their own label at most.
    public let capacity: Int
    private let admitted: Mutex<Set<String>>

    public static let other = "other"
    public static let none = "none"
    static let longestTenant = 64

    public init(capacity: Int = 100) {
        self.capacity = max(0, capacity)
        self.admitted = Mutex([])
    }

    /// The label to count the tenant under.
    public func label(for tenant: String?) -> String {
        guard let tenant, !tenant.isEmpty else { return Self.none }
        guard tenant.utf8.count <= Self.longestTenant, tenant != Self.other, tenant != Self.none else { return Self.other }
        return admitted.withLock { admitted in
            if admitted.contains(tenant) { return tenant }
            guard admitted.count < capacity else { return Self.other }
            admitted.insert(tenant)
            return tenant
        }
    }
}
