import Domain
import Foundation
public import Hummingbird
public import Queue

/// `/api/admin/queues`: inspect and steer the queues.
///
/// Platform admins (`service_role`) see and act on every job. Tenant admins see counts and jobs
/// of their own tenant only, and may retry or remove their own jobs; what acts on a queue shared
/// by every tenant (pause, resume, clean) needs a platform admin.
public struct AdminRoutes: Sendable {
    let queues: [String: Queue]
    /// How many of a tenant's most recent jobs a tenant admin's counts look at.
    let tenantScanLimit: Int
    static let pageSize = 50

    public init(queues: [Queue], tenantScanLimit: Int = 1_000) {
        self.queues = Dictionary(uniqueKeysWithValues: queues.map { ($0.name, $0) })
        self.tenantScanLimit = tenantScanLimit
    }

    /// Who acts: every tenant, or one.
    enum Scope {
        case platform
        case tenant(TenantID)

        var tenantID: String? {
            if case .tenant(let tenant) = self { return tenant.description }
            return nil
        }
    }

    struct QueueSummary: Encodable {
        let name: String
        let paused: Bool
        let counts: [String: Int]
        /// Only for tenant admins: the counts cover the tenant's most recent jobs only.
        let countsLimitedTo: Int?
        let workers: [String]
        let completedLastMinute: Int
        let failedLastMinute: Int
    }

    struct Summaries: ResponseEncodable { let queues: [QueueSummary] }
    struct Jobs: ResponseEncodable {
        let jobs: [JobView]
        let page: Int
    }
    struct One: ResponseEncodable { let job: JobView }
    struct Paused: ResponseEncodable {
        let queue: String
        let paused: Bool
    }
    struct Retried: ResponseEncodable { let retried: Int }
    struct Cleaned: ResponseEncodable { let removed: [String] }
    struct CleanInput: Decodable {
        var state: String
        var graceSeconds: Int?
        var limit: Int?
    }

    public func register<Group: RouterMethods<APIRequestContext>>(on routes: RouteRegistrar<Group>) {
        routes.get("/admin/queues", "Every queue: counts by state, paused, workers seen, completed and failed last minute", use: summaries)
        routes.get("/admin/queues/:queue/jobs", "A page of a queue's jobs in a state (state, page)", use: jobs)
        routes.post("/admin/queues/:queue/pause", "Pause a queue for every worker (platform admins)", use: pause)
        routes.post("/admin/queues/:queue/resume", "Resume a paused queue (platform admins)", use: resume)
        routes.post("/admin/queues/:queue/jobs/:id/retry", "Send a failed job back to wait", use: retry)
        routes.post("/admin/queues/:queue/retry-failed", "Send every failed job (a tenant admin's own) back to wait", use: retryFailed)
        routes.delete("/admin/queues/:queue/jobs/:id", "Remove a job that is not running", use: remove)
        routes.post("/admin/queues/:queue/clean", "Delete old jobs of a state (platform admins)", use: clean)
    }

    /// Platform admins, or admins of their tenant; 403 for anyone else.
    static func scope(_ context: APIRequestContext) throws -> Scope {
        let identity = try context.requireIdentity()
        if identity.isPlatformAdmin { return .platform }
        guard let tenant = identity.tenant, identity.role >= .admin else {
            throw HTTPError(.forbidden, message: "queue administration needs the admin role in the tenant")
        }
        return .tenant(tenant)
    }

    static func platformOnly(_ context: APIRequestContext, _ action: String) throws {
        guard case .platform = try scope(context) else {
            throw HTTPError(.forbidden, message: "\(action) acts on a queue every tenant shares; it needs a platform admin")
        }
    }

    func queue(_ context: APIRequestContext) throws -> Queue {
        let name = try context.parameters.require("queue")
        guard let queue = queues[name] else { throw HTTPError(.notFound, message: "no queue named '\(name)'") }
        return queue
    }

    /// The job in the path, if the scope may see it; 404 otherwise.
    func job(_ context: APIRequestContext, in queue: Queue, scope: Scope) async throws -> Job {
        let id = try context.parameters.require("id")
        guard let job = try await queue.job(id), scope.tenantID == nil || job.tenantID == scope.tenantID else {
            throw HTTPError(.notFound, message: "job \(id) not found in queue \(queue.name)")
        }
        return job
    }

    @Sendable func summaries(_ request: Request, context: APIRequestContext) async throws -> Summaries {
        let scope = try Self.scope(context)
        var summaries: [QueueSummary] = []
        for queue in queues.values.sorted(by: { $0.name < $1.name }) {
            var counts: [String: Int] = [:]
            var limitedTo: Int?
            let all = try await queue.counts()
            if let tenant = scope.tenantID {
                for job in try await queue.jobs(tenant: tenant, offset: 0, limit: tenantScanLimit) {
                    counts[try await queue.state(of: job.id).rawValue, default: 0] += 1
                }
                limitedTo = tenantScanLimit
            } else {
                counts = [
                    "waiting": all.waiting, "active": all.active, "prioritized": all.prioritized, "delayed": all.delayed,
                    "completed": all.completed, "failed": all.failed, "waiting-children": all.waitingChildren,
                ]
            }
            summaries.append(QueueSummary(
                name: queue.name, paused: all.paused, counts: counts, countsLimitedTo: limitedTo,
                workers: try await queue.workersSeen(),
                completedLastMinute: try await queue.metrics(.completed, minutes: 1).perMinute.first ?? 0,
                failedLastMinute: try await queue.metrics(.failed, minutes: 1).perMinute.first ?? 0))
        }
        return Summaries(queues: summaries)
    }

