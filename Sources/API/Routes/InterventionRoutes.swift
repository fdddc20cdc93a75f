import Domain
import Foundation
public import Hummingbird
public import Queue
public import Store

/// `/api/interventions`: the tenant's interventions and their notifications.
public struct InterventionRoutes: Sendable {
    let database: Database
    let notifications: Queue

    public init(database: Database, notifications: Queue) {
        self.database = database
        self.notifications = notifications
    }

    struct Input: Decodable {
        var reference: String
        var title: String
        var description: String?
        var status: String?
        var scheduledAt: String?
        var technician: String?
        var address: String?
    }

    struct NotificationInput: Decodable {
        var event: String
        var channels: [String]?
    }

    struct One: ResponseEncodable { let intervention: InterventionRecord }
    struct Many: ResponseEncodable { let interventions: [InterventionRecord] }
    struct Notifications: ResponseEncodable { let notifications: [NotificationRow] }
    struct Enqueued: ResponseEncodable { let job: JobView }

    static let statuses: Set<String> = ["draft", "scheduled", "en_route", "in_progress", "completed", "cancelled"]

    public func register(on router: some RouterMethods<APIRequestContext>) {
        router.get("/interventions") { request, context -> Many in
            let tenant = try context.requireTenant()
            let (limit, offset) = try request.pagination()
            return Many(interventions: try await database.withTenant(tenant) { tx in
                try await tx.interventions(limit: limit, offset: offset)
            })
        }
        router.post("/interventions") { request, context -> EditedResponse<One> in
            let tenant = try context.requireTenant(role: .member)
            let input = try await request.decodeInput(Input.self, context: context)
            let record = try Self.validate(input)
            do {
                _ = try await database.withTenant(tenant) { tx in try await tx.insertIntervention(record) }
            } catch let error as StoreError where error.kind == .uniqueViolation {
                throw HTTPError(.conflict, message: "reference: an intervention with reference '\(record.reference)' exists")
            }
            return EditedResponse(status: .created, response: One(intervention: record))
        }
        router.get("/interventions/:id") { _, context -> One in
            let tenant = try context.requireTenant()
            let id = try context.parameters.require("id", as: UUID.self)
            guard let found = try await database.withTenant(tenant, { tx in try await tx.intervention(id) }) else {
                throw HTTPError(.notFound, message: "intervention \(id) not found")
            }
            return One(intervention: found)
        }
        router.post("/interventions/:id/notifications") { request, context -> EditedResponse<Enqueued> in
            let tenant = try context.requireTenant(role: .member)
            let id = try context.parameters.require("id", as: UUID.self)
            let input = try await request.decodeInput(NotificationInput.self, context: context)
            guard let event = InterventionEvent(rawValue: input.event) else {
                throw invalid("event", "must be one of \(InterventionEvent.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let payload = NotificationJob(tenantID: tenant, interventionID: id, event: event, channels: input.channels ?? ["webhook"])
            do { try payload.validate() } catch let error as PayloadError { throw invalid(error.field, error.message) }
            guard try await database.withTenant(tenant, { tx in try await tx.intervention(id) }) != nil else {
                throw HTTPError(.notFound, message: "intervention \(id) not found")
            }
            let added = try await notifications.add(NotificationJob.name, data: payload, options: .init(
                attempts: 5, backoff: .exponential(.seconds(2), jitter: 0.2), removeOnComplete: .age(seconds: 7 * 86_400, count: 10_000, limit: nil),
                tenantID: tenant.description))
            guard let job = try await notifications.job(added.id) else {
                throw HTTPError(.internalServerError, message: "the job vanished right after it was added")
            }
            return EditedResponse(status: .accepted, response: Enqueued(job: JobView(job, state: try await notifications.state(of: job.id))))
        }
        router.get("/interventions/:id/notifications") { _, context -> Notifications in
            let tenant = try context.requireTenant()
            let id = try context.parameters.require("id", as: UUID.self)
            return try await database.withTenant(tenant) { tx in
                guard try await tx.intervention(id) != nil else { throw StoreError(kind: .notFound, message: "intervention \(id) not found") }
                return Notifications(notifications: try await tx.notifications(interventionID: id))
            }
        }
    }

    static func validate(_ input: Input) throws -> InterventionRecord {
        let reference = input.reference.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(reference.count) else { throw invalid("reference", "must be 1 to 100 characters") }
        let title = input.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...300).contains(title.count) else { throw invalid("title", "must be 1 to 300 characters") }
        let status = input.status ?? "scheduled"
        guard statuses.contains(status) else { throw invalid("status", "must be one of \(statuses.sorted().joined(separator: ", "))") }
        if let description = input.description, description.count > 10_000 { throw invalid("description", "must be at most 10000 characters") }
        if let technician = input.technician, technician.count > 200 { throw invalid("technician", "must be at most 200 characters") }
        if let address = input.address, address.count > 500 { throw invalid("address", "must be at most 500 characters") }
        var scheduledAt: Date?
        if let text = input.scheduledAt {
            guard let date = ISO8601Dates.parse(text) else {
                throw invalid("scheduledAt", "must be an ISO 8601 date-time such as 2026-12-01T09:00:00Z")
            }
            scheduledAt = date
        }
        return InterventionRecord(
            id: UUID(), reference: reference, title: title, description: input.description, status: status,
            scheduledAt: scheduledAt, technician: input.technician, address: input.address)
    }
}
