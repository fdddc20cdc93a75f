public import Domain
public import Foundation
public import Queue

// The jobs a schedule's scheduler creates, one kind per queue: each run's trigger job is small
// and retried a few times (the run's own job carries the kind's full policy).

extension ScheduleTrigger: TenantJob {
    public static var queue: String { Marker.kind.queue }
    public static var defaultOptions: JobOptions { .platform(attempts: 3, firstRetryAfter: .seconds(5)) }
}

extension ScheduleKind {
    /// The trigger job of a run of the schedule `id`, as its scheduler's template.
    public func trigger(tenant: TenantID, scheduleID id: UUID) throws -> NewJob {
        switch self {
        case .propertyImport: try ScheduledImportJob(tenantID: tenant, scheduleID: id).newJob()
        case .agentRun: try ScheduledAgentRunJob(tenantID: tenant, scheduleID: id).newJob()
        case .notification: try ScheduledNotificationJob(tenantID: tenant, scheduleID: id).newJob()
        }
    }
}
