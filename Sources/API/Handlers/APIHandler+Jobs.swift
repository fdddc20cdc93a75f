import Domain
import Foundation
import Hummingbird
import Jobs
import OpenAPIRuntime
import Queue
import Store

/// `/api/jobs`: a tenant's own jobs. Another tenant's job answers 404, as if it did not exist.
extension APIHandler {
    func listJobs(_ input: Operations.ListJobs.Input) async throws -> Operations.ListJobs.Output {
        let tenant = try tenant()
        let queue = try queue(input.query.queue)
        let state = input.query.state.flatMap { JobState(rawValue: $0.rawValue) }
        let (limit, offset) = Self.page(limit: input.query.limit, offset: input.query.offset)
        var jobs: [Components.Schemas.Job] = []
        // The tenant index lists the tenant's jobs without scanning the queue; with a state,
        // the page is of the jobs in that state.
        if let state {
            for job in try await queue.jobs(tenant: tenant.description, in: state, offset: offset, limit: limit) {
                jobs.append(try .init(job, state: state))
            }
        } else {
            for job in try await queue.jobs(tenant: tenant.description, offset: offset, limit: limit) {
                jobs.append(try .init(job, state: try await queue.state(of: job.id)))
            }
        }
        return .ok(.init(body: .json(.init(jobs: jobs))))
    }

    func getJob(_ input: Operations.GetJob.Input) async throws -> Operations.GetJob.Output {
        let tenant = try tenant()
        let (queue, job) = try await ownJob(queue: input.path.queue, id: input.path.id, tenant: tenant)
        return .ok(.init(body: .json(.init(job: try .init(job, state: try await queue.state(of: job.id))))))
    }

    func streamJobEvents(_ input: Operations.StreamJobEvents.Input) async throws -> Operations.StreamJobEvents.Output {
        let tenant = try tenant()
        let identity = try context.requireIdentity()
        let (queue, job) = try await ownJob(queue: input.path.queue, id: input.path.id, tenant: tenant)
        let body = try await eventStream(queue: queue, job: job, user: identity.userID, lastEventID: input.headers.lastEventID)
        return .ok(.init(body: .textEventStream(body)))
    }

    /// A job's Server-Sent Events: subscribed first, then (unless resuming after `lastEventID`)
    /// the job as it is now, so that nothing happening after the snapshot is missed.
    func eventStream(queue: Queue, job: Job, user: UUID, lastEventID: String?) async throws -> HTTPBody {
        // Not an event id at all (an empty header included): 400. Digits too large for an id are
        // past any stream's end: 409 below, as an id past this stream's end is.
        let requested = try lastEventID.map { text -> EventStreamID? in
            if let id = EventStreamID(text) { return id }
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
                throw invalid("Last-Event-ID", "must be the id of an event received, such as 1700000000000-0")
            }
            return nil
        }
        let subscription = try await streams.subscribe(queue: queue, jobID: job.id, user: user)
        var resumeAfter: String?
        if let requested, let text = lastEventID {
            guard let requested, let end = EventStreamID(subscription.streamEnd), requested <= end else {
                throw HTTPError(.conflict, message: "Last-Event-ID: \(text) is past the end of the queue's events; reconnect without it")
            }
            resumeAfter = requested.description
        }
        var snapshot: (json: String, terminal: Bool)?
        if resumeAfter == nil {
            let state = try await queue.state(of: job.id)
            let current = try await queue.job(job.id) ?? job
            let view = try Components.Schemas.Job(current, state: state)
            snapshot = (try Self.eventJSON(view), [.completed, .failed, .unknown].contains(state))
        }
        let options = dependencies.options
        let frames = JobEventFrames(
            queue: queue, jobID: job.id, subscription: subscription, snapshot: snapshot, resumeAfter: resumeAfter,
            heartbeat: options.eventStreamHeartbeat, deadline: .now + options.eventStreamMaxDuration)
        return HTTPBody(frames, length: .unknown, iterationBehavior: .single)
    }

    /// Cancels a job: a member of its tenant, or a platform admin, whatever the job's kind.
    func cancelJob(_ input: Operations.CancelJob.Input) async throws -> Operations.CancelJob.Output {
        let identity = try context.requireIdentity()
        let queue: Queue
        let job: Job
        if identity.isPlatformAdmin {
            queue = try self.queue(input.path.queue)
            guard let found = try await queue.job(input.path.id) else {
                throw HTTPError(.notFound, message: "job \(input.path.id) not found in queue \(queue.name)")
            }
            job = found
        } else {
            (queue, job) = try await ownJob(queue: input.path.queue, id: input.path.id, tenant: try tenant(role: .member))
        }
        let id = input.path.id
        switch try await queue.cancel(id) {
        case .removed(let state):
            try await recordCancelledBeforeStart(job, queue: queue.name)
            let previous = Components.Schemas.JobState(rawValue: state.rawValue)
            return .ok(.init(body: .json(.init(cancellation: .init(queue: input.path.queue, id: id, outcome: .removed, previousState: previous)))))
        case .requested:
            return .accepted(.init(body: .json(.init(cancellation: .init(queue: input.path.queue, id: id, outcome: .requested)))))
        }
    }

    /// A job cancelled before it started ends on its tenant's records: its result row says failed
    /// ("cancelled"), which also tells the outbox relay not to add it again, an agent run ends
    /// cancelled and a property import failed ("cancelled").
    func recordCancelledBeforeStart(_ job: Job, queue: String) async throws {
        guard let tenant = job.tenantID.flatMap(TenantID.init(uuidString:)) else { return }
        let record = JobResultRecord(
            queue: queue, jobID: job.id, name: job.name, state: .failed, attempts: job.attemptsMade, error: "cancelled",
            enqueuedAt: APIHandler.date(job.timestamp), finishedAt: Date())
        let run = queue == QueueName.agentRuns && job.name == AgentRunJob.name ? (try? job.decodeData(AgentRunJob.self))?.runID : nil
        let importID =
            queue == QueueName.imports && job.name == PropertyImportJob.name ? (try? job.decodeData(PropertyImportJob.self))?.importID : nil
        try await database.withTenant(tenant) { tx in
            try await tx.upsert(record)
            if let run { try await tx.endAgentRun(run, status: .cancelled, reason: "cancelled on request") }
            if let importID { try await tx.failImportIfUnfinished(importID, reason: "cancelled") }
        }
    }

    /// The tenant's job in a queue, or 404 (also when it belongs to another tenant).
    func ownJob(queue name: Components.Schemas.QueueName, id: String, tenant: TenantID) async throws -> (Queue, Job) {
        let queue = try queue(name)
        guard let job = try await queue.job(id), job.tenantID == tenant.description else {
            throw HTTPError(.notFound, message: "job \(id) not found in queue \(queue.name)")
        }
        return (queue, job)
    }

    /// A job as the `state` event's data: the same JSON `GET /api/jobs/{queue}/{id}` answers.
    static func eventJSON(_ job: Components.Schemas.Job) throws -> String {
        String(decoding: try APIJSON.encoder.encode(job), as: UTF8.self)
    }
}
