/// One tenant of a fair queue as `Queue.fairTenants()` lists it.
public struct FairTenant: Sendable, Equatable, Codable {
    /// Why the tenant is not taking turns now.
    public enum Parked: String, Sendable, Codable {
        /// Paused by an admin (`Queue.pause(tenant:)`).
        case paused
        /// At its concurrency limit until one of its jobs leaves active.
        case held
        /// Its rate-limit window is full until `parkedUntil`.
        case rateLimited = "rate-limited"
    }

    public var tenant: String
    /// Runnable jobs in the tenant's turn (waiting and prioritized).
    public var queued: Int
    /// Jobs active now.
    public var running: Int
    public var parked: Parked?
    /// When a rate-limited tenant takes turns again (ms since 1970).
    public var parkedUntil: Int?
    /// The tenant's own settings (nil fields take the queue's defaults).
    public var limits: TenantLimits

    public init(tenant: String, queued: Int, running: Int, parked: Parked?, parkedUntil: Int?, limits: TenantLimits) {
        self.tenant = tenant
        self.queued = queued
        self.running = running
        self.parked = parked
        self.parkedUntil = parkedUntil
        self.limits = limits
    }

    /// Rows of tenant_admin.lua's "tenants" reply: 10 values per tenant.
    static func rows(_ values: [String]) -> [FairTenant] {
        stride(from: 0, to: values.count - values.count % 10, by: 10).map { start in
            let row = Array(values[start..<start + 10])
            var limits = TenantLimits(weight: Int(row[5]), concurrency: Int(row[6]), maxPending: Int(row[9]))
            if let max = Int(row[7]), let duration = Int(row[8]) {
                limits.rateLimit = TenantRateLimit(max: max, duration: .milliseconds(duration))
            }
            let until = Int(row[4]) ?? 0
            return FairTenant(
                tenant: row[0], queued: max(0, Int(row[1]) ?? 0), running: max(0, Int(row[2]) ?? 0),
                parked: Parked(rawValue: row[3]), parkedUntil: until > 0 ? until : nil, limits: limits)
        }
    }
}