    @Sendable func jobs(_ request: Request, context: APIRequestContext) async throws -> Jobs {
        let scope = try Self.scope(context)
        let queue = try queue(context)
        guard let state = try JobRoutes.stateFilter(request) else {
            throw invalid("state", "is required (waiting, prioritized, delayed, active, completed, failed, waiting-children)")
        }
        var page = 1
        if let text = request.uri.queryParameters["page"] {
            guard let value = Int(String(text)), (1...10_000).contains(value) else { throw invalid("page", "must be between 1 and 10000") }
            page = value
        }
        let offset = (page - 1) * Self.pageSize
        var views: [JobView] = []
        if let tenant = scope.tenantID {
            // The tenant index, newest first, filtered by state: pages count matching jobs.
            var skipped = 0
            var indexOffset = 0
            scan: while views.count < Self.pageSize && indexOffset < tenantScanLimit * 10 {
                let batch = try await queue.jobs(tenant: tenant, offset: indexOffset, limit: 200)
                if batch.isEmpty { break }
                indexOffset += batch.count
                for job in batch where try await queue.state(of: job.id) == state {
                    if skipped < offset { skipped += 1; continue }
                    views.append(JobView(job, state: state))
                    if views.count == Self.pageSize { break scan }
                }
            }
        } else {
            for job in try await queue.jobs(in: state, offset: offset, limit: Self.pageSize) {
                views.append(JobView(job, state: state))
            }
        }
        return Jobs(jobs: views, page: page)
    }

    @Sendable func pause(_ request: Request, context: APIRequestContext) async throws -> Paused {
        try Self.platformOnly(context, "pausing")
        let queue = try queue(context)
        try await queue.pause()
        return Paused(queue: queue.name, paused: true)
    }

    @Sendable func resume(_ request: Request, context: APIRequestContext) async throws -> Paused {
        try Self.platformOnly(context, "resuming")
        let queue = try queue(context)
        try await queue.resume()
        return Paused(queue: queue.name, paused: false)
    }

    @Sendable func retry(_ request: Request, context: APIRequestContext) async throws -> One {
        let scope = try Self.scope(context)
        let queue = try queue(context)
        let job = try await job(context, in: queue, scope: scope)
        try await queue.retry(job.id)
        guard let retried = try await queue.job(job.id) else { throw HTTPError(.notFound, message: "job \(job.id) vanished") }
        return One(job: JobView(retried, state: try await queue.state(of: job.id)))
    }

    @Sendable func retryFailed(_ request: Request, context: APIRequestContext) async throws -> Retried {
        let scope = try Self.scope(context)
        let queue = try queue(context)
        guard let tenant = scope.tenantID else { return Retried(retried: try await queue.retryAllFailed()) }
        var retried = 0
        var offset = 0
        while offset < tenantScanLimit * 10 {
            let batch = try await queue.jobs(tenant: tenant, offset: offset, limit: 200)
            if batch.isEmpty { break }
            offset += batch.count
            for job in batch where try await queue.state(of: job.id) == .failed {
                try await queue.retry(job.id)
                retried += 1
            }
        }
        return Retried(retried: retried)
    }

    @Sendable func remove(_ request: Request, context: APIRequestContext) async throws -> HTTPResponse.Status {
        let scope = try Self.scope(context)
        let queue = try queue(context)
        let job = try await job(context, in: queue, scope: scope)
        try await queue.remove(job.id)
        return .noContent
    }

    @Sendable func clean(_ request: Request, context: APIRequestContext) async throws -> Cleaned {
        try Self.platformOnly(context, "cleaning")
        let queue = try queue(context)
        let input = try await request.decodeInput(CleanInput.self, context: context)
        let cleanable: [JobState] = [.completed, .failed, .delayed, .waiting, .prioritized]
        guard let state = JobState(rawValue: input.state), cleanable.contains(state) else {
            throw invalid("state", "must be one of \(cleanable.map(\.rawValue).joined(separator: ", "))")
        }
        let grace = input.graceSeconds ?? 0
        guard grace >= 0 else { throw invalid("graceSeconds", "must not be negative") }
        let limit = input.limit ?? 1_000
        guard (1...100_000).contains(limit) else { throw invalid("limit", "must be between 1 and 100000") }
        return Cleaned(removed: try await queue.clean(state, grace: .seconds(grace), limit: limit))
    }
}
