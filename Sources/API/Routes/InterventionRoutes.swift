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

    /// PATCH body: only the fields present change.
    struct Patch: Decodable {
        var reference: String?
        var title: String?
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

    public func register<Group: RouterMethods<APIRequestContext>>(on routes: RouteRegistrar<Group>) {
        routes.get("/interventions", "List the tenant's interventions (limit, offset)", use: list)
        routes.post("/interventions", "Create an intervention", status: 201, use: create)
        routes.get("/interventions/:id", "Read an intervention", use: read)
        routes.patch("/interventions/:id", "Change an intervention's fields", use: update)
        routes.delete("/interventions/:id", "Delete an intervention and its notifications", use: delete)
        routes.post("/interventions/:id/notifications", "Enqueue a webhook notification about an intervention", status: 202, use: notify)
        routes.get("/interventions/:id/notifications", "List the delivery attempts of an intervention's notifications", use: listNotifications)
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> Many {
        let tenant = try context.requireTenant()
        let (limit, offset) = try request.pagination()
        let rows = try await database.withTenant(tenant) { tx in try await tx.interventions(limit: limit, offset: offset) }
        return Many(interventions: rows)
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<One> {
        let tenant = try context.requireTenant(role: .member)
        let input = try await request.decodeInput(Input.self, context: context)
        let record = try Self.validate(input, id: UUID())
        try await save(record, tenant: tenant) { tx in _ = try await tx.insertIntervention(record) }
        return EditedResponse(status: .created, response: One(intervention: record))
    }

    @Sendable func read(_ request: Request, context: APIRequestContext) async throws -> One {
        let tenant = try context.requireTenant()
        let id = try context.parameters.require("id", as: UUID.self)
        return One(intervention: try await find(id, tenant: tenant))
    }

    @Sendable func update(_ request: Request, context: APIRequestContext) async throws -> One {
        let tenant = try context.requireTenant(role: .member)
        let id = try context.parameters.require("id", as: UUID.self)
        let patch = try await request.decodeInput(Patch.self, context: context)
        let current = try await find(id, tenant: tenant)
        let record = try Self.validate(Self.merge(patch, into: current), id: id)
        try await save(record, tenant: tenant) { tx in _ = try await tx.updateIntervention(record) }
        return One(intervention: record)
    }

    @Sendable func delete(_ request: Request, context: APIRequestContext) async throws -> HTTPResponse.Status {
        let tenant = try context.requireTenant(role: .admin)
        let id = try context.parameters.require("id", as: UUID.self)
        let deleted = try await database.withTenant(tenant) { tx in try await tx.deleteIntervention(id) }
        guard deleted else { throw HTTPError(.notFound, message: "intervention \(id) not found") }
        return .noContent
    }

    @Sendable func notify(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<Enqueued> {
        let tenant = try context.requireTenant(role: .member)
        let id = try context.parameters.require("id", as: UUID.self)
        let input = try await request.decodeInput(NotificationInput.self, context: context)
        guard let event = InterventionEvent(rawValue: input.event) else {
            let events = InterventionEvent.allCases.map(\.rawValue).joined(separator: ", ")
            throw invalid("event", "must be one of \(events)")
        }
        let payload = NotificationJob(tenantID: tenant, interventionID: id, event: event, channels: input.channels ?? ["webhook"])
        do { try payload.validate() } catch { throw invalid(error.field, error.message) }
        _ = try await find(id, tenant: tenant)
        let options = JobOptions(
            attempts: 5, backoff: .exponential(.seconds(2), jitter: 0.2),
            removeOnComplete: .age(seconds: 7 * 86_400, count: 10_000, limit: nil), tenantID: tenant.description)
        let added = try await notifications.add(NotificationJob.name, data: payload, options: options)
        // Described from what was sent rather than read back: one round trip less per enqueue.
        let view = JobView(enqueued: added.id, queue: notifications.name, name: NotificationJob.name, options: options)
        return EditedResponse(status: .accepted, response: Enqueued(job: view))
    }

    @Sendable func listNotifications(_ request: Request, context: APIRequestContext) async throws -> Notifications {
        let tenant = try context.requireTenant()
        let id = try context.parameters.require("id", as: UUID.self)
        _ = try await find(id, tenant: tenant)
        let rows = try await database.withTenant(tenant) { tx in try await tx.notifications(interventionID: id) }
        return Notifications(notifications: rows)
    }

    private func find(_ id: UUID, tenant: TenantID) async throws -> InterventionRecord {
        guard let found = try await database.intervention(id, of: tenant) else {
            throw HTTPError(.notFound, message: "intervention \(id) not found")
        }
        return found
    }

    /// Runs a write, answering 409 when the reference is taken.
    private func save(
        _ record: InterventionRecord, tenant: TenantID, _ write: @Sendable (TenantTransaction) async throws -> Void
    ) async throws {
        do {
            try await database.withTenant(tenant, write)
        } catch {
            guard error.kind == .uniqueViolation else { throw error }
            throw HTTPError(.conflict, message: "reference: an intervention with reference '\(record.reference)' exists")
        }
    }

    /// The stored intervention with the patch's fields laid over it.
    static func merge(_ patch: Patch, into current: InterventionRecord) -> Input {
        var input = Input(reference: current.reference, title: current.title)
        input.description = current.description
        input.status = current.status
        input.technician = current.technician
        input.address = current.address
        if let scheduledAt = current.scheduledAt { input.scheduledAt = ISO8601DateFormatter().string(from: scheduledAt) }
        if let value = patch.reference { input.reference = value }
        if let value = patch.title { input.title = value }
        if let value = patch.description { input.description = value }
        if let value = patch.status { input.status = value }
        if let value = patch.scheduledAt { input.scheduledAt = value }
        if let value = patch.technician { input.technician = value }
        if let value = patch.address { input.address = value }
        return input
    }

    static func validate(_ input: Input, id: UUID) throws -> InterventionRecord {
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
            id: id, reference: reference, title: title, description: input.description, status: status,
            scheduledAt: scheduledAt, technician: input.technician, address: input.address)
    }
}
