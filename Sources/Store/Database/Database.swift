public import Domain
public import Logging
public import PostgresNIO
public import ServiceLifecycle

/// The platform's PostgreSQL access: a connection pool plus tenant-scoped transactions.
///
/// Services connect as the runtime role, which cannot bypass row-level security; every read or
/// write of tenant data goes through ``withTenant(_:_:)`` so the policies see the right tenant.
/// `Database` is a `Service`: add it to the process's `ServiceGroup` before anything that queries.
public struct Database: Service, Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    public init(url: DatabaseURL, logger: Logger) {
        self.init(configuration: url.clientConfiguration(), logger: logger)
    }

    /// Runs the connection pool until graceful shutdown.
    public func run() async throws {
        await client.run()
    }

    /// Runs `body` in one transaction whose `app.tenant_id` is `tenant`.
    ///
    /// The setting is transaction-local (`set_config(…, true)`), so it never leaks to the next user
    /// of the pooled connection. The transaction commits when `body` returns and rolls back when it
    /// throws; errors come out as ``StoreError``.
    public func withTenant<Result: Sendable>(
        _ tenant: TenantID,
        _ body: (TenantTransaction) async throws -> Result
    ) async throws(StoreError) -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "SELECT set_config('app.tenant_id', \(tenant.description), true)", logger: logger)
                return try await body(TenantTransaction(connection: connection, tenant: tenant, logger: logger))
            }
        } catch {
            throw StoreError(error)
        }
    }

    /// Runs `body` in one transaction without a tenant: row-level security then hides every tenant row.
    /// For platform tables and catalog queries only.
    public func withTransaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws(StoreError) -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(connection)
            }
        } catch {
            throw StoreError(error)
        }
    }

    /// Checks that PostgreSQL answers a trivial query.
    public func ping() async throws(StoreError) {
        do {
            _ = try await client.query("SELECT 1", logger: logger).collect()
        } catch {
            throw StoreError(error)
        }
    }
}
