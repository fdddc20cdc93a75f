public import Domain
public import Foundation
import PostgresNIO

/// Property imports and properties, always within one tenant.
extension TenantTransaction {
    /// Stores an uploaded source; the job then carries only the returned id.
    @discardableResult
    public func insertPropertyImport(id: UUID = UUID(), format: String, source: [UInt8], createdBy: UUID?) async throws(StoreError) -> UUID {
        try await query(
            """
            INSERT INTO immo_app.property_imports (id, tenant_id, format, source, source_size, created_by)
            VALUES (\(id), \(tenant.rawValue), \(format), \(ByteBuffer(bytes: source)), \(source.count), \(createdBy))
            """)
        return id
    }

    public func setImportJob(_ id: UUID, jobID: String) async throws(StoreError) {
        try await query("UPDATE immo_app.property_imports SET job_id = \(jobID) WHERE id = \(id)")
    }

    public func propertyImport(_ id: UUID) async throws(StoreError) -> PropertyImportRecord? {
        let rows = try await query(
            """
            SELECT id, status, format, source_size, total_rows, inserted, updated, rejected, committed_batches,
                   jsonb_path_query_array(row_errors, '$[0 to \(unescaped: String(PropertyImportRecord.errorsShown - 1))]')::text,
                   errors_kept, error_counts::text, error, job_id, created_at, started_at, finished_at
            FROM immo_app.property_imports WHERE id = \(id)
            """)
        guard let row = rows.first else { return nil }
        do {
            let (
                id, status, format, size, total, inserted, updated, rejected, batches, errors, kept, counts, error, job, created,
                started, finished
            ) = try row.decode(
                (UUID, String, String, Int, Int, Int, Int, Int, Int, String, Int, String, String?, String?, Date, Date?, Date?).self)
            return PropertyImportRecord(
                id: id, status: try stored(status, as: ImportStatus.self, column: "immo_app.property_imports.status"), format: format,
                sourceSize: size, totalRows: total, inserted: inserted, updated: updated,
                rejected: rejected, committedBatches: batches, rowErrors: errors, errorsKept: kept, errorCounts: counts, error: error,
                jobID: job, createdAt: created, startedAt: started, finishedAt: finished)
        } catch {
            throw StoreError(error)
        }
    }

    /// `length` bytes of the source from `offset` (0-based); empty past the end.
    public func propertyImportSourceChunk(_ id: UUID, offset: Int, length: Int) async throws(StoreError) -> [UInt8] {
        let rows = try await query(
            "SELECT substring(source FROM \(offset + 1)::int FOR \(length)::int) FROM immo_app.property_imports WHERE id = \(id)")
        guard let row = rows.first else { throw StoreError(kind: .notFound, message: "import \(id) not found") }
        do { return Array(try row.decode(ByteBuffer.self).readableBytesView) } catch { throw StoreError(error) }
    }

    public func markImportRunning(_ id: UUID, totalRows: Int) async throws(StoreError) {
        try await query(
            """
            UPDATE immo_app.property_imports
            SET status = 'running', total_rows = \(totalRows), started_at = COALESCE(started_at, now())
            WHERE id = \(id)
            """)
    }

