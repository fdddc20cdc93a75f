import Domain
import Foundation
import Hummingbird
import Queue

/// `/api/admin/queues`: inspect and steer the queues.
///
/// Platform admins (`service_role`) see and act on every job, and may filter on one tenant. A
/// tenant's users see counts and jobs of their own tenant only (viewers and members read, as the
/// dashboard's read-only mode); its admins may also retry or remove its jobs. What acts on a
/// queue shared by every tenant (pause, resume, clean) needs a platform admin.
extension APIHandler {
    static let adminPageSize = 50

    /// Who acts: every tenant, or one.
    enum AdminScope {
        case platform
        case tenant(TenantID)

        var tenantID: String? {
            if case .tenant(let tenant) = self { return tenant.description }
            return nil
        }
    }

    /// Platform admins, or admins of their tenant; 403 for anyone else.
    func adminScope() throws -> AdminScope {
        let identity = try context.requireIdentity()
        if identity.isPlatformAdmin { return .platform }
        guard let tenant = identity.tenant, identity.role >= .admin else {
            throw HTTPError(.forbidden, message: "queue administration needs the admin role in the tenant")
        }
        return .tenant(tenant)
    }

    func requirePlatformAdmin(_ action: String) throws {
        guard case .platform = try adminScope() else {
            throw HTTPError(.forbidden, message: "\(action) acts on a queue every tenant shares; it needs a platform admin")
        }
    }

    /// The job in the path, if the scope may see it; 404 otherwise.
    func adminJob(_ id: String, in queue: Queue, scope: AdminScope) async throws -> Job {
        guard let job = try await queue.job(id), scope.tenantID == nil || job.tenantID == scope.tenantID else {
            throw HTTPError(.notFound, message: "job \(id) not found in queue \(queue.name)")
        }
        return job
    }

    func listQueueSummaries(_ input: Operations.ListQueueSummaries.Input) async throws -> Operations.ListQueueSummaries.Output {
        let scope = try adminReadScope(filter: input.query.tenant)
        let platform = try context.requireIdentity().isPlatformAdmin
        var summaries: [Components.Schemas.QueueSummary] = []
        for name in Components.Schemas.QueueName.allCases {
            let queue = try queue(name)
            let all = try await queue.counts()
            let counts: Queue.Counts
            if let tenant = scope.tenantID { counts = try await queue.counts(tenant: tenant) } else { counts = all }
            // Workers and last-minute throughput are the whole platform's: a tenant's users do
            // not learn other tenants' volume from them (empty and 0 in the tenant's view).
            summaries.append(
                .init(
                    name: name, paused: all.paused,
                    counts: .init(
                        waiting: counts.waiting, active: counts.active, prioritized: counts.prioritized, delayed: counts.delayed,
                        completed: counts.completed, failed: counts.failed, waitingChildren: counts.waitingChildren),
                    workers: platform ? try await queue.workersSeen() : [],
                    completedLastMinute: platform ? try await queue.metrics(.completed, minutes: 1).perMinute.first ?? 0 : 0,
                    failedLastMinute: platform ? try await queue.metrics(.failed, minutes: 1).perMinute.first ?? 0 : 0))
        }
        return .ok(.init(body: .json(.init(queues: summaries, redis: platform ? try await redisInfo() : nil))))
    }

    func listQueueJobs(_ input: Operations.ListQueueJobs.Input) async throws -> Operations.ListQueueJobs.Output {
        let scope = try adminReadScope(filter: input.query.tenant)
        let queue = try queue(input.path.queue)
        let state = try stored(input.query.state.rawValue, as: JobState.self, "state")
        let page = input.query.page ?? 1
        let order: JobListOrder? = input.query.order.map { $0 == .oldest ? .oldestFirst : .newestFirst }
        // At most 10,000 pages of 50: the document bounds `page`, so this cannot overflow.
        let offset = (page - 1) * Self.adminPageSize
        let found: [Job]
        if let tenant = scope.tenantID {
            found = try await queue.jobs(tenant: tenant, in: state, offset: offset, limit: Self.adminPageSize, order: order ?? .newestFirst)
        } else if let order {
            found = try await queue.jobs(in: state, offset: offset, limit: Self.adminPageSize, order: order)
        } else {
            found = try await queue.jobs(in: state, offset: offset, limit: Self.adminPageSize)
        }
        return .ok(.init(body: .json(.init(jobs: try found.map { try .init($0, state: state) }, page: page))))
    }

