#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The payload of an intervention notification job (queue `inter-notifications`).
public struct NotificationJob: Codable, Sendable, Equatable {
    public static let name = "intervention-notification"

    public var tenantID: TenantID
    public var interventionID: UUID
    public var event: InterventionEvent
    /// Delivery channels; only `webhook` exists today.
    public var channels: [String]

    public init(tenantID: TenantID, interventionID: UUID, event: InterventionEvent, channels: [String] = ["webhook"]) {
        self.tenantID = tenantID
        self.interventionID = interventionID
        self.event = event
        self.channels = channels
    }

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenantId"
        case interventionID = "interventionId"
        case event, channels
    }

    public static let supportedChannels: Set<String> = ["webhook"]

    public func validate() throws(PayloadError) {
        guard !channels.isEmpty else { throw PayloadError(field: "channels", "must name at least one channel") }
        for channel in channels where !Self.supportedChannels.contains(channel) {
            throw PayloadError(field: "channels", "unknown channel '\(channel)' (supported: webhook)")
        }
    }
}
