import Domain
import Foundation
import Hummingbird
import OpenAPIRuntime
import Queue
import Store

/// `GET /api/property-imports/{id}` and its row errors (the upload is ``PropertyImportUpload``).
extension APIHandler {
    func getPropertyImport(_ input: Operations.GetPropertyImport.Input) async throws -> Operations.GetPropertyImport.Output {
        let tenant = try tenant()
        let id = try Self.uuid(input.path.id)
        guard var record = try await database.withTenant(tenant, { tx in try await tx.propertyImport(id) }) else {
            throw HTTPError(.notFound, message: "import \(id) not found")
        }
        var progress: OpenAPIValueContainer?
        let imports = try queue(.immoImports)
        if let jobID = record.jobID, let job = try await imports.job(jobID), job.tenantID == tenant.description {
            progress = job.progress.flatMap(OpenAPIValueContainer.init(jsonText:))
            // A job that failed for good without saying so to the import (its worker died on the
            // last attempt, the stalled check failed it): the import ends failed, not running.
            if record.status.isPending, try await imports.state(of: jobID) == .failed {
                let reason = "its job failed: \(job.failedReason ?? "no reason recorded")"
                if let repaired = try await database.withTenant(
                    tenant,
                    { tx in
                        try await tx.failImportIfUnfinished(id, reason: reason)
                        return try await tx.propertyImport(id)
                    })
                {
                    record = repaired
                }
            }
        }
        return .ok(.init(body: .json(.init(_import: try .init(record, progress: progress)))))
    }

    func listPropertyImportErrors(
        _ input: Operations.ListPropertyImportErrors.Input
    ) async throws -> Operations.ListPropertyImportErrors.Output {
        let tenant = try tenant()
        let id = try Self.uuid(input.path.id)
        let (limit, offset) = Self.page(limit: input.query.limit, offset: input.query.offset)
        guard let page = try await database.withTenant(tenant, { tx in try await tx.propertyImportErrors(id, offset: offset, limit: limit) })
        else { throw HTTPError(.notFound, message: "import \(id) not found") }
        return .ok(.init(body: .json(.init(errors: page.errors.map(Components.Schemas.ImportRowError.init), total: page.kept))))
    }
}

extension Components.Schemas.ImportRowError {
    init(_ error: ImportRowError) {
        self.init(row: max(1, error.row), field: error.field, message: error.message)
    }
}

extension Components.Schemas.PropertyImport {
    init(_ record: PropertyImportRecord, progress: OpenAPIValueContainer?) throws {
        let errors = (try? CanonicalJSON.decode([ImportRowError].self, from: record.rowErrors)) ?? []
        let counts = (try? CanonicalJSON.decode([String: Int].self, from: record.errorCounts)) ?? [:]
        self.init(
            id: record.id.lowercasedText, status: try stored(record.status.rawValue, as: StatusPayload.self, "import status"),
            format: try stored(record.format, as: FormatPayload.self, "import format"), sourceSize: record.sourceSize,
            totalRows: record.totalRows, inserted: record.inserted, updated: record.updated, rejected: record.rejected,
            rowErrors: errors.map(Components.Schemas.ImportRowError.init), errorsKept: record.errorsKept,
            errorCounts: .init(additionalProperties: counts), error: record.error, jobId: record.jobID, progress: progress,
            createdAt: record.createdAt, startedAt: record.startedAt, finishedAt: record.finishedAt)
    }
}
