import Domain
import Foundation
import Hummingbird
import OpenAPIRuntime
import Queue
import Store

/// The admin dashboard's job routes: one job in full, its live events, promote, and bulk actions.
///
/// Reads follow ``adminReadScope(filter:)`` (a tenant's users, viewers included, see their own
/// jobs); actions follow ``adminScope()`` (platform admins, or admins of the job's tenant).
extension APIHandler {
    /// How many ids one bulk call takes, and how many jobs one `state` call acts on.
    static let bulkIDLimit = 500
    static let bulkStateBatch = 1_000
    /// The log lines a job page shows (the last ones).
    static let jobPageLogLines = 100

    func getQueueJob(_ input: Operations.GetQueueJob.Input) async throws -> Operations.GetQueueJob.Output {
        let scope = try adminReadScope()
        let queue = try queue(input.path.queue)
        let job = try await adminJob(input.path.id, in: queue, scope: scope)
        let state = try await queue.state(of: job.id)
        let logCount = try await queue.logCount(job.id)
        let logs = try await queue.logs(job.id, offset: max(0, logCount - Self.jobPageLogLines), limit: Self.jobPageLogLines)
        let detail = try Components.Schemas.JobDetail(job, state: state, logs: logs, logCount: logCount)
        return .ok(.init(body: .json(.init(job: detail))))
    }

    func streamQueueJobEvents(_ input: Operations.StreamQueueJobEvents.Input) async throws -> Operations.StreamQueueJobEvents.Output {
        let scope = try adminReadScope()
        let identity = try context.requireIdentity()
        let queue = try queue(input.path.queue)
        let job = try await adminJob(input.path.id, in: queue, scope: scope)
        let body = try await eventStream(queue: queue, job: job, user: identity.userID, lastEventID: input.headers.lastEventID)
        return .ok(.init(body: .textEventStream(body)))
    }

    func promoteJob(_ input: Operations.PromoteJob.Input) async throws -> Operations.PromoteJob.Output {
        let job = try await actOnJob(input.path.id, in: input.path.queue) { queue, id in try await queue.promote(id) }
        return .ok(.init(body: .json(.init(job: job))))
    }

    func bulkJobAction(_ input: Operations.BulkJobAction.Input) async throws -> Operations.BulkJobAction.Output {
        var scope = try adminScope()
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType, message: "send the action as JSON") }
        let queue = try queue(input.path.queue)
        let action = body.action
        let jobs: [Job]
        var more = false
        var before: Int?
        var asked = 0
        switch (body.ids, body.state) {
        case (let ids?, nil):
            if body.tenant != nil { throw invalid("tenant", "goes with state, not with ids") }
            if body.before != nil { throw invalid("before", "goes with state, not with ids") }
            // The document bounds ids to 500; a job of another tenant counts as skipped.
            var seen = Set<String>()
            let unique = ids.filter { seen.insert($0).inserted }
            asked = unique.count
            jobs = try await queue.jobs(ids: unique).filter { scope.tenantID == nil || $0.tenantID == scope.tenantID }
        case (nil, let state?):
            let jobState = try stored(state.rawValue, as: JobState.self, "state")
            try Self.check(action, fits: jobState)
            if let asked = body.tenant {
                guard case .platform = scope else { throw invalid("tenant", "only a platform admin filters by tenant") }
                guard let tenant = TenantID(uuidString: asked) else { throw invalid("tenant", "must be a UUID") }
                scope = .tenant(tenant)
            }
            // A retried job finishes again into the same state: a retry by state keeps to the jobs
            // that had finished when its first call began, whatever later calls see.
            if action == .retry {
                before = body.before ?? Int(Date().timeIntervalSince1970 * 1_000)
            } else if body.before != nil {
                throw invalid("before", "goes with a retry by state")
            }
            let listed: [Job]
            if let tenant = scope.tenantID {
                listed = try await queue.jobs(tenant: tenant, in: jobState, offset: 0, limit: Self.bulkStateBatch)
            } else if let before {
                listed = try await queue.jobs(in: jobState, finishedAtMost: before, limit: Self.bulkStateBatch)
            } else {
                listed = try await queue.jobs(in: jobState, offset: 0, limit: Self.bulkStateBatch, order: .oldestFirst)
            }
            more = listed.count == Self.bulkStateBatch
            jobs = before.map { limit in listed.filter { ($0.finishedOn ?? 0) <= limit } } ?? listed
            asked = jobs.count
        default:
            throw invalid("ids", "give either ids or state")
        }
        var done = 0
        for job in jobs {
            do {
                switch action {
                case .retry: try await queue.retry(job.id)
                case .remove: try await queue.remove(job.id)
                case .promote: try await queue.promote(job.id)
                }
                done += 1
            } catch let error as QueueError where [.wrongState, .jobNotFound, .jobLocked].contains(error.code) {
                // Moved, finished or taken by a worker meanwhile: counted as skipped.
                continue
            }
        }
        let result = Components.Schemas.BulkJobResult(
            action: .init(rawValue: action.rawValue) ?? .retry, done: done, skipped: max(0, asked - done), more: more, before: before)
        return .ok(.init(body: .json(result)))
    }

    /// A bulk action on every job in a state must be one the state allows.
    static func check(_ action: Components.Schemas.BulkJobAction.ActionPayload, fits state: JobState) throws {
        switch (action, state) {
        case (.retry, .failed), (.retry, .completed), (.promote, .delayed): return
        case (.remove, .active): throw invalid("state", "running jobs cannot be removed; cancel them instead")
        case (.remove, _): return
        case (.retry, _): throw invalid("state", "retry acts on failed or completed jobs")
        case (.promote, _): throw invalid("state", "promote acts on delayed jobs")
        }
    }
}

extension Components.Schemas.JobDetail {
    /// A job as the dashboard's job page shows it.
    init(_ job: Job, state: JobState, logs: [String], logCount: Int) throws {
        let options = OpenAPIValueContainer(jsonText: job.rawOptions)?.value as? [String: (any Sendable)?] ?? [:]
        self.init(
            id: job.id, queue: try stored(job.queue, as: Components.Schemas.QueueName.self, "queue"), name: job.name,
            state: try stored(state.rawValue, as: Components.Schemas.JobState.self, "job state"), tenantId: job.tenantID,
            data: OpenAPIValueContainer(jsonText: job.data), options: (try? OpenAPIObjectContainer(unvalidatedValue: options)) ?? .init(),
            progress: job.progress.flatMap(OpenAPIValueContainer.init(jsonText:)), attemptsMade: job.attemptsMade,
            attemptsStarted: job.attemptsStarted, priority: max(0, job.priority), delayMs: max(0, job.delay),
            returnValue: job.returnValue.flatMap(OpenAPIValueContainer.init(jsonText:)), failedReason: job.failedReason,
            stacktrace: job.stacktrace, logs: logs, logCount: logCount,
            parent: job.parent.map { $0.queueKey + ":" + $0.id },
            createdAt: APIHandler.date(job.timestamp),
            processedAt: job.processedOn.map(APIHandler.date),
            finishedAt: job.finishedOn.map(APIHandler.date))
    }
}
