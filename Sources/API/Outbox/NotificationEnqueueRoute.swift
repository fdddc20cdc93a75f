import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Jobs
import Queue
import Store

/// `POST /api/interventions/{id}/notifications`: the platform's hot enqueue path, registered by
/// hand rather than generated.
///
/// Measured with `Benchmarks/run-api-benchmark`, the generated server's plumbing (type-erased
/// bodies read twice, Foundation's JSON decoding on top of the contract's own parse, generic
/// conversions) cost a fifth of this route's CPU. Here the body is read once, checked against
/// the document's `notifyIntervention` operation by the same ``RequestChecker`` as every other
/// route (so the rules, the errors and the fuzzer's view are the same), and the checked value is
/// what the handler reads. The answer is the document's `JobEnvelope`.
struct NotificationEnqueueRoute: Sendable {
    static let operationID = "notifyIntervention"

    let intake: NotificationIntake
    let notifications: Queue
    let checker: RequestChecker
    let operation: OperationContract

    init(intake: NotificationIntake, notifications: Queue, checker: RequestChecker) throws {
        self.intake = intake
        self.notifications = notifications
        self.checker = checker
        self.operation = try checker.contract.operation(Self.operationID)
    }

    func handle(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant(role: .member)
        let limit = APIRequestContext.maximumJSONBody
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw HTTPError(.contentTooLarge, message: "the body is larger than \(limit) bytes")
        }
        let rawID = context.parameters.get("id") ?? ""
        let idText = rawID.contains("%") ? (rawID.removingPercentEncoding ?? rawID) : rawID
        let body: JSONValue?
        do {
            try checker.checkParameters(
                of: operation, pathParameters: ["id": Substring(rawID)], target: request.uri.description, headers: request.headers)
            let bytes = buffer.readableBytesView
            let mediaType = try checker.mediaType(of: operation, headers: request.headers, bodyIsEmpty: bytes.isEmpty)
            body = mediaType == "application/json" ? try checker.checkJSONBody(bytes, of: operation) : nil
        } catch {
            throw error.httpError
        }
        // The checks above passed: the id is a UUID, the event is one of the document's.
        guard let id = UUID(text: idText) else { throw invalid("id", "must be a UUID") }
        guard case .string(let eventName)? = body?["event"], let event = InterventionEvent(rawValue: eventName) else {
            throw invalid("event", "is required")
        }
        var channels = ["webhook"]
        if case .array(let listed)? = body?["channels"] {
            channels = listed.compactMap { if case .string(let name) = $0 { name } else { nil } }
        }
        let payload = NotificationJob(tenantID: tenant, interventionID: id, event: event, channels: channels)
        do { try payload.validate() } catch { throw invalid(error.field, error.message) }
        // Ids are UUIDs fixed here: unique across tenants, queues and Redis resets, and known
        // before the job reaches Redis (the outbox row and every later add are one job).
        let promised = try PromisedJob(payload, queue: notifications, jobID: "notify-\(UUID.random().lowercasedText)")
        try await PromisedJob.admit([promised])
        // The intervention's check and the promise, in one statement shared with the tenant's
        // concurrent enqueues: 202 means this job's row is committed.
        guard try await intake.enqueue(promised, interventionID: id) == .accepted else {
            throw HTTPError(.notFound, message: "intervention \(id) not found")
        }
        // Described from what was sent rather than read back: one round trip less per enqueue.
        let job = Components.Schemas.Job(
            enqueued: promised.outbox.jobID, queue: .interNotifications, name: NotificationJob.name, options: promised.options)
        var headers: HTTPFields = [:]
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: .accepted, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try APIJSON.encoder.encode(Enqueued(job: job)))))
    }

    /// The 202 answer, `JobEnvelope` in the document.
    struct Enqueued: Encodable {
        let job: Components.Schemas.Job
    }
}
