import Foundation
import Logging
import PostgresNIO
import Testing
import TestSupport
@testable import Store

@Suite struct MigrationTests {
    let files: [Migration]

    init() throws {
        files = try Migration.load(directory: TestEnvironment.migrationsDirectory)
    }

    @Test func filesAreNumberedInOrder() throws {
        #expect(files.count >= 4)
        #expect(files.map(\.version) == files.map(\.version).sorted())
        #expect(Set(files.map(\.version)).count == files.count)
    }

    @Test func appliesToAnEmptyDatabaseThenRerunsAsANoOp() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let migrator = Migrator(migrations: files, logger: TestDatabase.logger)
            let first = try await migrator.run(on: database.owner.client)
            #expect(first.applied == files.map(\.name))
            #expect(first.alreadyApplied.isEmpty)

            let second = try await migrator.run(on: database.owner.client)
            #expect(second.applied.isEmpty)
            #expect(second.alreadyApplied == files.map(\.name))

            let rows = try await database.owner.client.query("SELECT name, checksum FROM public.schema_migrations ORDER BY version")
            var recorded: [(String, String)] = []
            for try await (name, checksum) in rows.decode((String, String).self) { recorded.append((name, checksum)) }
            #expect(recorded.map(\.0) == files.map(\.name))
            #expect(recorded.map(\.1) == files.map(\.checksum))
        }
    }

    @Test func refusesWhenAnAppliedFileChanged() async throws {
        try await TestDatabase.with(migrated: true) { database in
            var changed = files
            let edited = changed[1]
            changed[1] = Migration(version: edited.version, name: edited.name, sql: edited.sql + "\n-- edited after the fact\n")
            let migrator = Migrator(migrations: changed, logger: TestDatabase.logger)
            let error = await #expect(throws: MigrationError.self) {
                try await migrator.run(on: database.owner.client)
            }
            guard case .checksumMismatch(let name, _, _) = error else {
                Issue.record("expected checksumMismatch, got \(String(describing: error))")
                return
            }
            #expect(name == edited.name)
            #expect(error?.description.contains("must not be edited") == true)
        }
    }

    @Test func refusesWhenAnAppliedFileIsMissing() async throws {
        try await TestDatabase.with(migrated: true) { database in
            let migrator = Migrator(migrations: Array(files.dropLast()), logger: TestDatabase.logger)
            let error = await #expect(throws: MigrationError.self) {
                try await migrator.run(on: database.owner.client)
            }
            #expect(error == .appliedButMissing(name: files[files.count - 1].name))
        }
    }

    @Test func aFailingFileIsRolledBackAndNamed() async throws {
        try await TestDatabase.with(migrated: true) { database in
            let broken = Migration(
                version: 9_999, name: "9999_broken.sql",
                sql: "CREATE TABLE public.half_done (id int);\nSELECT no_such_function();")
            let migrator = Migrator(migrations: files + [broken], logger: TestDatabase.logger)
            let error = await #expect(throws: MigrationError.self) {
                try await migrator.run(on: database.owner.client)
            }
            guard case .failed(let name, let statement, _) = error else {
                Issue.record("expected failed, got \(String(describing: error))")
                return
            }
            #expect(name == "9999_broken.sql")
            #expect(statement == 2)
            let rows = try await database.owner.client.query("SELECT to_regclass('public.half_done')::text")
            for try await (table, ) in rows.decode((String?,).self) { #expect(table == nil) }
        }
    }

    @Test func concurrentRunnersApplyEachFileOnce() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let migrator = Migrator(migrations: files, logger: TestDatabase.logger)
            let reports = try await withThrowingTaskGroup(of: Migrator.Report.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await migrator.run(on: database.owner.client) }
                }
                var reports: [Migrator.Report] = []
                for try await report in group { reports.append(report) }
                return reports
            }
            #expect(reports.flatMap(\.applied).sorted() == files.map(\.name).sorted())
            let rows = try await database.owner.client.query("SELECT count(*)::int FROM public.schema_migrations")
            for try await (count, ) in rows.decode((Int,).self) { #expect(count == files.count) }
        }
    }

    @Test func badFileNamesAreRefused() throws {
        let directory = try TestEnvironment.scratchDirectory("migrations")
        try "SELECT 1;".write(toFile: directory + "/create_things.sql", atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.badFileName("create_things.sql")) {
            try Migration.load(directory: directory)
        }
    }

    @Test func duplicateVersionsAreRefused() throws {
        let directory = try TestEnvironment.scratchDirectory("migrations")
        try "SELECT 1;".write(toFile: directory + "/0001_a.sql", atomically: true, encoding: .utf8)
        try "SELECT 2;".write(toFile: directory + "/0001_b.sql", atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.duplicateVersion(1, "0001_a.sql", "0001_b.sql")) {
            try Migration.load(directory: directory)
        }
    }
}
