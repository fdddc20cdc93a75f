import ArgumentParser
import Logging
import Store

/// `obotcall migrate`: applies pending migrations as the owner role.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending SQL migrations (as the owner role; safe to run from several processes at once).",
        discussion: "The database comes from --database-url, else $MIGRATION_DATABASE_URL, else $DATABASE_URL."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Directory of NNNN_name.sql files (default: $MIGRATIONS_DIR or ./migrations).")
    var migrations: String?

    func run() async throws {
        let logger = LogSetup.logger(label: "obotcall.migrate")
        let url = try database.url(environmentName: "MIGRATION_DATABASE_URL", fallback: "DATABASE_URL")
        let directory = migrations ?? ProcessEnvironment()["MIGRATIONS_DIR"] ?? "migrations"
        let files: [Migration]
        do {
            files = try Migration.load(directory: directory)
        } catch {
            throw ValidationError(error.description)
        }
        let migrator = Migrator(migrations: files, logger: logger)
        do {
            let report = try await withDatabase(url, logger: logger) { database in
                try await migrator.run(on: database.client)
            }
            logger.info(
                "migrations up to date",
                metadata: ["applied": "\(report.applied.count)", "already": "\(report.alreadyApplied.count)", "database": "\(url)"])
        } catch let error as MigrationError {
            logger.critical("\(error.description)")
            throw ExitCode(2)
        } catch {
            logger.critical("migration failed: \(StoreError(error).description)")
            throw ExitCode(1)
        }
    }
}
