import AsyncHTTPClient
public import Domain
import Foundation
public import Jobs
import Logging
import NIOCore
import NIOHTTP1
import Queue
public import Store

/// Delivers intervention notifications to the tenant's webhook endpoints (queue `inter-notifications`).
///
/// Each endpoint gets a signed JSON POST (see ``WebhookSignature``) with `Idempotency-Key:
/// <queue>:<job id>`. 2xx is delivered; 408, 5xx, timeouts and connection errors are retried
/// with the job's backoff; other 4xx fail at once. A 429 is the receiver asking to wait: the
/// endpoint is held (``EndpointHold``, its `Retry-After`, 1 s to 10 min, 30 s without one) and
/// the job runs again after that without using an attempt, up to ``maximumPostponements``
/// times, after which a 429 is retried like a 5xx. Every attempt is recorded in
/// `inter_app.notifications`, one row per (job, endpoint); a re-run skips endpoints that already
/// received the notification or refused it for good.
///
/// Endpoint URLs are tenant-controlled and may be secrets (a Slack hook carries its token): each
/// destination is checked by the ``WebhookDestinationPolicy`` and the delivery connects to the
/// address it checked; URLs and receivers' answers never reach a failure reason, a log line or
/// a job view (endpoints are named by id, answers by status code).
public struct NotificationHandler: JobHandler {
    /// Enough for one webhook delivery (its HTTP call has a 10 s read timeout).
    public let defaultTimeout: Duration = .seconds(120)
    /// Runs that did not count as attempts (waits a 429 asked for) before a 429 counts as a
    /// failed attempt, so a receiver that always answers 429 cannot keep a job forever.
    public static let maximumPostponements = 20
    let fanOut: WebhookFanOut

    public init(policy: WebhookDestinationPolicy = .init(), requestTimeout: Duration = .seconds(10)) {
        self.fanOut = WebhookFanOut(
            policy: policy, requestTimeout: TimeAmount(requestTimeout), maximumPostponements: Self.maximumPostponements)
    }

    struct Body: Encodable {
        let id: String
        let event: String
        let tenantId: String
        let occurredAt: String
        let message: String
        let intervention: Intervention

        struct Intervention: Encodable {
            let id: String
            let reference: String
            let title: String
            let status: InterventionStatus
            let scheduledAt: String?
            let technician: String?
            let address: String?
        }
    }

    public func run(_ payload: NotificationJob, in job: JobRun) async throws -> JobOutcome {
        try payload.validate()
        let queue = NotificationJob.queue
        let jobID = job.job.id
        let (found, endpoints, secret, settled) = try await job.database.withTenant(job.tenant) { tx in
            (
                try await tx.intervention(payload.interventionID), try await tx.webhookEndpoints(for: payload.event.rawValue),
                try await tx.webhookSecret(), try await tx.settledEndpoints(queue: queue, jobID: jobID)
            )
        }
        guard let intervention = found else {
            throw UnrecoverableJobError("intervention \(payload.interventionID) does not exist for tenant \(job.tenant)")
        }

        let iso = ISO8601DateFormatter()
        let body = Body(
            id: "\(queue):\(jobID)", event: payload.event.rawValue, tenantId: job.tenant.description,
            occurredAt: iso.string(from: Date(timeIntervalSince1970: Double(job.job.timestamp) / 1000)),
            message: payload.event.message(reference: intervention.reference, title: intervention.title, technician: intervention.technician),
            intervention: .init(
                id: intervention.id.lowercasedText, reference: intervention.reference, title: intervention.title,
                status: intervention.status, scheduledAt: intervention.scheduledAt.map { iso.string(from: $0) },
                technician: intervention.technician, address: intervention.address))
        let bytes = Array(try CanonicalJSON.encoder.encode(body))

        return await fanOut.deliver(
            bytes, to: endpoints, settled: settled, secret: secret, job: job, queue: queue, event: payload.event.rawValue,
            subject: .intervention(intervention.id))
    }
}

/// Some endpoints did not take the notification: why, in words that carry no URL.
struct NotificationDeliveryFailure: CustomStringConvertible {
    let retryable: [String]
    let permanent: [String]

    /// Retry while any endpoint may still accept it.
    var isRetryable: Bool { !retryable.isEmpty }

    var description: String {
        var parts: [String] = []
        if !retryable.isEmpty { parts.append("will retry: " + retryable.joined(separator: "; ")) }
        if !permanent.isEmpty { parts.append("refused: " + permanent.joined(separator: "; ")) }
        return "webhook delivery failed (" + parts.joined(separator: "; ") + ")"
    }
}
