import Domain
import Foundation
import Hummingbird
import Queue
import Store

/// `/api/interventions`: the tenant's interventions and their webhook notifications.
extension APIHandler {
    func listInterventions(_ input: Operations.ListInterventions.Input) async throws -> Operations.ListInterventions.Output {
        let tenant = try tenant()
        let (limit, offset) = Self.page(limit: input.query.limit, offset: input.query.offset)
        let rows = try await database.withTenant(tenant) { tx in try await tx.interventions(limit: limit, offset: offset) }
        return .ok(.init(body: .json(.init(interventions: try rows.map(Components.Schemas.Intervention.init)))))
    }

    func createIntervention(_ input: Operations.CreateIntervention.Input) async throws -> Operations.CreateIntervention.Output {
        let tenant = try tenant(role: .member)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        let record = InterventionRecord(
            id: UUID(), reference: TextRules.trimmed(body.reference), title: TextRules.trimmed(body.title),
            description: body.description,
            status: try body.status.map { try stored($0.rawValue, as: InterventionStatus.self, "status") } ?? .scheduled,
            scheduledAt: body.scheduledAt,
            technician: body.technician, address: body.address)
        try await saveIntervention(record, tenant: tenant) { tx in _ = try await tx.insertIntervention(record) }
        return .created(.init(body: .json(.init(intervention: try .init(record)))))
    }

    func getIntervention(_ input: Operations.GetIntervention.Input) async throws -> Operations.GetIntervention.Output {
        let tenant = try tenant()
        let record = try await findIntervention(try Self.uuid(input.path.id), tenant: tenant)
        return .ok(.init(body: .json(.init(intervention: try .init(record)))))
    }

    func updateIntervention(_ input: Operations.UpdateIntervention.Input) async throws -> Operations.UpdateIntervention.Output {
        let tenant = try tenant(role: .member)
        guard case .json(let patch) = input.body else { throw HTTPError(.unsupportedMediaType) }
        var record = try await findIntervention(try Self.uuid(input.path.id), tenant: tenant)
        if let value = patch.reference { record.reference = TextRules.trimmed(value) }
        if let value = patch.title { record.title = TextRules.trimmed(value) }
        if let value = patch.description { record.description = value }
        if let value = patch.status { record.status = try stored(value.rawValue, as: InterventionStatus.self, "status") }
        if let value = patch.scheduledAt { record.scheduledAt = value }
        if let value = patch.technician { record.technician = value }
        if let value = patch.address { record.address = value }
        let saved = record
        try await saveIntervention(saved, tenant: tenant) { tx in _ = try await tx.updateIntervention(saved) }
        return .ok(.init(body: .json(.init(intervention: try .init(saved)))))
    }

    func deleteIntervention(_ input: Operations.DeleteIntervention.Input) async throws -> Operations.DeleteIntervention.Output {
        let tenant = try tenant(role: .admin)
        let id = try Self.uuid(input.path.id)
        guard try await database.withTenant(tenant, { tx in try await tx.deleteIntervention(id) }) else {
            throw HTTPError(.notFound, message: "intervention \(id) not found")
        }
        return .noContent(.init())
    }

    func listInterventionNotifications(
        _ input: Operations.ListInterventionNotifications.Input
    ) async throws -> Operations.ListInterventionNotifications.Output {
        let tenant = try tenant()
        let id = try Self.uuid(input.path.id)
        _ = try await findIntervention(id, tenant: tenant)
        let rows = try await database.withTenant(tenant) { tx in try await tx.notifications(interventionID: id) }
        return .ok(.init(body: .json(.init(notifications: try rows.map(Components.Schemas.NotificationDelivery.init)))))
    }

    private func findIntervention(_ id: UUID, tenant: TenantID) async throws -> InterventionRecord {
        guard let found = try await database.intervention(id, of: tenant) else {
            throw HTTPError(.notFound, message: "intervention \(id) not found")
        }
        return found
    }

    /// Runs a write, answering 409 when the reference is taken.
    private func saveIntervention(
        _ record: InterventionRecord, tenant: TenantID, _ write: @escaping @Sendable (TenantTransaction) async throws -> Void
    ) async throws {
        do {
            try await database.withTenant(tenant, write)
        } catch {
            guard error.kind == .uniqueViolation else { throw error }
            throw HTTPError(.conflict, message: "reference: an intervention with reference '\(record.reference)' exists")
        }
    }
}

extension Components.Schemas.Intervention {
    init(_ record: InterventionRecord) throws {
        self.init(
            id: record.id.lowercasedText, reference: record.reference, title: record.title,
            description: record.description, status: try stored(record.status.rawValue, as: Components.Schemas.InterventionStatus.self, "status"),
            scheduledAt: record.scheduledAt, technician: record.technician, address: record.address)
    }
}

extension Components.Schemas.NotificationDelivery {
    init(_ row: NotificationRow) throws {
        self.init(
            id: row.id.lowercasedText, endpointId: row.endpointID?.lowercasedText, jobId: row.jobID,
            event: try stored(row.event, as: Components.Schemas.InterventionEvent.self, "event"),
            status: try stored(row.status.rawValue, as: StatusPayload.self, "delivery status"), attempts: row.attempts,
            responseCode: row.responseCode, lastError: row.lastError, deliveredAt: row.deliveredAt)
    }
}
