import AsyncHTTPClient
import Domain
import Foundation
import NIOCore
import NIOHTTP1
import Queue
import Store

/// One signed webhook body delivered to a tenant's endpoints, and the deliveries turned into the
/// job's outcome: what ``NotificationHandler`` (interventions) and ``ImportNotificationHandler``
/// (imports) share.
///
/// Each endpoint gets a signed JSON POST (see ``WebhookSignature``) with `Idempotency-Key:
/// <queue>:<job id>`. 2xx is delivered; 408, 5xx, timeouts and connection errors are retried
/// with the job's backoff; other 4xx fail at once. A 429 holds the endpoint (``EndpointHold``)
/// and the job runs again after that without using an attempt, up to `maximumPostponements`
/// times. Every attempt is a row of `inter_app.notifications`; endpoints already settled are
/// skipped. URLs and receivers' answers never reach a failure reason or a log line.
struct WebhookFanOut: Sendable {
    /// The longest wait a receiver's `Retry-After` may ask for.
    static let maximumReceiverWait = Duration.seconds(600)
    let policy: WebhookDestinationPolicy
    /// Bounds each delivery (connect, send and response).
    let requestTimeout: TimeAmount
    /// Runs that did not count as attempts (waits a 429 asked for) before a 429 counts as a
    /// failed attempt.
    let maximumPostponements: Int

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

    /// Delivers `bytes` (the `event` about `subject`) to the endpoints not yet settled, records
    /// each attempt with the job's result, and says how the attempt ended.
    func deliver(
        _ bytes: [UInt8], to endpoints: [WebhookEndpoint], settled: Set<UUID>, secret: String, job: JobRun, queue: String, event: String,
        subject: NotificationAttempt.Subject
    ) async -> JobOutcome {
        // Whether a retryable delivery failure still has an attempt after this one.
        let lastAttempt = job.isLastAttempt
        var attempts: [NotificationAttempt] = []
        var retryable: [String] = []
        var permanent: [String] = []
        var waits: [Duration] = []
        let mayPostpone = job.job.attemptsStarted - job.job.attemptsMade <= maximumPostponements
        for endpoint in endpoints where !settled.contains(endpoint.id) {
            let hold = EndpointHold(queue: job.context.queue, tenant: job.tenant, endpoint: endpoint.id)
            var result: (outcome: Outcome, status: Int?)
            if mayPostpone, let held = await hold.remaining() {
                // Another delivery was asked to wait: do not call the receiver before then.
                result = (.wait(held), nil)
            } else {
                result = await deliver(bytes, to: endpoint, idempotencyKey: "\(queue):\(job.job.id)", secret: secret)
                if case .wait(let wait) = result.outcome { await hold.hold(for: wait) }
            }
            if case .wait = result.outcome, !mayPostpone { result.outcome = .retry("HTTP 429") }
            var attempt = NotificationAttempt(
                subject: subject, endpointID: endpoint.id, queue: queue, jobID: job.job.id, event: event, status: .delivered,
                responseCode: result.status)
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
