import Foundation
public import Logging
import PostgresNIO
public import Store

/// A database of its own for one test: created empty, optionally migrated, dropped afterwards.
///
/// Gives three clients: `admin` (superuser, for fixtures that must bypass row-level security),
/// `owner` (runs migrations) and `runtime` (the role api and worker use).
public struct TestDatabase: Sendable {
    public let name: String
    public let admin: Database
    public let owner: Database
    public let runtime: Database
    public let ownerURL: DatabaseURL
    public let runtimeURL: DatabaseURL

    public static let logger: Logger = {
        var logger = Logger(label: "test.postgres")
        logger.logLevel = .warning
        return logger
    }()

    /// Runs `body` with a fresh database; with `migrated`, every migration is applied first.
    ///
    /// At most `TestDatabaseSlots.shared` databases exist at once; a PostgreSQL error leaving
    /// `body` is rethrown with its server message, which `PSQLError` hides from its description.
    public static func with<Result: Sendable>(
        migrated: Bool = true,
        _ body: @Sendable (TestDatabase) async throws -> Result
    ) async throws -> Result {
        try await TestDatabaseSlots.shared.withSlot {
            do {
                return try await withFresh(migrated: migrated, body)
            } catch let error as PSQLError {
                throw DetailedPostgresError(error)
            }
        }
    }

    private static func withFresh<Result: Sendable>(
        migrated: Bool,
        _ body: @Sendable (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        let logger = Self.logger
        let adminServer = try TestEnvironment.adminDatabaseURL()
        let server = Database(url: adminServer, logger: logger)

        var ownerURL = try TestEnvironment.ownerDatabaseURL()
        ownerURL.database = name
        var runtimeURL = try TestEnvironment.runtimeDatabaseURL()
        runtimeURL.database = name
        var adminURL = adminServer
        adminURL.database = name

        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            _ = try await server.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) OWNER obotcall_owner")).collect()
            let database = TestDatabase(
                name: name,
                admin: Database(url: adminURL, logger: logger),
                owner: Database(url: ownerURL, logger: logger),
                runtime: Database(url: runtimeURL, logger: logger),
                ownerURL: ownerURL,
                runtimeURL: runtimeURL)
            let result: Result
            do {
                result = try await withThrowingTaskGroup(of: Void.self) { inner in
                    inner.addTask { try await database.admin.run() }
                    inner.addTask { try await database.owner.run() }
                    inner.addTask { try await database.runtime.run() }
                    defer { inner.cancelAll() }
                    if migrated {
                        let migrations = try Migration.load(directory: TestEnvironment.migrationsDirectory)
                        _ = try await Migrator(migrations: migrations, logger: logger).run(on: database.owner.client)
                    }
                    return try await body(database)
                }
            } catch {
                try? await Self.drop(name, on: server)
                throw error
            }
            try? await Self.drop(name, on: server)
            return result
        }
    }

    private static func drop(_ name: String, on server: Database) async throws {
        _ = try await server.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")).collect()
    }
}

/// A `PSQLError` with its server message and SQL state visible in a test failure.
public struct DetailedPostgresError: Error, CustomStringConvertible {
    let underlying: PSQLError
    public let description: String

    init(_ underlying: PSQLError) {
        self.underlying = underlying
        description = String(reflecting: underlying)
    }
}
