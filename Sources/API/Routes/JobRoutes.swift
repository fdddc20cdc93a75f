import Domain
import Foundation
public import Hummingbird
public import Queue

/// `/api/jobs`: a tenant's own jobs. Another tenant's job answers 404, as if it did not exist.
public struct JobRoutes: Sendable {
    /// The queues the API exposes, by name.
    let queues: [String: Queue]

    public init(queues: [Queue]) {
        self.queues = Dictionary(uniqueKeysWithValues: queues.map { ($0.name, $0) })
    }

    struct One: ResponseEncodable { let job: JobView }
    struct Many: ResponseEncodable { let jobs: [JobView] }

    public func register(on router: some RouterMethods<APIRequestContext>) {
        router.get("/jobs/:queue/:id") { _, context -> One in
            let tenant = try context.requireTenant()
            let name = try context.parameters.require("queue")
            let id = try context.parameters.require("id")
            guard let queue = queues[name] else { throw HTTPError(.notFound, message: "no queue named '\(name)'") }
            guard let job = try await queue.job(id), job.tenantID == tenant.description else {
                throw HTTPError(.notFound, message: "job \(id) not found in queue \(name)")
            }
            return One(job: JobView(job, state: try await queue.state(of: id)))
        }
        router.get("/jobs") { request, context -> Many in
            let tenant = try context.requireTenant()
            guard let name = request.uri.queryParameters["queue"].map(String.init) else { throw invalid("queue", "is required") }
            guard let queue = queues[name] else { throw invalid("queue", "no queue named '\(name)'") }
            var state: JobState?
            if let text = request.uri.queryParameters["state"].map(String.init) {
                guard let parsed = JobState(rawValue: text), parsed != .unknown else {
                    throw invalid("state", "must be one of \(JobState.allCases.filter { $0 != .unknown }.map(\.rawValue).joined(separator: ", "))")
                }
                state = parsed
            }
            let (limit, offset) = try request.pagination()
            var views: [JobView] = []
            // The tenant index lists the tenant's jobs without scanning the queue.
            for job in try await queue.jobs(tenant: tenant.description, offset: offset, limit: limit) {
                let current = try await queue.state(of: job.id)
                if state == nil || state == current { views.append(JobView(job, state: current)) }
            }
            return Many(jobs: views)
        }
    }
}
