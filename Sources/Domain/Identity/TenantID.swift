#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The identifier of a tenant (one customer organisation of the SaaS).
///
/// Every tenant-scoped row in PostgreSQL carries it, and row-level security compares it with the
/// tenant set on the transaction, so it is a distinct type rather than a bare `UUID`: a user id or
/// a record id cannot be passed where a tenant is meant.
public struct TenantID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UUID

    public init(_ rawValue: UUID) {
        self.rawValue = rawValue
    }

    /// Parses the canonical textual form of a UUID; `nil` when the text is not one.
    public init?(uuidString: String) {
        guard let uuid = UUID(text: uuidString) else { return nil }
        self.rawValue = uuid
    }

    public var description: String { rawValue.lowercasedText }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let uuid = UUID(text: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "tenant id '\(text)' is not a UUID")
        }
        self.rawValue = uuid
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