    /// Commits batch number `batch` (0-based) of an import: upserts its valid rows by
    /// (tenant, external_ref), records its rejected rows, and advances the import's counters —
    /// all or nothing, and only if the import is exactly at this batch (so a batch is never
    /// applied twice). Returns the rows inserted and updated, or `nil` when the batch was already
    /// committed.
    public func commitImportBatch(
        _ id: UUID, batch: Int, drafts: [PropertyDraft], draftRows: [Int], rejectedRows: Int, errors: [ImportRowError]
    ) async throws(StoreError) -> (inserted: Int, updated: Int)? {
        let claimed = try await query(
            """
            UPDATE immo_app.property_imports SET committed_batches = committed_batches + 1
            WHERE id = \(id) AND committed_batches = \(batch) RETURNING id
            """)
        guard !claimed.isEmpty else { return nil }
        var inserted = 0
        var updated = 0
        var errors = errors
        var rejectedRows = rejectedRows
        if !drafts.isEmpty {
            // The whole batch in one statement; if PostgreSQL refuses a value validation let
            // through, the batch is undone to a savepoint and its rows go in one by one, so only
            // the refused rows are rejected, each with the database's reason.
            try await query("SAVEPOINT import_batch")
            do {
                (inserted, updated) = try await upsertImportRows(drafts, importID: id)
                try await query("RELEASE SAVEPOINT import_batch")
            } catch let error where error.kind == .constraintViolation || error.kind == .invalidInput {
                try await query("ROLLBACK TO SAVEPOINT import_batch")
                for (index, draft) in drafts.enumerated() {
                    try await query("SAVEPOINT import_row")
                    do {
                        let (one, other) = try await upsertImportRows([draft], importID: id)
                        inserted += one
                        updated += other
                        try await query("RELEASE SAVEPOINT import_row")
                    } catch let error where error.kind == .constraintViolation || error.kind == .invalidInput {
                        try await query("ROLLBACK TO SAVEPOINT import_row")
                        let row = index < draftRows.count ? draftRows[index] : 0
                        errors.append(ImportRowError(row: row, field: "row", message: "refused by the database: \(error.message)"))
                        rejectedRows += 1
                    }
                }
            }
        }
        var counts: [String: Int] = [:]
        for error in errors { counts[error.field, default: 0] += 1 }
        let errorsJSON: String
        let countsJSON: String
        do {
            errorsJSON = try CanonicalJSON.text(errors)
            countsJSON = try CanonicalJSON.text(counts)
        } catch {
            throw StoreError(kind: .invalidInput, message: "row errors cannot be encoded: \(error)")
        }
        let cap = PropertyImportRecord.errorsKeptLimit
        // Errors are appended only while fewer than the cap are kept: once full, a batch no
        // longer rewrites the list, and the counts by field still grow.
        try await query(
            """
            UPDATE immo_app.property_imports SET
                inserted = inserted + \(inserted), updated = updated + \(updated), rejected = rejected + \(rejectedRows),
                row_errors = CASE WHEN errors_kept >= \(cap) OR \(errors.count) = 0 THEN row_errors
                    ELSE jsonb_path_query_array(row_errors || \(errorsJSON)::jsonb, '$[0 to \(unescaped: String(cap - 1))]') END,
                errors_kept = least(\(cap), errors_kept + \(errors.count)),
                error_counts = (
                    SELECT coalesce(jsonb_object_agg(field, total), '{}'::jsonb)
                    FROM (SELECT field, sum(n::bigint) AS total
                          FROM (SELECT key AS field, value AS n FROM jsonb_each_text(error_counts)
                                UNION ALL SELECT key, value FROM jsonb_each_text(\(countsJSON)::jsonb)) AS parts
                          GROUP BY field) AS sums)
            WHERE id = \(id)
            """)
        return (inserted, updated)
    }

    public func finishImport(_ id: UUID, status: ImportStatus, error: String? = nil) async throws(StoreError) {
        try await query(
            """
            UPDATE immo_app.property_imports SET status = \(status.rawValue), error = \(error), finished_at = now() WHERE id = \(id)
            """)
    }

    /// How many properties the tenant has.
    public func propertyCount() async throws(StoreError) -> Int {
        let rows = try await query("SELECT count(*)::int FROM immo_app.properties")
        do { return try rows.first?.decode(Int.self) ?? 0 } catch { throw StoreError(error) }
    }

    /// One property by its external reference.
    public func property(externalRef: String) async throws(StoreError) -> PropertyDraft? {
        let rows = try await query(
            """
            SELECT external_ref, title, property_type, price::float8, surface::float8, rooms, postal_code, city, address
            FROM immo_app.properties WHERE external_ref = \(externalRef)
            """)
        guard let row = rows.first else { return nil }
        do {
            let (ref, title, type, price, surface, rooms, postal, city, address) =
                try row.decode((String, String, String, Double?, Double?, Int?, String?, String?, String?).self)
            return PropertyDraft(
                externalRef: ref, title: title, propertyType: .init(rawValue: type) ?? .other, price: price, surface: surface,
                rooms: rooms, postalCode: postal, city: city, address: address)
        } catch {
            throw StoreError(error)
        }
    }

