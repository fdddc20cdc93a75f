public import Domain
public import Foundation

/// An import as stored in `immo_app.property_imports` (without its source).
public struct PropertyImportRecord: Sendable, Equatable, Codable {
    public var id: UUID
    public var status: ImportStatus
    public var format: String
    public var sourceSize: Int
    public var totalRows: Int
    public var inserted: Int
    public var updated: Int
    public var rejected: Int
    public var committedBatches: Int
    /// JSON array of the first ``errorsShown`` kept row errors, `{row, field, message}`.
    public var rowErrors: String
    /// Row errors kept (at most ``errorsKeptLimit``; more rows may have been rejected).
    public var errorsKept: Int
    /// JSON object: rejected field problems by field, over every row.
    public var errorCounts: String
    public var error: String?
    public var jobID: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    /// Row errors an import keeps (the first ones); the rest are only counted.
    public static let errorsKeptLimit = 1_000
    /// Row errors an import's record shows (`GET /api/property-imports/{id}`); the rest are paged.
    public static let errorsShown = 20
}

/// A rejected import row: which row (1 = first data row), which field, why.
public struct ImportRowError: Sendable, Equatable, Codable {
    public var row: Int
    public var field: String
    public var message: String

    public init(row: Int, field: String, message: String) {
        self.row = row
        self.field = field
        self.message = message
    }
}
