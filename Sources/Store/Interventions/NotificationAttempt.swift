public import Foundation

/// One delivery attempt chain of a notification job to one endpoint (`inter_app.notifications`):
/// about an intervention, or about a property import (migration 0012).
public struct NotificationAttempt: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case pending, delivered, retrying, failed
    }

    /// What the notification is about.
    public enum Subject: Sendable, Equatable {
        case intervention(UUID)
        case propertyImport(UUID)
    }

    public var subject: Subject
    public var endpointID: UUID?
    public var queue: String
    public var jobID: String
    public var event: String
    public var status: Status
    public var responseCode: Int?
    public var lastError: String?

    public init(
        subject: Subject, endpointID: UUID?, queue: String, jobID: String, event: String, status: Status,
        responseCode: Int? = nil, lastError: String? = nil
    ) {
        self.subject = subject
        self.endpointID = endpointID
        self.queue = queue
        self.jobID = jobID
        self.event = event
        self.status = status
        self.responseCode = responseCode
        self.lastError = lastError
    }
}

extension NotificationAttempt.Subject {
    var interventionID: UUID? {
        if case .intervention(let id) = self { return id }
        return nil
    }

    var importID: UUID? {
        if case .propertyImport(let id) = self { return id }
        return nil
    }
}
