#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What a tenant's schedule runs (`public.job_schedules.kind`, migration 0011).
public enum ScheduleKind: String, Sendable, Codable, CaseIterable {
    /// A new import of a stored import's source file.
    case propertyImport = "property-import"
    /// A new run of an agent with a fixed prompt.
    case agentRun = "agent-run"
    /// An intervention's notification, sent again.
    case notification

    /// The queue its scheduler and its runs' jobs go on.
    public var queue: String {
        switch self {
        case .propertyImport: QueueName.imports
        case .agentRun: QueueName.agentRuns
        case .notification: QueueName.notifications
        }
    }

    /// The kind whose schedulers live on `queue`, if any.
    public init?(queue: String) {
        guard let kind = Self.allCases.first(where: { $0.queue == queue }) else { return nil }
        self = kind
    }

    /// The Redis scheduler id of the schedule `id`: `sch-` and the lowercase UUID.
    public static func schedulerID(_ id: UUID) -> String { "sch-\(id.lowercasedText)" }

    /// The schedule id in a scheduler id made by ``schedulerID(_:)``; nil for any other scheduler.
    public static func scheduleID(inScheduler id: String) -> UUID? {
        guard id.hasPrefix("sch-") else { return nil }
        return UUID(text: String(id.dropFirst(4)))
    }
}
