public import Domain
public import Foundation
import PostgresNIO

/// A property as stored in `immo_app.properties`.
public struct PropertyRecord: Sendable, Equatable, Codable {
    public var id: UUID
    public var externalRef: String
    public var title: String
    public var propertyType: String
    public var price: Double?
    public var surface: Double?
    public var rooms: Int?
    public var postalCode: String?
    public var city: String?
    public var address: String?
    /// The import that last wrote it, if any.
    public var importID: UUID?
    public var createdAt: Date
    public var updatedAt: Date

    /// The columns `init(row:)` reads, in order.
    static let columns = """
        id, external_ref, title, property_type, price::float8, surface::float8, rooms, postal_code, city, address,
        import_id, created_at, updated_at
        """

    init(row: PostgresRow) throws(StoreError) {
        do {
            let (id, ref, title, type, price, surface, rooms, postal, city, address, importID, created, updated) =
                try row.decode((UUID, String, String, String, Double?, Double?, Int?, String?, String?, String?, UUID?, Date, Date).self)
            self.init(
                id: id, externalRef: ref, title: title, propertyType: type, price: price, surface: surface, rooms: rooms,
                postalCode: postal, city: city, address: address, importID: importID, createdAt: created, updatedAt: updated)
        } catch {
            throw StoreError(error)
        }
    }

    public init(
        id: UUID, externalRef: String, title: String, propertyType: String, price: Double?, surface: Double?, rooms: Int?,
        postalCode: String?, city: String?, address: String?, importID: UUID?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.externalRef = externalRef
        self.title = title
        self.propertyType = propertyType
        self.price = price
        self.surface = surface
        self.rooms = rooms
        self.postalCode = postalCode
        self.city = city
        self.address = address
        self.importID = importID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Which properties a list returns; every filter is optional.
public struct PropertyFilter: Sendable, Equatable {
    public var city: String?
    public var propertyType: PropertyDraft.PropertyType?
    public var minPrice: Double?
    public var maxPrice: Double?
    public var postalCode: String?

    public init(
        city: String? = nil, propertyType: PropertyDraft.PropertyType? = nil, minPrice: Double? = nil, maxPrice: Double? = nil,
        postalCode: String? = nil
    ) {
        self.city = city
        self.propertyType = propertyType
        self.minPrice = minPrice
        self.maxPrice = maxPrice
        self.postalCode = postalCode
    }
}
