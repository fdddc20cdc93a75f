#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The payload of "tell me when this import finishes" (queue `inter-notifications`): a webhook
/// `import_finished` with the import's outcome, sent to the tenant's endpoints subscribed to it.
/// Added with the import as the parent of its job (a flow), so it runs when the import ends.
public struct ImportNotificationJob: Codable, Sendable, Equatable {
    public static let name = "import-notification"
    /// The webhook event it sends.
    public static let event = "import_finished"

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
