import Domain
import Foundation
import Logging
import PostgresNIO
import Queue
import Redis
import Store
import Testing
import TestSupport

/// A worker killed (SIGKILL) while it runs a tenant's only job slot in a fair queue: the slot is
/// not lost with it. Another worker's stalled check gives it back, the tenant's jobs run again,
/// and the tenant never has more jobs running than its limit.
struct FairSlotCrashTests {
    @Test func theStalledCheckGivesBackTheSlotOfAKilledWorker() async throws {
        try await TestDatabase.with { database in
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "f-\(tenant.description.prefix(6))", name: "F")
            func source(rows: Int, tag: String) -> [UInt8] {
                var csv = "external_ref,title,property_type,price,surface,rooms,postal_code,city\n"
                for index in 1...rows { csv += "\(tag)-\(index),Home \(index),house,\(100_000 + index),\(50 + index % 100),3,69003,Lyon\n" }
                return Array(csv.utf8)
            }
            let large = source(rows: 20_000, tag: "L"), small = source(rows: 10, tag: "S")
            let (first, second) = try await database.runtime.withTenant(tenant) { tx in
                (
                    try await tx.insertPropertyImport(format: "csv", source: large, createdBy: nil),
                    try await tx.insertPropertyImport(format: "csv", source: small, createdBy: nil)
                )
            }
            let prefix = "f\(UUID().uuidString.prefix(6).lowercased())"
            let environment = ["DATABASE_URL": database.runtimeURL.absoluteString, "REDIS_URL": try TestEnvironment.redisURL()]
            let arguments = [
                "worker", "--queue", "\(QueueName.imports):4", "--metrics-port", "0", "--queue-prefix", prefix,
                "--lock-duration", "2", "--stalled-interval", "1", "--fair-queues", QueueName.imports, "--tenant-concurrency", "1",
            ]
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: ImportCrashTests.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await redis.run() }
                defer { group.cancelAll() }
                let queue = try Queue(name: QueueName.imports, redis: redis, options: .init(prefix: prefix), logger: ImportCrashTests.logger)
                // Fair before the jobs arrive, as the worker will make it, so they are queued per tenant.
                try await queue.makeFair(defaults: TenantLimits(concurrency: 1))
                let options = JobOptions(attempts: 3, tenantID: tenant.description)
                let running = try await queue.add(
                    PropertyImportJob.name, data: PropertyImportJob(tenantID: tenant, importID: first), options: options)
                let queued = try await queue.add(
                    PropertyImportJob.name, data: PropertyImportJob(tenantID: tenant, importID: second), options: options)

                let killed = try ChildProcess(ChildProcess.obotcallPath, arguments, environment: environment)
                #expect(try await ImportCrashTests.eventually { try await ImportCrashTests.committedBatches(database, first) >= 2 })
                killed.signal(SIGKILL)
                _ = try await killed.waitForExit(timeout: .seconds(10))
                // The dead worker still holds the tenant's one slot; the second import waits behind it.
                let held = try #require(try await queue.fairTenant(tenant.description))
                #expect(held.running == 1)
                #expect(held.queued == 1)
                #expect(try await queue.state(of: queued.id) == .waiting)

                let rescuer = try ChildProcess(ChildProcess.obotcallPath, arguments, environment: environment)
                defer { rescuer.signal(SIGKILL) }
                // Sampled while both run to completion: the tenant's limit holds throughout.
                var mostRunning = 0
                var finished = false
                let deadline = ContinuousClock.now + .seconds(180)
                while !finished, ContinuousClock.now < deadline {
                    mostRunning = max(mostRunning, try await queue.fairTenant(tenant.description)?.running ?? 0)
                    let firstState = try await queue.state(of: running.id)
                    let secondState = try await queue.state(of: queued.id)
                    finished = firstState == .completed && secondState == .completed
                    if !finished { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(finished, "rescuing worker: \(rescuer.standardError.suffix(2_000))")
                #expect(mostRunning <= 1)
                #expect(try await queue.job(running.id)?.stalledCount == 1)
                let after = try await queue.fairTenant(tenant.description)
                #expect(after?.running ?? 0 == 0)
                let count = try await database.runtime.withTenant(tenant) { tx in try await tx.propertyCount() }
                #expect(count == 20_010)
                await redis.shutdown()
            }
        }
    }
}
