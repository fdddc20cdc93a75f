import Domain
import Foundation
public import Hummingbird
public import Store

/// `/api/properties`: the tenant's real-estate listings, one at a time (bulk goes through imports).
public struct PropertyRoutes: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Create and PATCH body; on PATCH only the fields present change.
    struct Input: Decodable {
        var externalRef: String?
        var title: String?
        var propertyType: String?
        var price: Double?
        var surface: Double?
        var rooms: Int?
        var postalCode: String?
        var city: String?
        var address: String?
    }

    struct One: ResponseEncodable { let property: PropertyRecord }
    struct Many: ResponseEncodable { let properties: [PropertyRecord] }

    public func register<Group: RouterMethods<APIRequestContext>>(on routes: RouteRegistrar<Group>) {
        routes.get("/properties", "List the tenant's properties (city, type, minPrice, maxPrice, postalCode, limit, offset)", use: list)
        routes.post("/properties", "Create a property", status: 201, use: create)
        routes.get("/properties/:id", "Read a property", use: read)
        routes.patch("/properties/:id", "Change a property's fields", use: update)
        routes.delete("/properties/:id", "Delete a property", use: delete)
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> Many {
        let tenant = try context.requireTenant()
        let (limit, offset) = try request.pagination()
        let filter = try Self.filter(request)
        let rows = try await database.withTenant(tenant) { tx in try await tx.properties(filter, limit: limit, offset: offset) }
        return Many(properties: rows)
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<One> {
        let tenant = try context.requireTenant(role: .member)
        let draft = try Self.validate(try await request.decodeInput(Input.self, context: context))
        let record = try await save(draft, tenant: tenant) { tx in try await tx.insertProperty(draft) }
        return EditedResponse(status: .created, response: One(property: record))
    }

    @Sendable func read(_ request: Request, context: APIRequestContext) async throws -> One {
        let tenant = try context.requireTenant()
        let id = try context.parameters.require("id", as: UUID.self)
        return One(property: try await find(id, tenant: tenant))
    }

    @Sendable func update(_ request: Request, context: APIRequestContext) async throws -> One {
        let tenant = try context.requireTenant(role: .member)
        let id = try context.parameters.require("id", as: UUID.self)
        let patch = try await request.decodeInput(Input.self, context: context)
        let current = try await find(id, tenant: tenant)
        let draft = try Self.validate(Self.merge(patch, into: current))
        let record = try await save(draft, tenant: tenant) { tx in try await tx.updateProperty(id, with: draft) }
        guard let record else { throw HTTPError(.notFound, message: "property \(id) not found") }
        return One(property: record)
    }

    @Sendable func delete(_ request: Request, context: APIRequestContext) async throws -> HTTPResponse.Status {
        let tenant = try context.requireTenant(role: .admin)
        let id = try context.parameters.require("id", as: UUID.self)
        let deleted = try await database.withTenant(tenant) { tx in try await tx.deleteProperty(id) }
        guard deleted else { throw HTTPError(.notFound, message: "property \(id) not found") }
        return .noContent
    }

    private func find(_ id: UUID, tenant: TenantID) async throws -> PropertyRecord {
        guard let found = try await database.withTenant(tenant, { tx in try await tx.property(id) }) else {
            throw HTTPError(.notFound, message: "property \(id) not found")
        }
        return found
    }

    /// Runs a write, answering 409 when the external reference is taken.
    private func save<Result: Sendable>(
        _ draft: PropertyDraft, tenant: TenantID, _ write: @Sendable (TenantTransaction) async throws -> Result
    ) async throws -> Result {
        do {
            return try await database.withTenant(tenant, write)
        } catch {
            guard error.kind == .uniqueViolation else { throw error }
            throw HTTPError(.conflict, message: "externalRef: a property with reference '\(draft.externalRef)' exists")
        }
    }

    static func filter(_ request: Request) throws -> PropertyFilter {
        let query = request.uri.queryParameters
        var filter = PropertyFilter()
        filter.city = query["city"].map(String.init)
        filter.postalCode = query["postalCode"].map(String.init)
        if let text = query["type"].map(String.init) {
            guard let type = PropertyDraft.PropertyType(rawValue: text) else {
                throw invalid("type", "must be one of \(PropertyDraft.PropertyType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.propertyType = type
        }
        let bounds: [(String, WritableKeyPath<PropertyFilter, Double?>)] = [("minPrice", \.minPrice), ("maxPrice", \.maxPrice)]
        for (name, keyPath) in bounds {
            guard let text = query[name[...]].map(String.init) else { continue }
            guard let value = Double(text), value.isFinite, value >= 0 else { throw invalid(name, "must be a non-negative number") }
            filter[keyPath: keyPath] = value
        }
        return filter
    }

    static func merge(_ patch: Input, into current: PropertyRecord) -> Input {
        Input(
            externalRef: patch.externalRef ?? current.externalRef, title: patch.title ?? current.title,
            propertyType: patch.propertyType ?? current.propertyType, price: patch.price ?? current.price,
            surface: patch.surface ?? current.surface, rooms: patch.rooms ?? current.rooms,
            postalCode: patch.postalCode ?? current.postalCode, city: patch.city ?? current.city,
            address: patch.address ?? current.address)
    }

    /// The API's field names for the canonical names the shared validation reports.
    static let apiNames = ["external_ref": "externalRef", "property_type": "propertyType", "postal_code": "postalCode"]

    /// Validates with the same rules as imports; 400 naming every field that fails.
    static func validate(_ input: Input) throws -> PropertyDraft {
        var fields: [String: String] = [:]
        fields["external_ref"] = input.externalRef
        fields["title"] = input.title
        fields["property_type"] = input.propertyType
        fields["price"] = input.price.map { String($0) }
        fields["surface"] = input.surface.map { String($0) }
        fields["rooms"] = input.rooms.map { String($0) }
        fields["postal_code"] = input.postalCode
        fields["city"] = input.city
        fields["address"] = input.address
        switch PropertyDraft.validate(fields) {
        case .success(let draft):
            return draft
        case .failure(let failure):
            let message = failure.problems.map { "\(apiNames[$0.field] ?? $0.field): \($0.message)" }.joined(separator: "; ")
            throw HTTPError(.badRequest, message: message)
        }
    }
}
