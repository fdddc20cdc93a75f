public import Domain
public import Logging
public import PostgresNIO

/// An open transaction in which row-level security sees exactly one tenant.
///
/// Handed out by ``Database/withTenant(_:_:)``; valid only inside that closure.
public struct TenantTransaction: Sendable {
    /// The transaction's connection, for repository code that needs the full PostgresNIO API.
    public let connection: PostgresConnection
    /// The tenant the policies compare rows against.
    public let tenant: TenantID
    public let logger: Logger

    /// Runs one statement and collects its rows (the row sequence must be consumed before the
    /// connection can be reused, so collection is done here once).
    @discardableResult
    public func query(_ query: PostgresQuery) async throws(StoreError) -> [PostgresRow] {
        do {
            return try await connection.query(query, logger: logger).collect()
        } catch {
            throw StoreError(error)
        }
    }
}
