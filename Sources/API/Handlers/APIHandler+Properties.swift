import Domain
import Foundation
import Hummingbird
import Store

/// `/api/properties`: the tenant's real-estate listings, one at a time (bulk goes through imports).
extension APIHandler {
    func listProperties(_ input: Operations.ListProperties.Input) async throws -> Operations.ListProperties.Output {
        let tenant = try tenant()
        let query = input.query
        let (limit, offset) = Self.page(limit: query.limit, offset: query.offset)
        let filter = PropertyFilter(
            city: query.city, propertyType: query._type.map { PropertyDraft.PropertyType(rawValue: $0.rawValue) } ?? nil,
            minPrice: query.minPrice, maxPrice: query.maxPrice, postalCode: query.postalCode)
        let rows = try await database.withTenant(tenant) { tx in try await tx.properties(filter, limit: limit, offset: offset) }
        return .ok(.init(body: .json(.init(properties: try rows.map(Components.Schemas.Property.init)))))
    }

    func createProperty(_ input: Operations.CreateProperty.Input) async throws -> Operations.CreateProperty.Output {
        let tenant = try tenant(role: .member)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        var fields: [String: String] = [
            "external_ref": body.externalRef, "title": body.title, "property_type": body.propertyType.rawValue,
        ]
        fields["price"] = body.price.map { String($0) }
        fields["surface"] = body.surface.map { String($0) }
        fields["rooms"] = body.rooms.map { String($0) }
        fields["postal_code"] = body.postalCode
        fields["city"] = body.city
        fields["address"] = body.address
        let draft = try Self.validateProperty(fields)
        let record = try await saveProperty(draft, tenant: tenant) { tx in try await tx.insertProperty(draft) }
        return .created(.init(body: .json(.init(property: try .init(record)))))
    }

    func getProperty(_ input: Operations.GetProperty.Input) async throws -> Operations.GetProperty.Output {
        let tenant = try tenant()
        let record = try await findProperty(try Self.uuid(input.path.id), tenant: tenant)
        return .ok(.init(body: .json(.init(property: try .init(record)))))
    }

    func updateProperty(_ input: Operations.UpdateProperty.Input) async throws -> Operations.UpdateProperty.Output {
        let tenant = try tenant(role: .member)
        let id = try Self.uuid(input.path.id)
        guard case .json(let patch) = input.body else { throw HTTPError(.unsupportedMediaType) }
        let current = try await findProperty(id, tenant: tenant)
        var fields: [String: String] = [
            "external_ref": patch.externalRef ?? current.externalRef, "title": patch.title ?? current.title,
            "property_type": patch.propertyType?.rawValue ?? current.propertyType,
        ]
        fields["price"] = (patch.price ?? current.price).map { String($0) }
        fields["surface"] = (patch.surface ?? current.surface).map { String($0) }
        fields["rooms"] = (patch.rooms ?? current.rooms).map { String($0) }
        fields["postal_code"] = patch.postalCode ?? current.postalCode
        fields["city"] = patch.city ?? current.city
        fields["address"] = patch.address ?? current.address
        let draft = try Self.validateProperty(fields)
        guard let record = try await saveProperty(draft, tenant: tenant, { tx in try await tx.updateProperty(id, with: draft) }) else {
            throw HTTPError(.notFound, message: "property \(id) not found")
        }
        return .ok(.init(body: .json(.init(property: try .init(record)))))
    }

    func deleteProperty(_ input: Operations.DeleteProperty.Input) async throws -> Operations.DeleteProperty.Output {
        let tenant = try tenant(role: .admin)
        let id = try Self.uuid(input.path.id)
        guard try await database.withTenant(tenant, { tx in try await tx.deleteProperty(id) }) else {
            throw HTTPError(.notFound, message: "property \(id) not found")
        }
        return .noContent(.init())
    }

    private func findProperty(_ id: UUID, tenant: TenantID) async throws -> PropertyRecord {
        guard let found = try await database.withTenant(tenant, { tx in try await tx.property(id) }) else {
            throw HTTPError(.notFound, message: "property \(id) not found")
        }
        return found
    }

    /// Runs a write, answering 409 when the external reference is taken.
    private func saveProperty<Result: Sendable>(
        _ draft: PropertyDraft, tenant: TenantID, _ write: @escaping @Sendable (TenantTransaction) async throws -> Result
    ) async throws -> Result {
        do {
            return try await database.withTenant(tenant, write)
        } catch {
            guard error.kind == .uniqueViolation else { throw error }
            throw HTTPError(.conflict, message: "externalRef: a property with reference '\(draft.externalRef)' exists")
        }
    }

    /// The API's field names for the canonical names the shared validation reports.
    static let propertyFieldNames = ["external_ref": "externalRef", "property_type": "propertyType", "postal_code": "postalCode"]

    /// The rules imports use, read exactly (the document already checked the same bounds); 400
    /// naming every field that fails.
    static func validateProperty(_ fields: [String: String]) throws -> PropertyDraft {
        switch PropertyDraft.validate(fields, reading: .exact) {
        case .success(let draft):
            return draft
        case .failure(let failure):
            let message = failure.problems.map { "\(propertyFieldNames[$0.field] ?? $0.field): \($0.message)" }.joined(separator: "; ")
            throw HTTPError(.badRequest, message: message)
        }
    }
}

extension Components.Schemas.Property {
    init(_ record: PropertyRecord) throws {
        self.init(
            id: record.id.lowercasedText, externalRef: record.externalRef, title: record.title,
            propertyType: try stored(record.propertyType, as: Components.Schemas.PropertyType.self, "property type"),
            price: record.price, surface: record.surface, rooms: record.rooms, postalCode: record.postalCode, city: record.city,
            address: record.address, importId: record.importID?.lowercasedText, createdAt: record.createdAt,
            updatedAt: record.updatedAt)
    }
}
