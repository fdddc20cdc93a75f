import Redis

/// tenant_admin.lua: fair-queue settings and one tenant's control (limits, pause, purge, listing).
struct TenantAdminCall: QueueScriptCall {
    static var script: KeyPath<QueueScripts, RedisScript> { \.tenantAdmin }

    enum Action: Sendable {
        /// Make the queue fair (or FIFO, moving up to `batch` queued jobs back to wait per call).
        case configure(fair: Bool, defaults: TenantLimits, batch: Int)
        case limits(TenantLimits)
        case pause
        case resume
        /// One batch of a purge, from `offset` into the tenant index (newest first).
        case purge(offset: Int, batch: Int, includeDelayed: Bool)
        case tenants(limit: Int)
        case queued
    }

    var action: Action
    /// "" for the queue-wide actions.
    var tenant: String = ""

    func keys(_ keys: QueueKeys) -> [String] { [] }

    func arguments(_ keys: QueueKeys) -> [RedisArgument] {
        let head: [RedisArgument] = [.string(keys.base)]
        func text(_ value: Int?) -> RedisArgument { .string(value.map(String.init) ?? "") }
        switch action {
        case .configure(let fair, let defaults, let batch):
            return head + [
                "configure", .string(tenant), fair ? "1" : "0", text(defaults.concurrency), text(defaults.rateLimit?.max),
                text(defaults.rateLimit.map { $0.duration.milliseconds }), .int(max(1, batch)), text(defaults.maxPending),
            ]
        case .limits(let limits):
            return head + [
                "limits", .string(tenant), text(limits.weight), text(limits.concurrency), text(limits.rateLimit?.max),
                text(limits.rateLimit.map { $0.duration.milliseconds }), text(limits.maxPending),
            ]
        case .pause: return head + ["pause", .string(tenant)]
        case .resume: return head + ["resume", .string(tenant)]
        case .purge(let offset, let batch, let includeDelayed):
            return head + ["purge", .string(tenant), .int(max(0, offset)), .int(max(1, batch)), includeDelayed ? "1" : "0"]
        case .tenants(let limit): return head + ["tenants", .string(tenant), .int(max(1, limit))]
        case .queued: return head + ["queued", .string(tenant)]
        }
    }
}
