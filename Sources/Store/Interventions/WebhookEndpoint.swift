public import Foundation

/// A tenant's webhook endpoint for intervention events.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: UUID
    public var url: String
    public var events: [String]
    public var enabled: Bool

    public init(id: UUID, url: String, events: [String], enabled: Bool = true) {
        self.id = id
        self.url = url
        self.events = events
        self.enabled = enabled
    }
}
