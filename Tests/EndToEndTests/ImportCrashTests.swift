import Domain
import Foundation
import Logging
import PostgresNIO
import Queue
import Redis
import Store
import Testing
import TestSupport

/// A worker killed in the middle of an import (SIGKILL: no cleanup at all); another worker
/// recovers the job through the stalled check and finishes it, and no property is written twice.
struct ImportCrashTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.crash")
        logger.logLevel = .error
        return logger
    }()

    @Test func anotherWorkerFinishesAnImportAfterSIGKILL() async throws {
        try await TestDatabase.with { database in
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "k-\(tenant.description.prefix(6))", name: "K")
            let rows = 20_000
            var csv = "external_ref,title,property_type,price,surface,rooms,postal_code,city\n"
            for index in 1...rows { csv += "K-\(index),Home \(index),house,\(100_000 + index),\(50 + index % 100),\(index % 7),69003,Lyon\n" }
            let source = Array(csv.utf8)
            let importID = try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertPropertyImport(format: "csv", source: source, createdBy: nil)
            }
            let prefix = "k\(UUID().uuidString.prefix(6).lowercased())"
            let environment = ["DATABASE_URL": database.runtimeURL.absoluteString, "REDIS_URL": try TestEnvironment.redisURL()]
            let arguments = [
                "worker", "--queue", "\(QueueName.imports):1", "--metrics-port", "0", "--queue-prefix", prefix,
                "--lock-duration", "2", "--stalled-interval", "1",
            ]
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await redis.run() }
                defer { group.cancelAll() }
                let queue = try Queue(name: QueueName.imports, redis: redis, options: .init(prefix: prefix), logger: Self.logger)
                let job = try await queue.add(
                    PropertyImportJob.name, data: PropertyImportJob(tenantID: tenant, importID: importID),
                    options: .init(attempts: 3, tenantID: tenant.description))

                let first = try ChildProcess(ChildProcess.obotcallPath, arguments, environment: environment)
                #expect(try await Self.eventually { try await Self.committedBatches(database, importID) >= 3 })
                first.signal(SIGKILL)
                _ = try await first.waitForExit(timeout: .seconds(10))
                let atKill = try await Self.committedBatches(database, importID)
                #expect(atKill < rows / 500, "the import finished before the worker was killed; make it larger")

                let second = try ChildProcess(ChildProcess.obotcallPath, arguments, environment: environment)
                defer { second.signal(SIGKILL) }
                #expect(
                    try await Self.eventually(timeout: .seconds(120)) { try await queue.state(of: job.id) == .completed },
                    "second worker: \(second.standardError.suffix(2_000))")
                let (record, count) = try await database.runtime.withTenant(tenant) { tx in
                    (try await tx.propertyImport(importID), try await tx.propertyCount())
                }
                #expect(count == rows)
                #expect(record?.inserted == rows)
                #expect(record?.updated == 0)
                #expect(record?.committedBatches == rows / 500)
                #expect(record?.status == .completed)
                let finished = try #require(try await queue.job(job.id))
                #expect(finished.stalledCount == 1)
                await redis.shutdown()
            }
        }
    }

    static func committedBatches(_ database: TestDatabase, _ id: UUID) async throws -> Int {
        let rows = try await database.admin.client.query("SELECT committed_batches FROM immo_app.property_imports WHERE id = \(id)")
        for try await (batches, ) in rows.decode((Int,).self) { return batches }
        return 0
    }

    static func eventually(timeout: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
