import Domain
import Foundation
import PostgresNIO
@testable import Queue
import Redis
import Store
import Testing
import TestSupport
@testable import Worker

/// An import whose job is cancelled, or whose last attempt times out, ends failed with the
/// reason; a timed-out attempt that will be retried leaves it as it is.
@Suite struct ImportCancellationTests {
    @Test func anAbandonedImportEndsFailedOnlyWhenNothingWillRetryIt() async throws {
        try await TestDatabase.with { database in
            let tenant = try await PropertyImportJobTests.tenant(database)
            let importID = try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertPropertyImport(format: "csv", source: Array("external_ref,title,property_type\nA,B,house\n".utf8), createdBy: nil)
            }
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: PropertyImportJobTests.logger)
            let queue = try Queue(name: QueueName.imports, redis: redis, options: .init(prefix: "ic\(UUID().uuidString.prefix(6))"))
            func run(attempts: Int, made: Int) throws -> JobRun {
                var fields = [
                    "name": PropertyImportJob.name, "data": #"{"tenantId":"\#(tenant)","importId":"\#(importID.lowercasedText)"}"#,
                    "opts": #"{"attempts":\#(attempts)}"#, "atm": "\(made)", "tid": tenant.description,
                ]
                fields["timestamp"] = "1"
                let job = try #require(Job(id: "import-x", queue: queue.name, fields: fields))
                return JobRun(context: JobContext(job: job, queue: queue, token: "t"), tenant: tenant, database: database.runtime, workerID: "w")
            }
            let handler = PropertyImportHandler()
            let payload = PropertyImportJob(tenantID: tenant, importID: importID)
            func status() async throws -> (ImportStatus?, String?) {
                try await database.runtime.withTenant(tenant) { tx in
                    let record = try await tx.propertyImport(importID)
                    return (record?.status, record?.error)
                }
            }
            // A timeout with attempts left: nothing to write.
            #expect(handler.abandoned(payload, in: try run(attempts: 3, made: 0), because: JobTimeoutError(timeout: .seconds(1))) == nil)
            // The last attempt's timeout: failed with the reason.
            let timedOut = try #require(handler.abandoned(payload, in: try run(attempts: 3, made: 2), because: JobTimeoutError(timeout: .seconds(1))))
            try await database.runtime.withTenant(tenant) { tx in try await timedOut(tx) }
            #expect(try await status().0 == .failed)
            // Cancelled, even with attempts left: failed, "cancelled" (an import already ended keeps its reason).
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.query("UPDATE immo_app.property_imports SET status = 'running', error = NULL WHERE id = \(importID)")
            }
            let cancelled = try #require(handler.abandoned(payload, in: try run(attempts: 3, made: 0), because: JobCancelledError()))
            try await database.runtime.withTenant(tenant) { tx in try await cancelled(tx) }
            #expect(try await status() == (.failed, "cancelled"))
        }
    }
}
