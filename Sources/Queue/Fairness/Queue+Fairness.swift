public import Redis

/// Fair queues and per-tenant control (our extension of BullMQ's layout).
///
/// In a fair queue each tenant's runnable jobs are kept apart and workers serve the tenants in
/// turns, weighted, so one tenant's backlog cannot starve another: a tenant that adds a job waits
/// for at most one job of each other tenant. Jobs without a tenant (added to `wait` by any BullMQ
/// producer) take turns as one more tenant. Within a tenant, priorities, LIFO and delays apply as
/// usual. The setting lives in the queue's meta, so every worker agrees on it. BullMQ's own
/// workers do not know the tenants' sets: on a fair queue they only see the jobs without a
/// tenant.
extension Queue {
    /// Makes the queue fair, with per-tenant defaults (`nil` fields: no limit). Jobs already in
    /// `wait` stay there and take turns as the tenant without a name.
    public func makeFair(defaults: TenantLimits = TenantLimits()) async throws {
        try defaults.validate()
        _ = try await run(TenantAdminCall(action: .configure(fair: true, defaults: defaults, batch: 1)))
    }

    /// Makes the queue first-in first-out again: the tenants' queued jobs move back to wait, in
    /// batches of `batch` per script call. Returns how many moved.
    @discardableResult
    public func makeFIFO(batch: Int = 1000) async throws -> Int {
        var moved = 0
        while true {
            let reply = try await run(TenantAdminCall(action: .configure(fair: false, defaults: TenantLimits(), batch: batch)))
            let numbers = try Self.numbers(reply, count: 2, script: "tenant admin")
            moved += numbers[0]
            if numbers[1] == 0 { return moved }
        }
    }

    /// Whether the queue serves tenants in turns.
    public func isFair() async throws -> Bool {
        try await redis.execute(RedisCommand("HGET", [.string(keys.meta), "fair"], keyArguments: 0..<1), as: String?.self) == "1"
    }

    /// The tenant's weight and limits in this queue (a nil field: the queue's default). A tenant
    /// waiting on its old limits is judged by the new ones at its next turn.
    public func setLimits(_ limits: TenantLimits, tenant: String) async throws {
        try limits.validate()
        try Self.checkTenant(tenant)
        _ = try await run(TenantAdminCall(action: .limits(limits), tenant: tenant))
    }

    /// Stops workers from starting the tenant's jobs in this fair queue; other tenants go on.
    /// Its jobs can still be added; running ones finish.
    public func pause(tenant: String) async throws {
        try Self.checkTenant(tenant)
        _ = try await run(TenantAdminCall(action: .pause, tenant: tenant))
    }

    /// Whether the tenant's jobs are paused in this queue.
    public func isPaused(tenant: String) async throws -> Bool {
        try await redis.execute(
            RedisCommand("HEXISTS", [.string(keys.base + "tl:" + tenant), "paused"], keyArguments: 0..<1), as: Int.self) == 1
    }

    public func resume(tenant: String) async throws {
        try Self.checkTenant(tenant)
        _ = try await run(TenantAdminCall(action: .resume, tenant: tenant))
    }

    /// Removes the tenant's jobs that have not started (waiting and prioritized, and delayed
    /// unless `includeDelayed` is false), found through the tenant index, in batches of `batch`.
    /// In a fair queue the tenant is paused meanwhile, so none of its jobs starts mid-purge; it
    /// is resumed after unless it was paused before. Running and finished jobs are kept. Returns
    /// how many were removed (not their ids: a purge may remove millions).
    @discardableResult
    public func purge(tenant: String, includeDelayed: Bool = true, batch: Int = 1000) async throws -> Int {
        try Self.checkTenant(tenant)
        let fair = try await isFair()
        let wasPaused = try await isPaused(tenant: tenant)
        if fair && !wasPaused { try await pause(tenant: tenant) }
        var removed = 0
        var offset = 0
        do {
            while offset >= 0 {
                let reply = try await run(
                    TenantAdminCall(action: .purge(offset: offset, batch: min(max(1, batch), 10_000), includeDelayed: includeDelayed), tenant: tenant)
                )
                guard case .array(let array) = reply.value, array.count == 3 else {
                    throw QueueError(.unexpectedReply, "tenant purge returned \(reply)")
                }
                let parts = Array(array)
                offset = try Int(fromRESP: parts[1])
                removed += max(0, try Int(fromRESP: parts[0]))
            }
        } catch {
            if fair && !wasPaused { try? await resume(tenant: tenant) }
            throw error
        }
        if fair && !wasPaused { try await resume(tenant: tenant) }
        return removed
    }

