import Domain
import Foundation
import Hummingbird
import Logging
import Queue
import Store

/// `/api/admin/queues/{queue}/tenants`: one tenant's slice of a queue. Platform admins set a
/// tenant's limits; a tenant admin reads its own limits and pauses, resumes and purges its own
/// jobs (another tenant's slice answers 404, as if it did not exist). Limits and pauses are kept
/// in `public.tenant_queue_limits` and mirrored into Redis for the workers' scripts
/// (``TenantLimitsReconciler`` restores what Redis loses).
extension APIHandler {
    /// The tenant in the path, when the caller may act on its slice.
    func tenantSlice(_ text: String) throws -> TenantID {
        guard let tenant = TenantID(uuidString: text) else { throw invalid("tenantId", "must be a UUID") }
        switch try adminScope() {
        case .platform: return tenant
        case .tenant(let own):
            guard own == tenant else { throw HTTPError(.notFound, message: "tenant \(text) not found") }
            return tenant
        }
    }

    func listQueueTenants(_ input: Operations.ListQueueTenants.Input) async throws -> Operations.ListQueueTenants.Output {
        let scope = try adminReadScope()
        let queue = try queue(input.path.queue)
        let fair = try await queue.isFair()
        var tenants: [FairTenant] = []
        if fair, let own = scope.tenantID {
            tenants = try await queue.fairTenant(own.description).map { [$0] } ?? []
        } else if fair {
            tenants = try await queue.fairTenants(limit: 1_000)
        }
        let rows: [Components.Schemas.QueueTenant] = tenants.map { tenant in Components.Schemas.QueueTenant(tenant) }
        let list = Components.Schemas.QueueTenantList(queue: input.path.queue, fair: fair, tenants: rows)
        return .ok(.init(body: .json(list)))
    }

    func getTenantLimits(_ input: Operations.GetTenantLimits.Input) async throws -> Operations.GetTenantLimits.Output {
        let tenant = try tenantSlice(input.path.tenantId)
        let queue = try queue(input.path.queue)
        let record = try await database.withTenant(tenant) { tx in try await tx.queueLimits(queue.name) }
        return .ok(.init(body: .json(try await limitsView(record, tenant: tenant, queue: input.path.queue))))
    }

