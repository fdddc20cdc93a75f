#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The payload of a property import job (queue `immo-imports`): the source itself is in PostgreSQL.
public struct PropertyImportJob: Codable, Sendable, Equatable {
    public static let name = "property-import"

    public var tenantID: TenantID
    public var importID: UUID

    public init(tenantID: TenantID, importID: UUID) {
        self.tenantID = tenantID
        self.importID = importID
    }

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenantId"
        case importID = "importId"
    }
}
