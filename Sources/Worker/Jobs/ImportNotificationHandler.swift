import AsyncHTTPClient
public import Domain
import Foundation
public import Jobs
import NIOCore
import Queue
public import Store

/// Tells the tenant's webhook endpoints that an import finished (queue `inter-notifications`, job
/// `import-notification`): event `import_finished` with the import's status and counts, signed and
/// recorded as intervention notifications are (``WebhookFanOut``), one row per endpoint with the
/// import's id.
///
/// It is the parent of the import's job (a flow, `POST /api/property-imports?notify=webhook`), so
/// it runs once the import's job has ended, completed or failed. Run before that (the outbox relay
/// re-added it alone after Redis lost the flow), it waits for the import, without using attempts,
/// up to ``maximumWaits`` times 5 s.
public struct ImportNotificationHandler: JobHandler {
    public let defaultTimeout: Duration = .seconds(120)
    /// Checks of an unfinished import (5 s apart) before the wait counts as a failed attempt.
    public static let maximumWaits = 720
    let fanOut: WebhookFanOut

    public init(policy: WebhookDestinationPolicy = .init(), requestTimeout: Duration = .seconds(10)) {
        self.fanOut = WebhookFanOut(
            policy: policy, requestTimeout: TimeAmount(requestTimeout), maximumPostponements: NotificationHandler.maximumPostponements)
    }

    struct Body: Encodable {
        let id: String
        let event: String
        let tenantId: String
        let occurredAt: String
        let `import`: Import

        struct Import: Encodable {
            let id: String
            let status: ImportStatus
            let totalRows: Int
            let inserted: Int
            let updated: Int
            let rejected: Int
            let error: String?
            let finishedAt: String?
        }
    }

    public func run(_ payload: ImportNotificationJob, in job: JobRun) async throws -> JobOutcome {
        let queue = ImportNotificationJob.queue
        let jobID = job.job.id
        let (found, endpoints, secret, settled) = try await job.database.withTenant(job.tenant) { tx in
            (
                try await tx.propertyImport(payload.importID), try await tx.webhookEndpoints(for: ImportNotificationJob.event),
                try await tx.webhookSecret(), try await tx.settledEndpoints(queue: queue, jobID: jobID)
            )
        }
        guard let record = found else {
            throw UnrecoverableJobError("import \(payload.importID) does not exist for tenant \(job.tenant)")
        }
        if record.status.isPending {
            guard job.job.attemptsStarted - job.job.attemptsMade <= Self.maximumWaits else {
                return .failed(reason: "import \(record.id) has not finished after an hour of waiting", retryable: true)
            }
            return .postponed(after: .seconds(5), reason: "import \(record.id) has not finished yet")
        }
        let iso = ISO8601DateFormatter()
        let body = Body(
            id: "\(queue):\(jobID)", event: ImportNotificationJob.event, tenantId: job.tenant.description,
            occurredAt: iso.string(from: record.finishedAt ?? Date()),
            import: .init(
                id: record.id.lowercasedText, status: record.status, totalRows: record.totalRows, inserted: record.inserted,
                updated: record.updated, rejected: record.rejected, error: record.error, finishedAt: record.finishedAt.map { iso.string(from: $0) }))
        let bytes = Array(try CanonicalJSON.encoder.encode(body))
        return await fanOut.deliver(
            bytes, to: endpoints, settled: settled, secret: secret, job: job, queue: queue, event: ImportNotificationJob.event,
            subject: .propertyImport(record.id))
    }
}
