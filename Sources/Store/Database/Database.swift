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
    /// The longest one call (a transaction with its statements) may take, waiting for a
    /// connection included; past it the call fails as `unavailable` and its connection is closed.
    public let callTimeout: Duration
    public static let defaultCallTimeout: Duration = .seconds(30)

    public init(configuration: PostgresClient.Configuration, callTimeout: Duration = Database.defaultCallTimeout, logger: Logger) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.callTimeout = callTimeout
        self.logger = logger
    }

    public init(url: DatabaseURL, logger: Logger) {
        self.init(configuration: url.clientConfiguration(), callTimeout: url.callTimeout, logger: logger)
    }

    /// Runs the connection pool until graceful shutdown.
    public func run() async throws {
        await client.run()
    }

    /// Runs `body` in one transaction whose `app.tenant_id` is `tenant`.
    ///
    /// The setting is transaction-local (`set_config(…, true)`), so it never leaks to the next user
    /// of the pooled connection. The transaction commits when `body` returns and rolls back when it
    /// throws; errors come out as ``StoreError``. The whole call has the database's `callTimeout`:
    /// past it the caller gets an `unavailable` error and the connection is closed.
    @discardableResult
    public func withTenant<Result: Sendable>(
        _ tenant: TenantID,
        _ body: @escaping @Sendable (TenantTransaction) async throws -> Result
    ) async throws(StoreError) -> Result {
        let logger = self.logger
        return try await transaction(tenant: tenant) { connection in
            try await body(TenantTransaction(connection: connection, tenant: tenant, logger: logger))
        }
    }

    /// Runs `body` in one transaction without a tenant: row-level security then hides every tenant row.
    /// For platform tables and catalog queries only. Bounded by `callTimeout` as ``withTenant(_:_:)`` is.
    public func withTransaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws(StoreError) -> Result {
        try await transaction(tenant: nil, body)
    }

    /// BEGIN, the tenant setting, `body`, COMMIT — written out rather than PostgresNIO's
    /// `withTransaction` so that no ROLLBACK is sent on a connection the server has closed
    /// (such a statement is never answered), all under the call deadline.
    private func transaction<Result: Sendable>(
        tenant: TenantID?, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws(StoreError) -> Result {
        let client = self.client
        let logger = self.logger
        let held = HeldConnection()
        do {
            return try await DatabaseDeadline.run(callTimeout, onTimeout: { held.close() }) {
                try await client.withConnection { connection in
                    held.hold(connection)
                    defer { held.release() }
                    try await connection.query("BEGIN", logger: logger)
                    let result: Result
                    do {
                        if let tenant {
                            try await connection.query("SELECT set_config('app.tenant_id', \(tenant.description), true)", logger: logger)
                        }
                        result = try await body(connection)
                    } catch {
                        // A statement on a connection that is gone is never answered; on a live
                        // one (a refused or timed-out statement) the transaction must end before
                        // the connection goes back to the pool, or the connection goes.
                        if !connection.isClosed && !StoreError(error).isConnectionLoss {
                            do {
                                try await connection.query("ROLLBACK", logger: logger)
                            } catch {
                                held.close()
                            }
                        }
                        throw error
                    }
                    try await connection.query("COMMIT", logger: logger)
                    return result
                }
            }
        } catch {
            throw StoreError(error)
        }
    }

    /// Checks that PostgreSQL answers a trivial query within `callTimeout`.
    public func ping() async throws(StoreError) {
        let client = self.client
        let logger = self.logger
        do {
            try await DatabaseDeadline.run(callTimeout, onTimeout: {}) {
                _ = try await client.query("SELECT 1", logger: logger).collect()
            }
        } catch {
            throw StoreError(error)
        }
    }
}
