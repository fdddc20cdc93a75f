public import Domain
public import Foundation
import PostgresNIO

/// Properties one at a time, as the API edits them (imports write in batches elsewhere).
extension TenantTransaction {
    /// A page of the tenant's properties matching `filter`, by external reference.
    public func properties(_ filter: PropertyFilter, limit: Int, offset: Int) async throws(StoreError) -> [PropertyRecord] {
        let rows = try await query(
            """
            SELECT \(unescaped: PropertyRecord.columns) FROM immo_app.properties
            WHERE (\(filter.city)::text IS NULL OR lower(city) = lower(\(filter.city)::text))
              AND (\(filter.propertyType?.rawValue)::text IS NULL OR property_type = \(filter.propertyType?.rawValue)::text)
              AND (\(filter.minPrice)::numeric IS NULL OR price >= \(filter.minPrice)::numeric)
              AND (\(filter.maxPrice)::numeric IS NULL OR price <= \(filter.maxPrice)::numeric)
              AND (\(filter.postalCode)::text IS NULL OR postal_code = \(filter.postalCode)::text)
            ORDER BY external_ref LIMIT \(limit) OFFSET \(offset)
            """)
        return try rows.map { row throws(StoreError) in try PropertyRecord(row: row) }
    }

    public func property(_ id: UUID) async throws(StoreError) -> PropertyRecord? {
        let rows = try await query("SELECT \(unescaped: PropertyRecord.columns) FROM immo_app.properties WHERE id = \(id)")
        return try rows.first.map { row throws(StoreError) in try PropertyRecord(row: row) }
    }

    /// Inserts a validated property; a taken external reference is a `uniqueViolation`.
    public func insertProperty(_ draft: PropertyDraft) async throws(StoreError) -> PropertyRecord {
        let rows = try await query(
            """
            INSERT INTO immo_app.properties
                (tenant_id, external_ref, title, property_type, price, surface, rooms, postal_code, city, address)
            VALUES (\(tenant.rawValue), \(draft.externalRef), \(draft.title), \(draft.propertyType.rawValue), \(draft.price)::numeric,
                    \(draft.surface)::numeric, \(draft.rooms), \(draft.postalCode), \(draft.city), \(draft.address))
            RETURNING \(unescaped: PropertyRecord.columns)
            """)
        guard let row = rows.first else { throw StoreError(kind: .other, message: "insert returned no row") }
        return try PropertyRecord(row: row)
    }

    /// Replaces a property's fields; `nil` when it does not exist.
    public func updateProperty(_ id: UUID, with draft: PropertyDraft) async throws(StoreError) -> PropertyRecord? {
        let rows = try await query(
            """
            UPDATE immo_app.properties SET external_ref = \(draft.externalRef), title = \(draft.title),
                property_type = \(draft.propertyType.rawValue), price = \(draft.price)::numeric, surface = \(draft.surface)::numeric,
                rooms = \(draft.rooms), postal_code = \(draft.postalCode), city = \(draft.city), address = \(draft.address),
                updated_at = now()
            WHERE id = \(id) RETURNING \(unescaped: PropertyRecord.columns)
            """)
        return try rows.first.map { row throws(StoreError) in try PropertyRecord(row: row) }
    }

    /// `false` when it does not exist.
    public func deleteProperty(_ id: UUID) async throws(StoreError) -> Bool {
        try await !query("DELETE FROM immo_app.properties WHERE id = \(id) RETURNING id").isEmpty
    }
}
