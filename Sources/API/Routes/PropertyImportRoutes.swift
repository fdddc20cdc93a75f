import Domain
import Foundation
public import Hummingbird
import HTTPTypes
public import Queue
public import Store

/// `/api/property-imports`: bulk upload of properties. The source (CSV with `,` or `;`, or a JSON
/// array) is stored in PostgreSQL and a job on `immo-imports` carries only the import's id.
public struct PropertyImportRoutes: Sendable {
    let database: Database
    let imports: Queue
    let maxBody: Int

    public init(database: Database, imports: Queue, maxBody: Int) {
        self.database = database
        self.imports = imports
        self.maxBody = maxBody
    }

    /// An import as the API shows it: its record, row errors as JSON, and its job's progress.
    struct ImportView: Encodable {
        let id: UUID
        let status: String
        let format: String
        let sourceSize: Int
        let totalRows: Int
        let inserted: Int
        let updated: Int
        let rejected: Int
        let rowErrors: JSONValue
        let error: String?
        let jobId: String?
        let progress: JSONValue?
        let createdAt: Date
        let startedAt: Date?
        let finishedAt: Date?

        init(_ record: PropertyImportRecord, job: JobView?) {
            id = record.id
            status = record.status
            format = record.format
            sourceSize = record.sourceSize
            totalRows = record.totalRows
            inserted = record.inserted
            updated = record.updated
            rejected = record.rejected
            rowErrors = JSONValue(text: record.rowErrors) ?? .array([])
            error = record.error
            jobId = record.jobID
            progress = job?.progress
            createdAt = record.createdAt
            startedAt = record.startedAt
            finishedAt = record.finishedAt
        }
    }

    struct Accepted: ResponseEncodable {
        let `import`: ImportView
        let job: JobView
    }

    struct One: ResponseEncodable {
        let `import`: ImportView
    }

    public func register<Group: RouterMethods<APIRequestContext>>(on routes: RouteRegistrar<Group>) {
        routes.post(
            "/property-imports", "Upload properties as text/csv or a JSON array (202: import and job)", status: 202, use: create)
        routes.get("/property-imports/:id", "An import's state, progress, counts and row errors", use: read)
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<Accepted> {
        let tenant = try context.requireTenant(role: .member)
        let identity = try context.requireIdentity()
        let format = try Self.format(of: request)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch {
            throw HTTPError(.contentTooLarge, message: "the import is larger than \(maxBody) bytes; split it")
        }
        let source = Array(body.readableBytesView)
        try Self.check(source, format: format)
        let importID = try await database.withTenant(tenant) { tx in
            try await tx.insertPropertyImport(format: format, source: source, createdBy: identity.userID)
        }
        let payload = PropertyImportJob(tenantID: tenant, importID: importID)
        let jobID = "import-\(importID.uuidString.lowercased())"
        let options = JobOptions(
            jobID: jobID, attempts: 5, backoff: .exponential(.seconds(5), jitter: 0.2),
            removeOnComplete: .age(seconds: 7 * 86_400, count: 10_000, limit: nil), tenantID: tenant.description)
        do {
            _ = try await imports.add(PropertyImportJob.name, data: payload, options: options)
        } catch {
            // The import must not stay "queued" with nothing to run it.
            try? await database.withTenant(tenant) { tx in
                try await tx.finishImport(importID, status: "failed", error: "could not be queued: \(error)")
            }
            throw error
        }
        try await database.withTenant(tenant) { tx in try await tx.setImportJob(importID, jobID: jobID) }
        guard let job = try await imports.job(jobID), let record = try await database.withTenant(tenant, { tx in try await tx.propertyImport(importID) })
        else {
            throw HTTPError(.internalServerError, message: "the import vanished right after it was queued")
        }
        let view = JobView(job, state: try await imports.state(of: jobID))
        return EditedResponse(status: .accepted, response: Accepted(import: ImportView(record, job: view), job: view))
    }

    @Sendable func read(_ request: Request, context: APIRequestContext) async throws -> One {
        let tenant = try context.requireTenant()
        let id = try context.parameters.require("id", as: UUID.self)
        guard let record = try await database.withTenant(tenant, { tx in try await tx.propertyImport(id) }) else {
            throw HTTPError(.notFound, message: "import \(id) not found")
        }
        var view: JobView?
        if let jobID = record.jobID, let job = try await imports.job(jobID), job.tenantID == tenant.description {
            view = JobView(job, state: try await imports.state(of: jobID))
        }
        return One(import: ImportView(record, job: view))
    }

    /// `csv` or `json` from `Content-Type`; 415 for anything else.
    static func format(of request: Request) throws -> String {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        switch type {
        case "text/csv", "application/csv": return "csv"
        case "application/json": return "json"
        default:
            throw HTTPError(.unsupportedMediaType, message: "Content-Type must be text/csv or application/json (a JSON array), not '\(type)'")
        }
    }

    /// Cheap checks before anything is stored: not empty, UTF-8, a JSON body is an array.
    static func check(_ source: [UInt8], format: String) throws {
        guard source.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else {
            throw invalid("body", "the import is empty")
        }
        guard String(validating: source, as: UTF8.self) != nil else { throw invalid("body", "the import is not UTF-8 text") }
        if format == "json" {
            let first = source.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF) }
            guard first == UInt8(ascii: "[") else { throw invalid("body", "a JSON import must be an array of objects") }
        }
    }
}