    /// Replaces the tenant's limits: PostgreSQL first (the record), then Redis (what the workers
    /// read). A Redis failure after the commit is answered 503 and put right by the reconciler.
    func setTenantLimits(_ input: Operations.SetTenantLimits.Input) async throws -> Operations.SetTenantLimits.Output {
        try requirePlatformAdmin("changing a tenant's limits")
        let tenant = try tenantSlice(input.path.tenantId)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType, message: "send the limits as JSON") }
        let queue = try queue(input.path.queue)
        var limits = TenantLimits(weight: body.weight, concurrency: body.concurrency, maxPending: body.maxPending)
        if let rate = body.rateLimit {
            let window: Duration = .milliseconds(rate.durationMs)
            limits.rateLimit = TenantRateLimit(max: rate.max, duration: window)
        }
        do {
            try limits.validate()
        } catch {
            throw HTTPError(.badRequest, message: error.message)
        }
        var wanted = TenantQueueLimitsRecord(tenant: tenant, queue: queue.name)
        wanted.weight = limits.weight
        wanted.concurrency = limits.concurrency
        wanted.rateMax = body.rateLimit?.max
        wanted.rateDurationMs = body.rateLimit?.durationMs
        wanted.maxPending = limits.maxPending
        let stored = wanted
        let record = try await withKnownTenant(tenant) { tx in try await tx.setQueueLimits(stored) }
        try await queue.setLimits(limits, tenant: tenant.description)
        PendingCapCache.shared.forget(queue, tenant: tenant.description)
        return .ok(.init(body: .json(try await limitsView(record, tenant: tenant, queue: input.path.queue))))
    }

    func pauseTenant(_ input: Operations.PauseTenant.Input) async throws -> Operations.PauseTenant.Output {
        let tenant = try tenantSlice(input.path.tenantId)
        try await setPaused(true, tenant: tenant, queue: try queue(input.path.queue))
        return .ok(.init(body: .json(.init(queue: input.path.queue, tenantId: tenant.description, paused: true))))
    }

    func resumeTenant(_ input: Operations.ResumeTenant.Input) async throws -> Operations.ResumeTenant.Output {
        let tenant = try tenantSlice(input.path.tenantId)
        try await setPaused(false, tenant: tenant, queue: try queue(input.path.queue))
        return .ok(.init(body: .json(.init(queue: input.path.queue, tenantId: tenant.description, paused: false))))
    }

    func purgeTenant(_ input: Operations.PurgeTenant.Input) async throws -> Operations.PurgeTenant.Output {
        let tenant = try tenantSlice(input.path.tenantId)
        let removed = try await queue(input.path.queue).purge(tenant: tenant.description)
        let metadata: Logger.Metadata = [
            "queue": .string(input.path.queue.rawValue), "tenant": .string(tenant.description), "removed": .stringConvertible(removed),
        ]
        dependencies.logger.notice("purged a tenant's pending jobs", metadata: metadata)
        return .ok(.init(body: .json(.init(removed: removed))))
    }

    /// Records the pause in PostgreSQL, then applies it in Redis.
    private func setPaused(_ paused: Bool, tenant: TenantID, queue: Queue) async throws {
        _ = try await withKnownTenant(tenant) { tx in try await tx.setQueuePaused(queue.name, paused: paused) }
        if paused {
            try await queue.pause(tenant: tenant.description)
        } else {
            try await queue.resume(tenant: tenant.description)
        }
    }

    /// A write of a tenant's limits row for a tenant a platform admin named: one that does not
    /// exist answers 404. (Not generic: Swift 6.3's mandatory SIL passes never finish on the
    /// generic form of this function.)
    private func withKnownTenant(
        _ tenant: TenantID, _ body: @escaping @Sendable (TenantTransaction) async throws -> TenantQueueLimitsRecord
    ) async throws -> TenantQueueLimitsRecord {
        let outcome: Swift.Result<TenantQueueLimitsRecord, any Error>
        do {
            outcome = .success(try await database.withTenant(tenant, body))
        } catch {
            outcome = .failure(error)
        }
        if case .failure(let error as StoreError) = outcome, error.kind == .foreignKeyViolation {
            throw HTTPError(.notFound, message: "tenant \(tenant) not found")
        }
        return try outcome.get()
    }

    private func limitsView(
        _ record: TenantQueueLimitsRecord?, tenant: TenantID, queue name: Components.Schemas.QueueName
    ) async throws -> Components.Schemas.TenantLimits {
        let queue = try queue(name)
        let defaults = try await queue.tenantDefaults()
        let fair = try await queue.isFair()
        var shownDefaults = Components.Schemas.TenantLimitDefaults()
        shownDefaults.concurrency = defaults.concurrency
        if let rate = defaults.rateLimit { shownDefaults.rateLimit = Components.Schemas.RateLimit(rate) }
        shownDefaults.maxPending = defaults.maxPending
        var view = Components.Schemas.TenantLimits(
            queue: name, tenantId: tenant.description, paused: record?.paused ?? false, fair: fair, defaults: shownDefaults)
        view.weight = record?.weight
        view.concurrency = record?.concurrency
        if let rateMax = record?.rateMax, let duration = record?.rateDurationMs {
            view.rateLimit = Components.Schemas.RateLimit(max: rateMax, durationMs: duration)
        }
        view.maxPending = record?.maxPending
        return view
    }
}

extension Components.Schemas.QueueTenant {
    init(_ tenant: FairTenant) {
        self.init(tenantId: tenant.tenant, queued: tenant.queued, running: tenant.running)
        parked = tenant.parked.flatMap { ParkedPayload(rawValue: $0.rawValue) }
        parkedUntil = tenant.parkedUntil.map(APIHandler.date)
        weight = tenant.limits.weight
        concurrency = tenant.limits.concurrency
        if let rate = tenant.limits.rateLimit { rateLimit = Components.Schemas.RateLimit(rate) }
        maxPending = tenant.limits.maxPending
    }
}

extension Components.Schemas.RateLimit {
    init(_ limit: TenantRateLimit) {
        self.init(max: limit.max, durationMs: limit.duration.milliseconds)
    }
}
