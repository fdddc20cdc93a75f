import Domain
import Foundation
import HTTPTypes
public import Hummingbird
public import Queue

/// `/api/jobs`: a tenant's own jobs. Another tenant's job answers 404, as if it did not exist.
public struct JobRoutes: Sendable {
    /// The queues the API exposes, by name.
    let queues: [String: Queue]

    /// How long an event stream may stay silent before a keep-alive comment.
    let heartbeat: Duration

    public init(queues: [Queue], heartbeat: Duration = .seconds(15)) {
        self.queues = Dictionary(uniqueKeysWithValues: queues.map { ($0.name, $0) })
        self.heartbeat = heartbeat
    }

    struct One: ResponseEncodable { let job: JobView }
    struct Many: ResponseEncodable { let jobs: [JobView] }

    public func register<Group: RouterMethods<APIRequestContext>>(on routes: RouteRegistrar<Group>) {
        routes.get("/jobs/:queue/:id", "Read one of the tenant's jobs", use: read)
        routes.get(
            "/jobs/:queue/:id/events", "Follow a job as Server-Sent Events (state, progress, completed, failed)",
            produces: "text/event-stream", use: events)
        routes.get("/jobs", "List the tenant's jobs in a queue (queue, state, limit, offset)", use: list)
    }

    /// The queue named in the path, or 404.
    func queue(_ context: APIRequestContext) throws -> Queue {
        let name = try context.parameters.require("queue")
        guard let queue = queues[name] else { throw HTTPError(.notFound, message: "no queue named '\(name)'") }
        return queue
    }

    /// The tenant's job named in the path, or 404 (also when it belongs to another tenant).
    func ownJob(_ context: APIRequestContext, tenant: TenantID) async throws -> (Queue, Job) {
        let queue = try queue(context)
        let id = try context.parameters.require("id")
        guard let job = try await queue.job(id), job.tenantID == tenant.description else {
            throw HTTPError(.notFound, message: "job \(id) not found in queue \(queue.name)")
        }
        return (queue, job)
    }

    @Sendable func read(_ request: Request, context: APIRequestContext) async throws -> One {
        let tenant = try context.requireTenant()
        let (queue, job) = try await ownJob(context, tenant: tenant)
        return One(job: JobView(job, state: try await queue.state(of: job.id)))
    }

    @Sendable func events(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let (queue, job) = try await ownJob(context, tenant: tenant)
        var lastEventID: String?
        if let text = request.headers[.lastEventID] {
            guard let id = JobEventStream.streamID(text) else { throw invalid("Last-Event-ID", "must be an event id this stream sent") }
            lastEventID = id
        }
        return try await JobEventStream(queue: queue, job: job, heartbeat: heartbeat).response(lastEventID: lastEventID)
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> Many {
        let tenant = try context.requireTenant()
        guard let name = request.uri.queryParameters["queue"].map(String.init) else { throw invalid("queue", "is required") }
        guard let queue = queues[name] else { throw invalid("queue", "no queue named '\(name)'") }
        let state = try Self.stateFilter(request)
        let (limit, offset) = try request.pagination()
        var views: [JobView] = []
        // The tenant index lists the tenant's jobs without scanning the queue.
        for job in try await queue.jobs(tenant: tenant.description, offset: offset, limit: limit) {
            let current = try await queue.state(of: job.id)
            if state == nil || state == current { views.append(JobView(job, state: current)) }
        }
        return Many(jobs: views)
    }

    /// `?state=`, or 400 naming the valid states.
    static func stateFilter(_ request: Request) throws -> JobState? {
        guard let text = request.uri.queryParameters["state"].map(String.init) else { return nil }
        guard let parsed = JobState(rawValue: text), parsed != .unknown else {
            throw invalid("state", "must be one of \(JobState.allCases.filter { $0 != .unknown }.map(\.rawValue).joined(separator: ", "))")
        }
        return parsed
    }
}
