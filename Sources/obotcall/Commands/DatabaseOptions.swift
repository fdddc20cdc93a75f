import ArgumentParser
import Logging
import Store

/// `--database-url`, defaulting to an environment variable.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (default: $DATABASE_URL).")
    var databaseURL: String?

    func url(environmentName: String = "DATABASE_URL", fallback: String? = nil) throws -> DatabaseURL {
        let environment = ProcessEnvironment()
        guard let text = databaseURL ?? environment[environmentName] ?? fallback.flatMap({ environment[$0] }) else {
            throw ValidationError(
                "no database: pass --database-url or set \(environmentName)"
                    + (fallback.map { " (or \($0))" } ?? "") + ", e.g. postgres://user:password@127.0.0.1:5432/obotcall")
        }
        do {
            return try DatabaseURL(text)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// Runs `body` with a database whose pool runs for the duration, then shuts the pool down.
func withDatabase<Result: Sendable>(
    _ url: DatabaseURL, logger: Logger, _ body: @Sendable (Database) async throws -> Result
) async throws -> Result {
    // The pool's own messages (such as a lease racing the pool's start) are not worth a
    // warning in a one-shot command; the command logs what matters itself.
    var poolLogger = logger
    poolLogger.logLevel = .error
    let database = Database(url: url, logger: poolLogger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await database.run() }
        defer { group.cancelAll() }
        return try await body(database)
    }
}