    /// Upserts rows by (tenant, external_ref); the rows inserted and updated.
    private func upsertImportRows(_ drafts: [PropertyDraft], importID id: UUID) async throws(StoreError) -> (inserted: Int, updated: Int) {
        // One array per column (unnest) instead of nine parameters per row: the statement
        // stays the same size whatever the batch, and binding is a handful of arrays.
        // Optional fields travel as '' (validation never keeps an empty text) and NULLIF
        // turns them back into NULL.
        func text(_ value: String?) -> String { value ?? "" }
        func number(_ value: Double?) -> String { value.map { String($0) } ?? "" }
        let rows = try await query(
            """
            INSERT INTO immo_app.properties
                (tenant_id, external_ref, title, property_type, price, surface, rooms, postal_code, city, address, import_id)
            SELECT \(tenant.rawValue), r.ref, r.title, r.kind, NULLIF(r.price, '')::numeric, NULLIF(r.surface, '')::numeric,
                   NULLIF(r.rooms, '')::int, NULLIF(r.postal, ''), NULLIF(r.city, ''), NULLIF(r.address, ''), \(id)
            FROM unnest(
                \(drafts.map(\.externalRef))::text[], \(drafts.map(\.title))::text[], \(drafts.map(\.propertyType.rawValue))::text[],
                \(drafts.map { number($0.price) })::text[], \(drafts.map { number($0.surface) })::text[],
                \(drafts.map { $0.rooms.map(String.init) ?? "" })::text[], \(drafts.map { text($0.postalCode) })::text[],
                \(drafts.map { text($0.city) })::text[], \(drafts.map { text($0.address) })::text[]
            ) AS r(ref, title, kind, price, surface, rooms, postal, city, address)
            ON CONFLICT (tenant_id, external_ref) DO UPDATE SET
                title = EXCLUDED.title, property_type = EXCLUDED.property_type, price = EXCLUDED.price,
                surface = EXCLUDED.surface, rooms = EXCLUDED.rooms, postal_code = EXCLUDED.postal_code,
                city = EXCLUDED.city, address = EXCLUDED.address, import_id = EXCLUDED.import_id, updated_at = now()
            RETURNING (xmax = 0)
            """)
        var inserted = 0
        var updated = 0
        do {
            for row in rows {
                if try row.decode(Bool.self) { inserted += 1 } else { updated += 1 }
            }
        } catch {
            throw StoreError(error)
        }
        return (inserted, updated)
    }

    /// Marks an import failed unless it already ended (its job failed for good, say).
    public func failImportIfUnfinished(_ id: UUID, reason: String) async throws(StoreError) {
        try await query(
            """
            UPDATE immo_app.property_imports SET status = 'failed', error = \(reason), finished_at = now()
            WHERE id = \(id) AND status IN ('queued', 'running')
            """)
    }

    /// A page of the import's kept row errors, in row order, and how many are kept.
    public func propertyImportErrors(_ id: UUID, offset: Int, limit: Int) async throws(StoreError) -> (errors: [ImportRowError], kept: Int)? {
        let first = min(max(0, offset), PropertyImportRecord.errorsKeptLimit)
        let last = first + min(max(1, limit), PropertyImportRecord.errorsKeptLimit) - 1
        let rows = try await query(
            """
            SELECT jsonb_path_query_array(row_errors, '$[\(unescaped: String(first)) to \(unescaped: String(last))]')::text, errors_kept
            FROM immo_app.property_imports WHERE id = \(id)
            """)
        guard let row = rows.first else { return nil }
        do {
            let (text, kept) = try row.decode((String, Int).self)
            return (try CanonicalJSON.decode([ImportRowError].self, from: text), kept)
        } catch {
            throw StoreError(error)
        }
    }
}
