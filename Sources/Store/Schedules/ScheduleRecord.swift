public import Domain
public import Foundation
import PostgresNIO

/// A schedule as stored in `public.job_schedules` (migration 0011).
public struct ScheduleRecord: Sendable, Equatable {
    public var id: UUID
    public var tenant: TenantID
    public var definition: ScheduleDefinition
    public var createdBy: UUID?
    public var createdAt: Date
    public var updatedAt: Date

    public var kind: ScheduleKind { definition.kind }

    static let columns = """
        id, kind, name, every_ms, pattern, time_zone, start_at, end_at, run_limit, immediately, source_import_id, agent_id, \
        prompt, intervention_id, event, channels, created_by, created_at, updated_at, tenant_id
        """

    init(row: PostgresRow) throws(StoreError) {
        let decoded:
            (
                UUID, String, String, Int?, String?, String?, Date?, Date?, Int?, Bool, UUID?, UUID?, String?, UUID?, String?, [String]?,
                UUID?, Date, Date, UUID
            )
        do {
            decoded = try row.decode(
                (
                    UUID, String, String, Int?, String?, String?, Date?, Date?, Int?, Bool, UUID?, UUID?, String?, UUID?, String?,
                    [String]?, UUID?, Date, Date, UUID
                ).self)
        } catch {
            throw StoreError(error)
        }
        let (
            id, kindText, name, every, pattern, zone, start, end, limit, immediately, source, agent, prompt, intervention, eventText,
            channels, createdBy, createdAt, updatedAt, tenant
        ) = decoded
        let kind = try stored(kindText, as: ScheduleKind.self, column: "public.job_schedules.kind")
        let cadence: ScheduleDefinition.Cadence
        if let every {
            cadence = .every(milliseconds: every)
        } else if let pattern {
            cadence = .cron(pattern: pattern, timeZone: zone)
        } else {
            throw StoreError(kind: .other, message: "schedule \(id) has neither every_ms nor pattern")
        }
        let action: ScheduleDefinition.Action
        switch kind {
        case .propertyImport:
            guard let source else { throw StoreError(kind: .other, message: "schedule \(id) names no source import") }
            action = .propertyImport(sourceImportID: source)
        case .agentRun:
            guard let agent, let prompt else { throw StoreError(kind: .other, message: "schedule \(id) names no agent or prompt") }
            action = .agentRun(agentID: agent, prompt: prompt)
        case .notification:
            guard let intervention, let eventText else {
                throw StoreError(kind: .other, message: "schedule \(id) names no intervention or event")
            }
            let event = try stored(eventText, as: InterventionEvent.self, column: "public.job_schedules.event")
            action = .notification(interventionID: intervention, event: event, channels: channels ?? ["webhook"])
        }
        self.id = id
        self.tenant = TenantID(tenant)
        self.definition = ScheduleDefinition(
            name: name, cadence: cadence, startAt: start, endAt: end, limit: limit, immediately: immediately, action: action)
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
