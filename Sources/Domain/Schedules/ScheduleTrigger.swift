#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A schedule kind as a type, so that each kind's trigger is a job kind of its own (a job kind
/// belongs to one queue: `TenantJob` in the `Jobs` target).
public protocol ScheduleKindMarker: Sendable {
    static var kind: ScheduleKind { get }
}

/// Recurring property imports.
public enum ImportSchedules: ScheduleKindMarker { public static let kind = ScheduleKind.propertyImport }
/// Recurring agent runs.
public enum AgentRunSchedules: ScheduleKindMarker { public static let kind = ScheduleKind.agentRun }
/// Recurring notifications.
public enum NotificationSchedules: ScheduleKindMarker { public static let kind = ScheduleKind.notification }

/// The payload of the job a schedule's scheduler creates for each run: only the tenant and the
/// schedule. The worker that takes it reads the schedule row and starts the run's own job, so a
/// schedule changed or deleted in PostgreSQL is what the next run follows.
public struct ScheduleTrigger<Marker: ScheduleKindMarker>: Codable, Sendable, Equatable {
    /// `scheduled-` and the kind: `scheduled-property-import`, `scheduled-agent-run`, `scheduled-notification`.
    public static var name: String { "scheduled-\(Marker.kind.rawValue)" }
    public static var kind: ScheduleKind { Marker.kind }

    public var tenantID: TenantID
    public var scheduleID: UUID

    public init(tenantID: TenantID, scheduleID: UUID) {
        self.tenantID = tenantID
        self.scheduleID = scheduleID
    }

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenantId"
        case scheduleID = "scheduleId"
    }
}

/// The trigger of a recurring property import (queue `immo-imports`).
public typealias ScheduledImportJob = ScheduleTrigger<ImportSchedules>
/// The trigger of a recurring agent run (queue `agent-runs`).
public typealias ScheduledAgentRunJob = ScheduleTrigger<AgentRunSchedules>
/// The trigger of a recurring notification (queue `inter-notifications`).
public typealias ScheduledNotificationJob = ScheduleTrigger<NotificationSchedules>
