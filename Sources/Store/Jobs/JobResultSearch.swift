public import Domain
public import Foundation
import PostgresNIO

/// What the admin dashboard searches for in `public.job_results` (migration 0014): every given
/// field must match; `text` is a piece of the failure reason, matched literally and ignoring case.
public struct JobResultSearch: Sendable, Equatable {
    /// Whose results: one tenant's, or (platform admins) every tenant's.
    public enum Scope: Sendable, Equatable {
        case tenant(TenantID)
        case everyTenant
    }

    public var scope: Scope
    public var queue: String?
    public var jobID: String?
    public var name: String?
    public var text: String?
    public var state: JobResultRecord.State?
    public var limit: Int
    public var offset: Int

    public init(
        scope: Scope, queue: String? = nil, jobID: String? = nil, name: String? = nil, text: String? = nil,
        state: JobResultRecord.State? = nil, limit: Int = 50, offset: Int = 0
    ) {
        self.scope = scope
        self.queue = queue
        self.jobID = jobID
        self.name = name
        self.text = text
        self.state = state
        self.limit = limit
        self.offset = offset
    }

    /// The function's arguments, bounded as the function bounds them.
    func call(_ function: String) -> PostgresQuery {
        let limit = min(max(limit, 1), 200)
        let offset = min(max(offset, 0), 100_000)
        var tenant: UUID?
        if case .tenant(let id) = scope { tenant = id.rawValue }
        return """
            SELECT tenant_id, queue, job_id, name, state, attempts, error, enqueued_at, finished_at, updated_at
            FROM \(unescaped: function)(\(tenant), \(queue), \(jobID), \(name), \(text), \(state?.rawValue),
                \(limit)::integer, \(offset)::integer)
            """
    }
}

/// One row a search found: where the job ran, for whom, and how it ended (or where it is).
public struct JobResultSummary: Sendable, Equatable {
    public var tenant: TenantID
    public var queue: String
    public var jobID: String
    public var name: String
    public var state: JobResultRecord.State
    public var attempts: Int
    public var error: String?
    public var enqueuedAt: Date?
    public var finishedAt: Date?
    public var updatedAt: Date

    init(row: PostgresRow) throws(StoreError) {
        do {
            let (tenant, queue, jobID, name, state, attempts, error, enqueued, finished, updated) = try row.decode(
                (UUID, String, String, String, String, Int, String?, Date?, Date?, Date).self)
            self.tenant = TenantID(tenant)
            self.queue = queue
            self.jobID = jobID
            self.name = name
            self.state = JobResultRecord.State(rawValue: state) ?? .failed
            self.attempts = attempts
            self.error = error
            self.enqueuedAt = enqueued
            self.finishedAt = finished
            self.updatedAt = updated
        } catch {
            throw StoreError(error)
        }
    }
}

extension Database {
    /// Finds job results, newest first.
    ///
    /// A tenant's search by id or name runs under `withTenant` (row-level security keeps to it).
    /// A search by text, and a platform admin's over every tenant, go through the owner's
    /// `job_results_find_any` with the tenant given explicitly: under row-level security
    /// PostgreSQL will not use the trigram index for `ILIKE` (not a leakproof operator), and a
    /// tenant's text search would read all its rows.
    public func findJobResults(_ search: JobResultSearch) async throws(StoreError) -> [JobResultSummary] {
        if case .tenant(let tenant) = search.scope, search.text == nil {
            return try await withTenant(tenant) { tx in
                try await tx.query(search.call("public.job_results_find")).map { row throws(StoreError) in try JobResultSummary(row: row) }
            }
        }
        return try await withTransaction { connection in
            var found: [JobResultSummary] = []
            for try await row in try await connection.query(search.call("public.job_results_find_any"), logger: self.logger) {
                found.append(try JobResultSummary(row: row))
            }
            return found
        }
    }
}
