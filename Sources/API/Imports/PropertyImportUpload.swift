import Domain
import Foundation
import Logging
import HTTPTypes
import Hummingbird
import Jobs
import Queue
import Store

/// `POST /api/property-imports`: a CSV or JSON upload, read as a stream up to the size limit,
/// checked without being built in memory (``ImportSourceCheck``), stored as sent in PostgreSQL,
/// and handed to a worker by a job on `immo-imports` that carries only the import's id.
///
/// With `?notify=webhook`, an `import-notification` job on `inter-notifications` is added with it,
/// as the parent of the import's job in one flow: the tenant's webhook endpoints hear
/// `import_finished` once the import ends, completed or failed.
///
/// Registered by hand rather than generated: the generated server decodes a JSON body into
/// values before a handler runs, and an import must be stored byte for byte. The document's
/// operation (`createPropertyImport`) still governs its media types and parameters, and the
/// fuzzer checks it.
struct PropertyImportUpload: Sendable {
    let database: Database
    let imports: Queue
    let notifications: Queue
    let checker: RequestChecker
    let maxBody: Int
    let maxRows: Int
    let logger: Logger

    func handle(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant(role: .member)
        let identity = try context.requireIdentity()
        let operation = try checker.contract.operation("createPropertyImport")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBody {
            throw HTTPError(.contentTooLarge, message: "the import is larger than \(maxBody) bytes; split it")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch {
            throw HTTPError(.contentTooLarge, message: "the import is larger than \(maxBody) bytes; split it")
        }
        let mediaType: String?
        do {
            try checker.checkParameters(of: operation, pathParameters: [:], target: request.uri.description, headers: request.headers)
            mediaType = try checker.mediaType(of: operation, headers: request.headers, bodyIsEmpty: body.readableBytes == 0)
        } catch {
            throw error.httpError
        }
        // The document allows only `webhook`, checked above.
        let notify = request.uri.queryParameters.get("notify") != nil
        let format = mediaType == "application/json" ? "json" : "csv"
        let source = Array(body.readableBytesView)
        if format == "csv" {
            // The document's pattern concerns the header row: check that line, not 10 MiB.
            let end = source.firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? source.count
            guard end <= Self.maximumHeaderBytes else {
                throw invalid("body", "the CSV header row is longer than \(Self.maximumHeaderBytes) bytes")
            }
            guard let header = String(validating: source[..<end], as: UTF8.self) else {
                throw invalid("body", "the import is not UTF-8 text")
            }
            do {
                try checker.checkText(header, mediaType: "text/csv", of: operation)
            } catch {
                throw invalid("body", "the CSV header row names no external_ref column (or ref, reference, externalRef)")
            }
        }
        do {
            _ = try ImportSourceCheck(maxRows: maxRows).check(source, format: format)
        } catch {
            switch error {
            case .empty: throw invalid("body", "the import is empty")
            case .notUTF8: throw invalid("body", "the import is not UTF-8 text")
            case .notJSON(let reason): throw invalid("body", "the import is not valid JSON: \(reason)")
            case .notArrayOfObjects: throw invalid("body", "a JSON import must be a non-empty array of objects")
            case .tooManyRows(let rows):
                throw HTTPError(.contentTooLarge, message: "the import has more than \(maxRows) rows (\(rows) counted); split it")
            }
        }
        let importID = UUID.random()
        let jobID = "import-\(importID.lowercasedText)"
        let promised = try PromisedJob(PropertyImportJob(tenantID: tenant, importID: importID), queue: imports, jobID: jobID)
        // The import, its job id and the promise commit together: a 202 is never an import
        // left "queued" with nothing to run it.
        let notification =
            notify
            ? try PromisedJob(
                ImportNotificationJob(tenantID: tenant, importID: importID), queue: notifications,
                jobID: "import-done-\(importID.lowercasedText)")
            : nil
        try await PromisedJob.admit([promised] + (notification.map { [$0] } ?? []))
        let record = try await database.withTenant(tenant) { tx in
            try await tx.insertPropertyImport(id: importID, format: format, source: source, createdBy: identity.userID)
            try await tx.setImportJob(importID, jobID: jobID)
            try await tx.enqueue(promised.outbox)
            if let notification { try await tx.enqueue(notification.outbox) }
            return try await tx.propertyImport(importID)
        }
        if let notification {
            await deliver(promised, under: notification)
        } else {
            await promised.deliver(logger: logger)
        }
        guard let record else { throw HTTPError(.internalServerError, message: "the import vanished right after it was queued") }
        let accepted = Accepted(
            import: try .init(record, progress: nil),
            job: .init(enqueued: jobID, queue: .immoImports, name: PropertyImportJob.name, options: promised.options),
            notification: notification.map { notification in
                .init(
                    enqueued: notification.outbox.jobID, queue: .interNotifications, name: ImportNotificationJob.name,
                    options: notification.options)
            })
        var headers: HTTPFields = [:]
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .accepted, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try APIJSON.encoder.encode(accepted))))
    }

    static let maximumHeaderBytes = 65_536

    /// Adds the import's job as the child of its notification, in one flow (a failure of the
    /// import's job still releases the notification: policy `ignore`). A failure is logged: the
    /// outbox relay adds both jobs later, and the notification then waits for the import by
    /// itself (`ImportNotificationHandler`).
    private func deliver(_ job: PromisedJob, under notification: PromisedJob) async {
        do {
            try await notifications.addFlow(
                FlowJob(
                    queue: notifications.name, job: notification.job,
                    children: [FlowJob(queue: imports.name, job: job.job, onFailure: .ignore)]))
        } catch {
            logger.warning(
                "an accepted import and its notification could not be added to Redis now; the outbox relay will add them",
                metadata: ["jobs": "\([job.outbox.jobID, notification.outbox.jobID])", "error": "\(error)"])
        }
    }

    /// The 202 answer, `ImportAccepted` in the document.
    struct Accepted: Encodable {
        let `import`: Components.Schemas.PropertyImport
        let job: Components.Schemas.Job
        let notification: Components.Schemas.Job?
    }
}
