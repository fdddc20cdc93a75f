public import Domain
public import Foundation

/// An intervention (a field-service visit) as stored in `inter_app.interventions`.
public struct InterventionRecord: Sendable, Equatable, Codable {
    public var id: UUID
    public var reference: String
    public var title: String
    public var description: String?
    public var status: InterventionStatus
    public var scheduledAt: Date?
    public var technician: String?
    public var address: String?

    public init(
        id: UUID, reference: String, title: String, description: String? = nil, status: InterventionStatus = .scheduled,
        scheduledAt: Date? = nil, technician: String? = nil, address: String? = nil
    ) {
        self.id = id
        self.reference = reference
        self.title = title
        self.description = description
        self.status = status
        self.scheduledAt = scheduledAt
        self.technician = technician
        self.address = address
    }
}
