public import Logging
public import PostgresNIO

/// Applies `migrations/` to a database, once, in order, even when several processes start at once.
///
/// Runs as the owner role. Each file runs in its own transaction and is recorded (version, name,
/// checksum) in `public.schema_migrations`; a session advisory lock serialises concurrent runners,
/// so the second runner waits and then finds nothing left to do.
public struct Migrator: Sendable {
    /// Key of the advisory lock that serialises migration runners (arbitrary, fixed).
    static let advisoryLockKey: Int64 = 0x6F62_6F74_6D69_67

    public let migrations: [Migration]
    public let logger: Logger

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations
        self.logger = logger
    }

    /// The outcome of a run: which files were applied now and which were already there.
    public struct Report: Sendable, Equatable {
        public var applied: [String] = []
        public var alreadyApplied: [String] = []
    }

    /// Applies the pending migrations through `client`; throws ``MigrationError`` when an applied
    /// file changed or is missing, or when a statement fails (that file is rolled back).
    public func run(on client: PostgresClient) async throws -> Report {
        try await client.withConnection { connection in
            try await run(on: connection)
        }
    }

    public func run(on connection: PostgresConnection) async throws -> Report {
        // A migration may rewrite a large table and waits for another migrator's lock: the
        // session limits the services run with (DatabaseURL) do not apply to it.
        try await connection.query("SET statement_timeout = 0", logger: logger)
        try await connection.query("SET lock_timeout = 0", logger: logger)
        try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
        do {
            let report = try await applyPending(on: connection)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
            try await connection.query("RESET statement_timeout", logger: logger)
            try await connection.query("RESET lock_timeout", logger: logger)
            return report
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
            throw error
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> Report {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS public.schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)

        var applied: [Int: (name: String, checksum: String)] = [:]
        let rows = try await connection.query(
            "SELECT version, name, checksum FROM public.schema_migrations", logger: logger)
        for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
            applied[version] = (name, checksum)
        }

        let onDisk = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, record) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = onDisk[version] else {
                throw MigrationError.appliedButMissing(name: record.name)
            }
            guard migration.checksum == record.checksum else {
                throw MigrationError.checksumMismatch(
                    name: migration.name, applied: record.checksum, onDisk: migration.checksum)
            }
        }

        var report = Report()
        for migration in migrations {
            if applied[migration.version] != nil {
                report.alreadyApplied.append(migration.name)
                continue
            }
            try await apply(migration, on: connection)
            report.applied.append(migration.name)
            logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
        }
        return report
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        let statements = SQLScript.statements(in: migration.sql)
        var current = 0
        do {
            try await connection.withTransaction(logger: logger) { connection in
                for (index, statement) in statements.enumerated() {
                    current = index + 1
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    """
                    INSERT INTO public.schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
            }
        } catch {
            throw MigrationError.failed(name: migration.name, statement: current, reason: StoreError(error).message)
        }
    }
}
