public import Foundation

/// A stored notification row, as the API shows it.
public struct NotificationRow: Sendable, Equatable, Codable {
    public var id: UUID
    public var endpointID: UUID?
    public var jobID: String
    public var event: String
    public var status: NotificationAttempt.Status
    public var attempts: Int
    public var responseCode: Int?
    public var lastError: String?
    public var deliveredAt: Date?
}
