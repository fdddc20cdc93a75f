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
    /// The longest wait a receiver's `Retry-After` may ask for.
    static let maximumReceiverWait = Duration.seconds(600)
    let policy: WebhookDestinationPolicy
    /// Bounds each delivery (connect, send and response).
    let requestTimeout: TimeAmount

    public init(policy: WebhookDestinationPolicy = .init(), requestTimeout: Duration = .seconds(10)) {
        self.policy = policy
        self.requestTimeout = TimeAmount(requestTimeout)
    }

    /// A client for one delivery, connecting to `destination`'s checked address only (no
    /// redirects, HTTP/1.1, bounded connect and read).
    static func makeHTTPClient(pinnedTo destination: WebhookDestinationPolicy.Destination) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(10)))
        configuration.httpVersion = .http1Only
        configuration.dnsOverride = [destination.host: destination.address]
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
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

        // Whether a retryable delivery failure still has an attempt after this one.
        let lastAttempt = job.isLastAttempt
        var attempts: [NotificationAttempt] = []
        var retryable: [String] = []
        var permanent: [String] = []
        var waits: [Duration] = []
        let mayPostpone = job.job.attemptsStarted - job.job.attemptsMade <= Self.maximumPostponements
        for endpoint in endpoints where !settled.contains(endpoint.id) {
            let hold = EndpointHold(queue: job.context.queue, tenant: job.tenant, endpoint: endpoint.id)
            var result: (outcome: Outcome, status: Int?)
            if mayPostpone, let held = await hold.remaining() {
                // Another delivery was asked to wait: do not call the receiver before then.
                result = (.wait(held), nil)
            } else {
                result = await deliver(bytes, to: endpoint, idempotencyKey: "\(queue):\(jobID)", secret: secret)
                if case .wait(let wait) = result.outcome { await hold.hold(for: wait) }
            }
            if case .wait = result.outcome, !mayPostpone { result.outcome = .retry("HTTP 429") }
            var attempt = NotificationAttempt(
                interventionID: intervention.id, endpointID: endpoint.id, queue: queue, jobID: jobID,
                event: payload.event.rawValue, status: .delivered, responseCode: result.status)
            switch result.outcome {
            case .delivered:
                break
            case .retry(let reason):
                // On the job's last attempt nothing will retry it: the delivery has failed.
                attempt.status = lastAttempt ? .failed : .retrying
                attempt.lastError = reason
                retryable.append("endpoint \(endpoint.id.lowercasedText): \(reason)")
            case .reject(let reason):
                attempt.status = .failed
                attempt.lastError = reason
                permanent.append("endpoint \(endpoint.id.lowercasedText): \(reason)")
            case .wait(let wait):
                attempt.status = .retrying
                attempt.lastError = "HTTP 429: asked to wait \(wait)"
                waits.append(wait)
            }
            attempts.append(attempt)
        }

        let failing = !retryable.isEmpty || !permanent.isEmpty
        if failing {
            // The attempt fails anyway: endpoints that asked to wait are retried with the others.
            for index in attempts.indices where attempts[index].lastError?.hasPrefix("HTTP 429") == true {
                attempts[index].status = lastAttempt ? .failed : .retrying
                retryable.append("endpoint \(attempts[index].endpointID.map(\.lowercasedText) ?? "?"): HTTP 429")
            }
        }
        let recorded = attempts
        let writes: TenantWrites = { tx in
            for attempt in recorded { try await tx.record(attempt) }
        }
        if failing {
            let failure = NotificationDeliveryFailure(retryable: retryable, permanent: permanent)
            return .failed(reason: failure.description, retryable: failure.isRetryable, writes: writes)
        }
        if let longest = waits.max() {
            return .postponed(
                after: longest, reason: "webhook delivery postponed: \(waits.count) endpoint(s) asked to wait (HTTP 429)", writes: writes)
        }
        let summary = #"{"delivered":\#(attempts.count),"alreadySettled":\#(settled.count),"endpoints":\#(endpoints.count)}"#
        return .completed(result: summary, writes: writes)
    }

    enum Outcome {
        case delivered
        case retry(String)
        case reject(String)
        /// HTTP 429: the receiver asked to wait this long.
        case wait(Duration)
    }

    private func deliver(_ body: [UInt8], to endpoint: WebhookEndpoint, idempotencyKey: String, secret: String) async -> (
        outcome: Outcome, status: Int?
    ) {
        let destination: WebhookDestinationPolicy.Destination
        do {
            destination = try await policy.check(endpoint.url)
        } catch {
            return (error.isTemporary ? .retry(error.description) : .reject(error.description), nil)
        }
        // The client looks the pinned address up by the host it parses from the URL: if its
        // parser read another host than the policy's, the pin would miss and the name would be
        // resolved again; refuse rather than risk it.
        var pinnedHost = URL(string: endpoint.url)?.host ?? ""
        if pinnedHost.hasPrefix("["), pinnedHost.hasSuffix("]") { pinnedHost = String(pinnedHost.dropFirst().dropLast()) }
        guard pinnedHost == destination.host else {
            return (.reject("the endpoint URL is ambiguous (its host reads differently to different parsers)"), nil)
        }
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "obotcall-webhooks/1")
        request.headers.add(name: "Idempotency-Key", value: idempotencyKey)
        request.headers.add(
            name: WebhookSignature.header,
            value: WebhookSignature.sign(
                body: body, timestamp: Int(Date().timeIntervalSince1970), secret: secret))
        request.body = .bytes(ByteBuffer(bytes: body))
        let http = Self.makeHTTPClient(pinnedTo: destination)
        let result = await send(request, with: http)
        try? await http.shutdown()
        return result
    }

    private func send(_ request: HTTPClientRequest, with http: HTTPClient) async -> (outcome: Outcome, status: Int?) {
        do {
            let response = try await http.execute(request, timeout: requestTimeout)
            let code = Int(response.status.code)
            // Read (and drop) a little of the answer so the connection closes cleanly; a
            // receiver's words are not repeated anywhere.
            _ = try? await response.body.collect(upTo: 4_096)
            switch code {
            case 200..<300:
                return (.delivered, code)
            case 429:
                let asked = RetryAfter.parse(response.headers.first(name: "Retry-After"), maximum: Self.maximumReceiverWait)
                return (.wait(max(asked ?? .seconds(30), .seconds(1))), code)
            case 408, 500...:
                return (.retry("HTTP \(code)"), code)
            default:
                return (.reject("HTTP \(code)"), code)
            }
        } catch {
            return (.retry(Self.describe(error)), nil)
        }
    }

    /// A delivery failure in words that cannot carry the URL.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            case .remoteConnectionClosed: return "the receiver closed the connection"
            default: return "the request failed"
            }
        }
        if String(describing: type(of: error)).contains("NIOSSL") { return "TLS failed" }
        return "the connection failed"
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
