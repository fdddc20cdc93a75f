public import Domain
import Foundation
public import Jobs
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
    /// Enough for an import of up to the row cap, in batches.
    public let defaultTimeout: Duration = .seconds(1800)
    let batchSize: Int
    /// Most data rows an import may hold (the API refuses larger uploads; this holds for any source).
    let maxRows: Int

    public init(batchSize: Int = 500, maxRows: Int = 100_000) {
        self.batchSize = max(1, batchSize)
        self.maxRows = maxRows
    }

    public func run(_ payload: PropertyImportJob, in job: JobRun) async throws -> JobOutcome {
        do {
            return .completed(result: try await importRows(payload.importID, job: job))
        } catch let failure as ImportFailure {
            return failure.outcome
        } catch {
            // A database outage delays the job without using an attempt; anything else that ends
            // the job for good ends the import too, with the reason — never left running.
            if let store = error as? StoreError, store.isRetryable { throw error }
            let unrecoverable = error is UnrecoverableJobError || error is PayloadError
            guard !job.job.willRetry(afterFailureUnrecoverable: unrecoverable) else { throw error }
            return ImportFailure(importID: payload.importID, reason: QueueProcessor.reason(for: error)).outcome
        }
    }

    /// A cancelled import, or one whose last attempt ran past its timeout, ends failed with the
    /// reason, never left `running`; a timed-out attempt that will be retried leaves it as it is.
    public func abandoned(_ payload: PropertyImportJob, in run: JobRun, because error: any Error) -> TenantWrites? {
        let cancelled = error is JobCancelledError
        guard cancelled || run.isLastAttempt else { return nil }
        let (importID, reason) = (payload.importID, cancelled ? "cancelled" : QueueProcessor.reason(for: error))
        return { tx in try await tx.failImportIfUnfinished(importID, reason: reason) }
    }

    private func importRows(_ importID: UUID, job: JobRun) async throws -> String {
        let found = try await job.database.withTenant(job.tenant) { tx in try await tx.propertyImport(importID) }
        guard let record = found else {
            throw UnrecoverableJobError("import \(importID) does not exist for tenant \(job.tenant)")
        }
        if record.status == .completed {
            return Self.summary(record)
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
            try await tx.finishImport(importID, status: .completed)
            return try await tx.propertyImport(importID)
        }
        return finished.map(Self.summary) ?? "{}"
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
                errors.append(
                    ImportRowError(
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

/// An import that cannot succeed: the job fails without retry and the import ends `failed` with
/// the reason, in the same transaction as the job's result.
struct ImportFailure: Error, CustomStringConvertible {
    let importID: UUID
    let reason: String
    var description: String { "import \(importID) failed: \(reason)" }

    var outcome: JobOutcome {
        let (importID, reason) = (importID, reason)
        return .failed(reason: description, retryable: false) { tx in
            try await tx.finishImport(importID, status: .failed, error: reason)
        }
    }
}
