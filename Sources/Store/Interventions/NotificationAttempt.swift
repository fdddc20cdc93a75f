public import Foundation

/// One delivery attempt chain of a notification job to one endpoint (`inter_app.notifications`).
public struct NotificationAttempt: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case pending, delivered, retrying, failed
    }

    public var interventionID: UUID
    public var endpointID: UUID?
    public var queue: String
    public var jobID: String
    public var event: String
    public var status: Status
    public var responseCode: Int?
    public var lastError: String?

    public init(
        interventionID: UUID, endpointID: UUID?, queue: String, jobID: String, event: String, status: Status,
        responseCode: Int? = nil, lastError: String? = nil
    ) {
        self.interventionID = interventionID
        self.endpointID = endpointID
        self.queue = queue
        self.jobID = jobID
        self.event = event
        self.status = status
        self.responseCode = responseCode
        self.lastError = lastError
    }
}