    func pauseQueue(_ input: Operations.PauseQueue.Input) async throws -> Operations.PauseQueue.Output {
        try requirePlatformAdmin("pausing")
        try await queue(input.path.queue).pause()
        return .ok(.init(body: .json(.init(queue: input.path.queue, paused: true))))
    }

    func getQueueLimits(_ input: Operations.GetQueueLimits.Input) async throws -> Operations.GetQueueLimits.Output {
        try requirePlatformAdmin("reading a queue's limits")
        let limits = try await queue(input.path.queue).limits()
        return .ok(.init(body: .json(Self.limitsView(limits, queue: input.path.queue))))
    }

    /// Replaces both limits: an absent field removes that limit (the document bounds the values).
    func setQueueLimits(_ input: Operations.SetQueueLimits.Input) async throws -> Operations.SetQueueLimits.Output {
        try requirePlatformAdmin("changing a queue's limits")
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType, message: "send the limits as JSON") }
        let queue = try queue(input.path.queue)
        try await queue.setGlobalConcurrency(body.concurrency)
        if let rate = body.rateLimit {
            try await queue.setGlobalRateLimit(max: rate.max, duration: .milliseconds(rate.durationMs))
        } else {
            try await queue.setGlobalRateLimit(max: nil)
        }
        return .ok(.init(body: .json(Self.limitsView(try await queue.limits(), queue: input.path.queue))))
    }

    static func limitsView(_ limits: QueueLimits, queue: Components.Schemas.QueueName) -> Components.Schemas.QueueLimits {
        .init(
            queue: queue, concurrency: limits.concurrency,
            rateLimit: limits.rateLimit.map { .init(max: $0.max, durationMs: $0.duration.milliseconds) },
            heldForMs: limits.heldFor?.milliseconds)
    }

    func resumeQueue(_ input: Operations.ResumeQueue.Input) async throws -> Operations.ResumeQueue.Output {
        try requirePlatformAdmin("resuming")
        try await queue(input.path.queue).resume()
        return .ok(.init(body: .json(.init(queue: input.path.queue, paused: false))))
    }

    func retryJob(_ input: Operations.RetryJob.Input) async throws -> Operations.RetryJob.Output {
        let job = try await actOnJob(input.path.id, in: input.path.queue) { queue, id in try await queue.retry(id) }
        return .ok(.init(body: .json(.init(job: job))))
    }

    /// Runs `action` on a job the caller may act on, and answers the job as it is afterwards.
    func actOnJob(
        _ id: String, in name: Components.Schemas.QueueName, _ action: (Queue, String) async throws -> Void
    ) async throws -> Components.Schemas.Job {
        let scope = try adminScope()
        let queue = try queue(name)
        let job = try await adminJob(id, in: queue, scope: scope)
        try await action(queue, job.id)
        guard let after = try await queue.job(job.id) else { throw HTTPError(.notFound, message: "job \(job.id) vanished") }
        return try .init(after, state: try await queue.state(of: job.id))
    }

    func retryFailedJobs(_ input: Operations.RetryFailedJobs.Input) async throws -> Operations.RetryFailedJobs.Output {
        let scope = try adminScope()
        let queue = try queue(input.path.queue)
        guard let tenant = scope.tenantID else { return .ok(.init(body: .json(.init(retried: try await queue.retryAllFailed())))) }
        // The tenant's failed jobs as of now, once: jobs that fail again meanwhile wait for the
        // next request (no loop chasing them).
        let failed = try await queue.jobs(tenant: tenant, in: .failed, offset: 0, limit: 1_000)
        for job in failed { try await queue.retry(job.id) }
        return .ok(.init(body: .json(.init(retried: failed.count))))
    }

    func removeJob(_ input: Operations.RemoveJob.Input) async throws -> Operations.RemoveJob.Output {
        let scope = try adminScope()
        let queue = try queue(input.path.queue)
        let job = try await adminJob(input.path.id, in: queue, scope: scope)
        try await queue.remove(job.id)
        return .noContent(.init())
    }

    func cleanQueue(_ input: Operations.CleanQueue.Input) async throws -> Operations.CleanQueue.Output {
        try requirePlatformAdmin("cleaning")
        let queue = try queue(input.path.queue)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        let state = try stored(body.state.rawValue, as: JobState.self, "state")
        // graceSeconds ≤ 10 years and limit ≤ 100,000 (the document's bounds).
        let removed = try await queue.clean(state, grace: .seconds(body.graceSeconds ?? 0), limit: body.limit ?? 1_000)
        return .ok(.init(body: .json(.init(removed: removed))))
    }
}
