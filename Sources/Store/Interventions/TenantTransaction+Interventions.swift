public import Foundation
import Domain
import PostgresNIO

/// Intervention data for the notification job and the API, always within one tenant.
extension TenantTransaction {
    public func intervention(_ id: UUID) async throws(StoreError) -> InterventionRecord? {
        let rows = try await query(
            """
            SELECT id, reference, title, description, status, scheduled_at, technician, address
            FROM inter_app.interventions WHERE id = \(id)
            """)
        guard let row = rows.first else { return nil }
        return try InterventionRecord(row: row)
    }

    /// A page of the tenant's interventions, by schedule (unscheduled last), then reference.
    public func interventions(limit: Int, offset: Int) async throws(StoreError) -> [InterventionRecord] {
        let rows = try await query(
            """
            SELECT id, reference, title, description, status, scheduled_at, technician, address
            FROM inter_app.interventions ORDER BY scheduled_at NULLS LAST, reference LIMIT \(limit) OFFSET \(offset)
            """)
        return try rows.map { row throws(StoreError) in try InterventionRecord(row: row) }
    }

    @discardableResult
    public func insertIntervention(_ record: InterventionRecord) async throws(StoreError) -> InterventionRecord {
        try await query(
            """
            INSERT INTO inter_app.interventions (id, tenant_id, reference, title, description, status, scheduled_at, technician, address)
            VALUES (\(record.id), \(tenant.rawValue), \(record.reference), \(record.title), \(record.description), \(record.status.rawValue),
                    \(record.scheduledAt), \(record.technician), \(record.address))
            """)
        return record
    }

    /// Replaces the intervention's fields with `record`'s; `nil` when it does not exist.
    public func updateIntervention(_ record: InterventionRecord) async throws(StoreError) -> InterventionRecord? {
        let rows = try await query(
            """
            UPDATE inter_app.interventions SET reference = \(record.reference), title = \(record.title),
                description = \(record.description), status = \(record.status.rawValue), scheduled_at = \(record.scheduledAt),
                technician = \(record.technician), address = \(record.address), updated_at = now()
            WHERE id = \(record.id) RETURNING id
            """)
        return rows.isEmpty ? nil : record
    }

    /// Deletes the intervention (its notifications go with it); `false` when it does not exist.
    public func deleteIntervention(_ id: UUID) async throws(StoreError) -> Bool {
        try await !query("DELETE FROM inter_app.interventions WHERE id = \(id) RETURNING id").isEmpty
    }

    /// The tenant's enabled endpoints subscribed to `event`.
    public func webhookEndpoints(for event: String) async throws(StoreError) -> [WebhookEndpoint] {
        let rows = try await query(
            """
            SELECT id, url, events, enabled FROM inter_app.webhook_endpoints
            WHERE enabled AND \(event) = ANY(events) ORDER BY created_at, id
            """)
        do {
            return try rows.map { row in
                let (id, url, events, enabled) = try row.decode((UUID, String, [String], Bool).self)
                return WebhookEndpoint(id: id, url: url, events: events, enabled: enabled)
            }
        } catch {
            throw StoreError(error)
        }
    }

    /// Adds an endpoint; without `events` it hears every event (as the column's default,
    /// migration 0012): the interventions' and `import_finished`.
    @discardableResult
    public func insertWebhookEndpoint(url: String, events: [String]? = nil) async throws(StoreError) -> WebhookEndpoint {
        let id = UUID()
        let defaults = ["scheduled", "rescheduled", "en_route", "completed", "cancelled", "import_finished"]
        try await query(
            """
            INSERT INTO inter_app.webhook_endpoints (id, tenant_id, url, events)
            VALUES (\(id), \(tenant.rawValue), \(url), \(events ?? defaults))
            """)
        return WebhookEndpoint(id: id, url: url, events: events ?? defaults)
    }

    /// The secret webhooks of this tenant are signed with.
    public func webhookSecret() async throws(StoreError) -> String {
        let rows = try await query("SELECT webhook_secret FROM public.tenants WHERE id = \(tenant.rawValue)")
        guard let row = rows.first else {
            throw StoreError(kind: .notFound, message: "tenant \(tenant) does not exist")
        }
        do { return try row.decode(String.self) } catch { throw StoreError(error) }
    }

    /// Endpoints this job is done with — delivered, or refused for good — so a re-run skips them.
    public func settledEndpoints(queue: String, jobID: String) async throws(StoreError) -> Set<UUID> {
        let rows = try await query(
            """
            SELECT endpoint_id FROM inter_app.notifications
            WHERE queue = \(queue) AND job_id = \(jobID) AND status IN ('delivered', 'failed') AND endpoint_id IS NOT NULL
            """)
        do { return Set(try rows.map { try $0.decode(UUID.self) }) } catch { throw StoreError(error) }
    }

    /// Records one delivery attempt: one row per (job, endpoint), its attempt count incremented.
    public func record(_ attempt: NotificationAttempt) async throws(StoreError) {
        let error = attempt.lastError.map { String($0.prefix(2_000)) }
        try await query(
            """
            INSERT INTO inter_app.notifications
                (tenant_id, intervention_id, import_id, endpoint_id, queue, job_id, event, status, attempts, response_code, last_error,
                 delivered_at, updated_at)
            VALUES (\(tenant.rawValue), \(attempt.subject.interventionID), \(attempt.subject.importID), \(attempt.endpointID), \(attempt.queue), \(attempt.jobID),
                    \(attempt.event), \(attempt.status.rawValue), 1, \(attempt.responseCode), \(error),
                    CASE WHEN \(attempt.status.rawValue) = 'delivered' THEN now() END, now())
            ON CONFLICT (tenant_id, queue, job_id, endpoint_id) DO UPDATE SET
                status = EXCLUDED.status, attempts = notifications.attempts + 1, response_code = EXCLUDED.response_code,
                last_error = EXCLUDED.last_error, delivered_at = COALESCE(notifications.delivered_at, EXCLUDED.delivered_at),
                updated_at = now()
            """)
    }

    /// The notification rows of an intervention, newest first.
    public func notifications(interventionID: UUID) async throws(StoreError) -> [NotificationRow] {
        let rows = try await query(
            """
            SELECT id, endpoint_id, job_id, event, status, attempts, response_code, last_error, delivered_at
            FROM inter_app.notifications WHERE intervention_id = \(interventionID) ORDER BY created_at DESC, id
            """)
        do {
            return try rows.map { row in
                let (id, endpoint, job, event, status, attempts, code, error, delivered) = try row.decode(
                    (UUID, UUID?, String, String, String, Int, Int?, String?, Date?).self)
                return NotificationRow(
                    id: id, endpointID: endpoint, jobID: job, event: event,
                    status: try stored(status, as: NotificationAttempt.Status.self, column: "inter_app.notifications.status"), attempts: attempts,
                    responseCode: code, lastError: error, deliveredAt: delivered)
            }
        } catch {
            throw StoreError(error)
        }
    }
}

extension InterventionRecord {
    /// From a row of `id, reference, title, description, status, scheduled_at, technician, address`.
    init(row: PostgresRow) throws(StoreError) {
        do {
            let (id, reference, title, description, status, scheduledAt, technician, address) = try row.decode(
                (UUID, String, String, String?, String, Date?, String?, String?).self)
            self.init(
                id: id, reference: reference, title: title, description: description,
                status: try stored(status, as: InterventionStatus.self, column: "inter_app.interventions.status"),
                scheduledAt: scheduledAt, technician: technician, address: address)
        } catch {
            throw StoreError(error)
        }
    }
}