    /// The tenants of a fair queue with queued or running jobs, settings or a pause, by name (at
    /// most `limit`).
    public func fairTenants(limit: Int = 1000) async throws -> [FairTenant] {
        let reply = try await run(TenantAdminCall(action: .tenants(limit: min(max(1, limit), 10_000))))
        return FairTenant.rows(try [String](fromRESP: reply))
    }

    /// One tenant's row of `fairTenants()`, or nil when it has nothing queued, running or set.
    public func fairTenant(_ tenant: String) async throws -> FairTenant? {
        try Self.checkTenant(tenant)
        let reply = try await run(TenantAdminCall(action: .tenants(limit: 1), tenant: tenant))
        return FairTenant.rows(try [String](fromRESP: reply)).first { $0.tenant == tenant }
    }

    /// A tenant's pending jobs (waiting, prioritized, delayed, from its counts) and the cap that
    /// applies to it: its own max pending, else the queue's default, else none.
    public func pendingLoad(tenant: String) async throws -> TenantPendingLoad {
        let cap = try await pendingCap(tenant: tenant)
        return TenantPendingLoad(pending: try await pendingCount(tenant: tenant), limit: cap)
    }

    /// The max pending jobs that applies to the tenant: its own, else the queue's default, else
    /// none.
    public func pendingCap(tenant: String) async throws -> Int? {
        let replies = try await redis.pipeline([
            RedisCommand("HGET", [.string(keys.base + "tl:" + tenant), "maxPending"], keyArguments: 0..<1),
            RedisCommand("HGET", [.string(keys.meta), "fair.maxPending"], keyArguments: 0..<1),
        ])
        let own = try String?(fromRESP: replies[0]).flatMap { Int($0) }
        return try own ?? String?(fromRESP: replies[1]).flatMap { Int($0) }
    }

    /// The tenant's pending jobs (waiting, prioritized, delayed), from its counts.
    public func pendingCount(tenant: String) async throws -> Int {
        let counts = try await redis.execute(
            RedisCommand("HMGET", [.string(keys.tenantCounts(tenant)), "waiting", "prioritized", "delayed"], keyArguments: 0..<1),
            as: [String?].self
        ).map { value in max(0, value.flatMap { Int($0) } ?? 0) }
        // Counts are bounded by Redis memory; the sum saturates rather than trapping.
        return counts.reduce(0) { total, count in total.addingReportingOverflow(count).overflow ? Int.max : total + count }
    }

    /// The queue's defaults for tenants without their own value (weight is always 1).
    public func tenantDefaults() async throws -> TenantLimits {
        let values = try await redis.execute(
            RedisCommand(
                "HMGET", [.string(keys.meta), "fair.concurrency", "fair.rateMax", "fair.rateDuration", "fair.maxPending"],
                keyArguments: 0..<1), as: [String?].self
        ).map { $0.flatMap { Int($0) } }
        guard values.count == 4 else { throw QueueError(.unexpectedReply, "HMGET of the queue's meta returned \(values.count) values") }
        var defaults = TenantLimits(concurrency: values[0], maxPending: values[3])
        if let max = values[1], let duration = values[2] { defaults.rateLimit = TenantRateLimit(max: max, duration: .milliseconds(duration)) }
        return defaults
    }

    /// Jobs queued in the tenants' turns of a fair queue: (waiting, prioritized).
    func fairQueued() async throws -> (waiting: Int, prioritized: Int) {
        let numbers = try Self.numbers(try await run(TenantAdminCall(action: .queued)), count: 2, script: "tenant admin")
        return (numbers[0], numbers[1])
    }

    static func checkTenant(_ tenant: String) throws(QueueError) {
        guard !tenant.isEmpty, tenant.utf8.count <= 255 else {
            throw QueueError(.invalidOption, "tenant must be 1 to 255 bytes")
        }
    }

    static func numbers(_ reply: RESPToken, count: Int, script: String) throws(QueueError) -> [Int] {
        guard let numbers = try? [Int](fromRESP: reply), numbers.count == count else {
            throw QueueError(.unexpectedReply, "\(script) script returned \(reply)")
        }
        return numbers
    }
}
