public import Domain
public import Foundation
import PostgresNIO

/// A tenant's schedules (`public.job_schedules`), always within one tenant.
extension TenantTransaction {
    /// Stores a new schedule, unless the tenant already keeps `maximum` of them (then nil).
    /// Concurrent creations of one tenant queue on a transaction lock, so the cap holds.
    public func insertSchedule(
        id: UUID, _ definition: ScheduleDefinition, createdBy: UUID?, maximum: Int = ScheduleDefinition.maximumPerTenant
    ) async throws(StoreError) -> ScheduleRecord? {
        try await query("SELECT pg_advisory_xact_lock(hashtextextended('job_schedules:' || \(tenant.rawValue)::text, 0))")
        let count = try await scheduleCount()
        guard count < maximum else { return nil }
        let values = Columns(definition)
        let rows = try await query(
            """
            INSERT INTO public.job_schedules (
                id, tenant_id, kind, name, every_ms, pattern, time_zone, start_at, end_at, run_limit, immediately,
                source_import_id, agent_id, prompt, intervention_id, event, channels, created_by)
            VALUES (
                \(id), \(tenant.rawValue), \(definition.kind.rawValue), \(definition.name), \(values.every), \(values.pattern),
                \(values.timeZone), \(definition.startAt), \(definition.endAt), \(definition.limit), \(definition.immediately),
                \(values.sourceImport), \(values.agent), \(values.prompt), \(values.intervention), \(values.event), \(values.channels),
                \(createdBy))
            RETURNING \(unescaped: ScheduleRecord.columns)
            """)
        return try rows.first.map { row throws(StoreError) in try ScheduleRecord(row: row) }
    }

    /// Replaces a schedule's definition (its kind stays: a schedule does not change what it
    /// runs into another kind). Nil when there is no such schedule.
    public func updateSchedule(_ id: UUID, _ definition: ScheduleDefinition) async throws(StoreError) -> ScheduleRecord? {
        let values = Columns(definition)
        let rows = try await query(
            """
            UPDATE public.job_schedules SET
                name = \(definition.name), every_ms = \(values.every), pattern = \(values.pattern), time_zone = \(values.timeZone),
                start_at = \(definition.startAt), end_at = \(definition.endAt), run_limit = \(definition.limit),
                immediately = \(definition.immediately), source_import_id = \(values.sourceImport), agent_id = \(values.agent),
                prompt = \(values.prompt), intervention_id = \(values.intervention), event = \(values.event),
                channels = \(values.channels), updated_at = now()
            WHERE id = \(id) AND kind = \(definition.kind.rawValue)
            RETURNING \(unescaped: ScheduleRecord.columns)
            """)
        return try rows.first.map { row throws(StoreError) in try ScheduleRecord(row: row) }
    }

    /// The schedule `id`; with `forUpdate`, locked until the transaction ends (a writer that
    /// reads, changes Redis and writes back holds it throughout).
    public func schedule(_ id: UUID, forUpdate: Bool = false) async throws(StoreError) -> ScheduleRecord? {
        let lock = forUpdate ? " FOR UPDATE" : ""
        let rows = try await query(
            "SELECT \(unescaped: ScheduleRecord.columns) FROM public.job_schedules WHERE id = \(id)\(unescaped: lock)")
        return try rows.first.map { row throws(StoreError) in try ScheduleRecord(row: row) }
    }

    /// The tenant's schedules, oldest first.
    public func schedules(limit: Int, offset: Int) async throws(StoreError) -> [ScheduleRecord] {
        let rows = try await query(
            """
            SELECT \(unescaped: ScheduleRecord.columns) FROM public.job_schedules
            ORDER BY created_at, id LIMIT \(limit) OFFSET \(offset)
            """)
        return try rows.map { row throws(StoreError) in try ScheduleRecord(row: row) }
    }

    public func scheduleCount() async throws(StoreError) -> Int {
        let rows = try await query("SELECT count(*)::bigint FROM public.job_schedules")
        do { return try rows.first?.decode(Int.self) ?? 0 } catch { throw StoreError(error) }
    }

    /// Deletes a schedule; returns whether it existed.
    public func deleteSchedule(_ id: UUID) async throws(StoreError) -> Bool {
        try await !query("DELETE FROM public.job_schedules WHERE id = \(id) RETURNING id").isEmpty
    }

    /// Starts an import of `source`'s stored file as the new import `id` (kept when `id` exists
    /// already: a trigger run twice starts one import). Returns false when `source` is not the
    /// tenant's import.
    public func copyPropertyImport(from source: UUID, to id: UUID, jobID: String, createdBy: UUID?) async throws(StoreError) -> Bool {
        let rows = try await query(
            """
            WITH source AS (SELECT format, source, source_size FROM immo_app.property_imports WHERE id = \(source)),
            added AS (
                INSERT INTO immo_app.property_imports (id, tenant_id, format, source, source_size, job_id, created_by)
                SELECT \(id), \(tenant.rawValue), format, source, source_size, \(jobID), \(createdBy) FROM source
                ON CONFLICT (id) DO NOTHING
                RETURNING id
            )
            SELECT count(*)::bigint FROM source
            """)
        do { return try (rows.first?.decode(Int.self) ?? 0) > 0 } catch { throw StoreError(error) }
    }

    /// The columns a definition fills, by kind.
    private struct Columns {
        var every: Int?
        var pattern: String?
        var timeZone: String?
        var sourceImport: UUID?
        var agent: UUID?
        var prompt: String?
        var intervention: UUID?
        var event: String?
        var channels: [String]?

        init(_ definition: ScheduleDefinition) {
            switch definition.cadence {
            case .every(let milliseconds): every = milliseconds
            case .cron(let text, let zone):
                pattern = text
                timeZone = zone
            }
            switch definition.action {
            case .propertyImport(let source): sourceImport = source
            case .agentRun(let agentID, let text):
                agent = agentID
                prompt = text
            case .notification(let interventionID, let name, let list):
                intervention = interventionID
                event = name.rawValue
                channels = list
            }
        }
    }
}
