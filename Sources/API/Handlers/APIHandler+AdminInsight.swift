import Domain
import Foundation
import Hummingbird
import Queue
import Redis
import Store

/// What the admin dashboard reads besides the queues' jobs: who is signed in, throughput per
/// minute, Redis's memory, and the job search in PostgreSQL.
extension APIHandler {
    static let searchPageSize = 50

    /// Who reads: a platform admin everything, or the tenant it filters on; a tenant's users,
    /// whatever their role, their own tenant only (naming another answers 404, as if it did not
    /// exist). Acting needs ``adminScope()`` on top.
    func adminReadScope(filter: String? = nil) throws -> AdminScope {
        let identity = try context.requireIdentity()
        var asked: TenantID?
        if let filter {
            guard let tenant = TenantID(uuidString: filter) else { throw invalid("tenant", "must be a UUID") }
            asked = tenant
        }
        if identity.isPlatformAdmin { return asked.map { .tenant($0) } ?? .platform }
        guard let own = identity.tenant else {
            throw HTTPError(.forbidden, message: "the admin routes need a token for a tenant, or a platform admin's")
        }
        if let asked, asked != own { throw HTTPError(.notFound, message: "tenant \(asked) not found") }
        return .tenant(own)
    }

    func getAdminSession(_ input: Operations.GetAdminSession.Input) async throws -> Operations.GetAdminSession.Output {
        let identity = try context.requireIdentity()
        let session: Components.Schemas.AdminSession
        if identity.isPlatformAdmin {
            session = .init(platformAdmin: true, tenantId: identity.tenant?.description, role: .platform, readOnly: false)
        } else {
            guard let tenant = identity.tenant else {
                throw HTTPError(.forbidden, message: "the admin routes need a token for a tenant, or a platform admin's")
            }
            session = .init(
                platformAdmin: false, tenantId: tenant.description, role: .init(rawValue: identity.role.rawValue) ?? .viewer,
                readOnly: identity.role < .admin)
        }
        return .ok(.init(body: .json(session)))
    }

    func getQueueMetrics(_ input: Operations.GetQueueMetrics.Input) async throws -> Operations.GetQueueMetrics.Output {
        let scope = try adminReadScope(filter: input.query.tenant)
        let queue = try queue(input.path.queue)
        let minutes = input.query.minutes ?? 60
        // The last minute is the one in progress, counted so far.
        let now = Date()
        let end = Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / 60).rounded(.down) + 1) * 60)
        let completed: [Int]
        let failed: [Int]
        if let tenant = scope.tenantID {
            let counts = try await queue.tenantMetrics(tenant: tenant, minutes: minutes)
            (completed, failed) = (counts.completed, counts.failed)
        } else {
            // The queue keeps whole minutes newest first and may keep fewer than asked (older
            // minutes are 0); the minute in progress comes last.
            func series(_ kind: MetricsKind) async throws -> [Int] {
                let metrics = try await queue.metrics(kind, minutes: minutes)
                let whole = metrics.perMinute.prefix(minutes - 1)
                return Array(repeating: 0, count: minutes - 1 - whole.count) + whole.reversed() + [metrics.currentMinute]
            }
            completed = try await series(.completed)
            failed = try await series(.failed)
        }
        let metrics = Components.Schemas.QueueMetrics(
            queue: input.path.queue, minutes: minutes, completed: completed, failed: failed, endsAt: end)
        return .ok(.init(body: .json(metrics)))
    }

    func searchJobs(_ input: Operations.SearchJobs.Input) async throws -> Operations.SearchJobs.Output {
        let scope = try adminReadScope(filter: input.query.tenant)
        let query = input.query
        guard query.text != nil || query.id != nil || query.name != nil else {
            throw invalid("text", "give a piece of the failure text, a job id or a job name to search for")
        }
        let page = query.page ?? 1
        // page ≤ 200 (the document's bound), so the offset stays small.
        let searchScope: JobResultSearch.Scope
        switch scope {
        case .platform: searchScope = .everyTenant
        case .tenant(let tenant): searchScope = .tenant(tenant)
        }
        let search = JobResultSearch(
            scope: searchScope, queue: query.queue?.rawValue, jobID: query.id, name: query.name,
            text: query.text, state: query.state.flatMap { JobResultRecord.State(rawValue: $0.rawValue) },
            limit: Self.searchPageSize, offset: (page - 1) * Self.searchPageSize)
        let found = try await database.findJobResults(search)
        let results = found.map { row in
            Components.Schemas.JobSearchResult(
                queue: row.queue, jobId: row.jobID, tenantId: row.tenant.description, name: row.name,
                state: .init(rawValue: row.state.rawValue) ?? .failed, attempts: row.attempts, error: row.error,
                enqueuedAt: row.enqueuedAt, finishedAt: row.finishedAt, updatedAt: row.updatedAt)
        }
        return .ok(.init(body: .json(.init(results: results, page: page))))
    }

    /// Redis's memory and version for the overview (platform admins only).
    func redisInfo() async throws -> Components.Schemas.RedisInfo? {
        guard let redis = dependencies.queues.first?.redis else { return nil }
        let text = try await redis.execute(RedisCommand("INFO", ["server", "memory"]), as: String.self)
        guard let memory = RedisMemory(info: text) else { return nil }
        let version =
            text.split(whereSeparator: \.isNewline).first { $0.hasPrefix("redis_version:") }
            .map { String($0.dropFirst("redis_version:".count)) } ?? "unknown"
        return .init(usedMemoryBytes: memory.usedBytes, maxMemoryBytes: memory.maximumBytes ?? 0, version: version)
    }
}
