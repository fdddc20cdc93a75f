import Domain
import Foundation
import Logging
import Queue
public import Store

/// Imports properties from a stored CSV or JSON source (queue `immo-imports`).
///
/// Rows are validated one by one; valid rows are upserted by (tenant, external_ref) in batches of
/// `batchSize`, each batch in one transaction together with its rejected rows and the import's
/// counters. The import records how many batches it committed, so a retry (after a crash or a
/// database outage) skips them: no row is applied twice. Progress is reported after each batch.
public struct PropertyImportHandler: JobHandler {
    public let queue = QueueName.imports
    /// Enough for an import of up to the row cap, in batches.
    public let defaultTimeout: Duration = .seconds(1800)
    public let jobNames: Set<String> = [PropertyImportJob.name]
    let batchSize: Int
    /// Most data rows an import may hold (the API refuses larger uploads; this holds for any source).
    let maxRows: Int

    public init(batchSize: Int = 500, maxRows: Int = 100_000) {
        self.batchSize = max(1, batchSize)
        self.maxRows = maxRows
    }

    public func run(_ job: WorkerJob) async throws -> HandlerResult {
        let payload = try job.payload(PropertyImportJob.self)
        guard payload.tenantID == job.tenant else {
            throw UnrecoverableJobError("the payload's tenant \(payload.tenantID) is not the job's tenant \(job.tenant)")
        }
        do {
            return try await importRows(payload.importID, job: job)
        } catch let error as ImportFailure {
            throw error
        } catch {
            // A database outage delays the job without using an attempt; anything else that ends
            // the job for good ends the import too, with the reason — never left running.
            if let store = error as? StoreError, store.isRetryable { throw error }
            let final = error is UnrecoverableJobError || job.attempt >= job.job.options.attempts
            guard final else { throw error }
            throw ImportFailure(importID: payload.importID, reason: QueueProcessor.reason(for: error))
        }
    }

    private func importRows(_ importID: UUID, job: WorkerJob) async throws -> HandlerResult {
        let found = try await job.database.withTenant(job.tenant) { tx in try await tx.propertyImport(importID) }
        guard let record = found else {
            throw UnrecoverableJobError("import \(importID) does not exist for tenant \(job.tenant)")
        }
        if record.status == "completed" {
            return HandlerResult(value: Self.summary(record))
        }

        let spool = try await ImportSourceSpool.spool(importID: importID, size: record.sourceSize, tenant: job.tenant, database: job.database)
        defer { spool.remove() }
        var reader: ImportRowReader
        do {
            reader = try ImportRowReader(format: record.format, file: spool.file)
        } catch {
            throw ImportFailure(importID: importID, reason: error.description)
        }
        let total = reader.estimatedRows
        guard total <= maxRows else {
            throw ImportFailure(importID: importID, reason: "the import has more than \(maxRows) rows (\(total)); split it")
        }
        try await job.database.withTenant(job.tenant) { tx in try await tx.markImportRunning(importID, totalRows: total) }

        // Parsing the next batch overlaps with committing the previous one (one commit in
        // flight at a time, so batches still commit in order).
        try await withThrowingTaskGroup(of: Void.self) { commits in
            var batch = 0
            var row = 0
            var drafts: [PropertyDraft] = []
            var draftRows: [Int] = []
            var errors: [ImportRowError] = []
            var rejectedRows: Set<Int> = []
            var inFlight = false
            drafts.reserveCapacity(batchSize)

            func commit() async throws {
                defer {
                    drafts.removeAll(keepingCapacity: true)
                    draftRows.removeAll(keepingCapacity: true)
                    errors.removeAll(keepingCapacity: true)
                    rejectedRows.removeAll(keepingCapacity: true)
                    batch += 1
                }
                guard batch >= record.committedBatches else { return }  // committed by an earlier attempt
                Self.dropDuplicateReferences(&drafts, rows: &draftRows, errors: &errors, rejected: &rejectedRows)
                let (current, rowsSeen, rejected) = (batch, row, rejectedRows.count)
                let (batchDrafts, batchRows, batchErrors) = (drafts, draftRows, errors)
                if inFlight { try await commits.next() }
                inFlight = true
                commits.addTask {
                    _ = try await job.database.withTenant(job.tenant) { tx in
                        try await tx.commitImportBatch(
                            importID, batch: current, drafts: batchDrafts, draftRows: batchRows, rejectedRows: rejected, errors: batchErrors)
                    }
                    let percent = total > 0 ? min(100, rowsSeen * 100 / total) : 100
                    try? await job.context.updateProgress(["processed": rowsSeen, "total": total, "percent": percent])
                }
            }

            do {
                while let fields = try reader.next() {
                    row += 1
                    switch PropertyDraft.validate(fields) {
                    case .success(let draft):
                        drafts.append(draft)
                        draftRows.append(row)
                    case .failure(let problems):
                        errors += problems.problems.map { ImportRowError(row: row, field: $0.field, message: $0.message) }
                        rejectedRows.insert(row)
                    }
                    if draftRows.count + rejectedRows.count >= batchSize { try await commit() }
                }
            } catch let error as ImportSourceError {
                throw ImportFailure(importID: importID, reason: error.description)
            }
            if !drafts.isEmpty || !rejectedRows.isEmpty || batch == 0 { try await commit() }
            try await commits.waitForAll()
        }

        let finished = try await job.database.withTenant(job.tenant) { tx in
            try await tx.finishImport(importID, status: "completed")
            return try await tx.propertyImport(importID)
        }
        return HandlerResult(value: finished.map(Self.summary) ?? "{}")
    }

    /// Within one batch a reference may appear once: the later row wins, earlier ones are rejected.
    static func dropDuplicateReferences(
        _ drafts: inout [PropertyDraft], rows: inout [Int], errors: inout [ImportRowError], rejected: inout Set<Int>
    ) {
        var lastIndex: [String: Int] = [:]
        for (index, draft) in drafts.enumerated() { lastIndex[draft.externalRef] = index }
        guard lastIndex.count < drafts.count else { return }
        var keptDrafts: [PropertyDraft] = []
        var keptRows: [Int] = []
        for (index, draft) in drafts.enumerated() {
            if let last = lastIndex[draft.externalRef], last != index {
                errors.append(ImportRowError(
                    row: rows[index], field: "external_ref",
                    message: "'\(draft.externalRef)' appears again in row \(rows[last]), which is imported instead"))
                rejected.insert(rows[index])
            } else {
                keptDrafts.append(draft)
                keptRows.append(rows[index])
            }
        }
        drafts = keptDrafts
        rows = keptRows
    }

    static func summary(_ record: PropertyImportRecord) -> String {
        #"{"importId":"\#(record.id.lowercasedText)","total":\#(record.inserted + record.updated + record.rejected),"inserted":\#(record.inserted),"updated":\#(record.updated),"rejected":\#(record.rejected)}"#
    }
}

/// The source cannot be imported at all; the import is marked failed with the reason.
struct ImportFailure: RecordedFailure, CustomStringConvertible {
    let importID: UUID
    let reason: String
    var isRetryable: Bool { false }
    var description: String { "import \(importID) failed: \(reason)" }

    func record(in transaction: TenantTransaction) async throws {
        try await transaction.finishImport(importID, status: "failed", error: reason)
    }
}
