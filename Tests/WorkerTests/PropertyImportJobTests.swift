import Domain
import Foundation
import Logging
import PostgresNIO
import Queue
import Redis
import Store
import Testing
import TestSupport
@testable import Worker

/// Property imports end to end: real Redis and PostgreSQL.
@Suite struct PropertyImportJobTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.import")
        logger.logLevel = .error
        return logger
    }()

    /// Runs an import worker on a queue namespace of its own during `body`.
    static func withWorker(
        _ database: TestDatabase, batchSize: Int = 500, _ body: @Sendable (Queue) async throws -> Void
    ) async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
        let prefix = "i\(UUID().uuidString.prefix(8).lowercased())"
        let service = WorkerService(
            configuration: WorkerConfiguration(
                queues: [QueueName.imports: 2], processor: .init(lockDuration: .seconds(10)), workerID: "import-worker",
                queueOptions: QueueOptions(prefix: prefix)),
            redis: redis, database: database.runtime, handlers: [PropertyImportHandler(batchSize: batchSize)], logger: logger)
        let processors = try service.processors()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            for processor in processors { group.addTask { try await processor.run() } }
            defer { group.cancelAll() }
            do {
                try await body(processors[0].queue)
            } catch {
                for processor in processors { processor.stop() }
                throw error
            }
            for processor in processors { processor.stop() }
        }
    }

    static func tenant(_ database: TestDatabase) async throws -> TenantID {
        let tenant = TenantID(UUID())
        try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "p-\(tenant.description.prefix(8))", name: "P")
        return tenant
    }

    static func enqueue(_ queue: Queue, _ database: TestDatabase, tenant: TenantID, format: String, source: String) async throws -> (UUID, String) {
        let importID = try await database.runtime.withTenant(tenant) { tx in
            try await tx.insertPropertyImport(format: format, source: Array(source.utf8), createdBy: nil)
        }
        let job = try await queue.add(
            PropertyImportJob.name, data: PropertyImportJob(tenantID: tenant, importID: importID),
            options: .init(attempts: 3, backoff: .fixed(.milliseconds(50)), tenantID: tenant.description))
        return (importID, job.id)
    }

    static func finished(_ queue: Queue, _ id: String) async throws -> JobState {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let state = try await queue.state(of: id)
            if state == .completed || state == .failed || ContinuousClock.now > deadline { return state }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func goodAndBadRowsGiveTheRightCountsAndErrors() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            try await Self.withWorker(database, batchSize: 3) { queue in
                let csv = """
                    external_ref;title;property_type;price;surface;rooms;postal_code;city
                    A-1;"Flat; bright";apartment;250000;54,5;3;69003;Lyon
                    A-2;House with garden;house;480000;120;5;69100;Villeurbanne
                    A-3;;apartment;1;10;1;75001;Paris
                    A-4;Castle;castle;-5;0;x;??;Nowhere
                    A-5;Parking;parking;;;;;
                    A-1;Flat, updated;apartment;260000;54.5;3;69003;Lyon
                    A-6;Land;land;90000;1000;0;13001;Marseille
                    """
                let (importID, jobID) = try await Self.enqueue(queue, database, tenant: tenant, format: "csv", source: csv)
                #expect(try await Self.finished(queue, jobID) == .completed)
                let (record, flat, count) = try await database.runtime.withTenant(tenant) { tx in
                    (try await tx.propertyImport(importID), try await tx.property(externalRef: "A-1"), try await tx.propertyCount())
                }
                let result = try #require(record)
                #expect(result.status == .completed, "\(result.error ?? "")")
                #expect(result.totalRows == 7)
                // A-1 inserted then updated by row 6 (another batch); A-3 and A-4 rejected.
                #expect(result.inserted == 4)
                #expect(result.updated == 1)
                #expect(result.rejected == 2)
                #expect(count == 4)
                #expect(flat?.title == "Flat, updated")
                #expect(flat?.surface == 54.5)
                let errors = try JSONDecoder().decode([ImportRowError].self, from: Data(result.rowErrors.utf8))
                #expect(errors.contains(ImportRowError(row: 3, field: "title", message: "is required")))
                #expect(Set(errors.filter { $0.row == 4 }.map(\.field)) == ["property_type", "price", "surface", "rooms", "postal_code"])
                let job = try #require(try await queue.job(jobID))
                #expect(job.progress?.contains("\"percent\":100") == true)
                #expect(job.returnValue?.contains("\"rejected\":2") == true)
            }
        }
    }

    @Test func jsonArraysImportToo() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            try await Self.withWorker(database) { queue in
                let json = """
                    [{"externalRef":"J-1","title":"Loft","propertyType":"apartment","price":310000,"rooms":2},
                     {"external_ref":"J-2","title":"Shop","property_type":"commercial","surface":80.5},
                     {"external_ref":"J-3","property_type":"house"}]
                    """
                let (importID, jobID) = try await Self.enqueue(queue, database, tenant: tenant, format: "json", source: json)
                #expect(try await Self.finished(queue, jobID) == .completed)
                let record = try await database.runtime.withTenant(tenant) { tx in try await tx.propertyImport(importID) }
                #expect(record?.inserted == 2)
                #expect(record?.rejected == 1)
                let loft = try await database.runtime.withTenant(tenant) { tx in try await tx.property(externalRef: "J-1") }
                #expect(loft?.price == 310_000)
                #expect(loft?.rooms == 2)
            }
        }
    }

    @Test func runningAnImportAgainAppliesNothingTwice() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            try await Self.withWorker(database, batchSize: 2) { queue in
                let rows = (1...9).map { "R-\($0),Home \($0),house,\($0)000" }.joined(separator: "\n")
                let (importID, jobID) = try await Self.enqueue(
                    queue, database, tenant: tenant, format: "csv",
                    source: "external_ref,title,property_type,price\n" + rows)
                #expect(try await Self.finished(queue, jobID) == .completed)
                // As if the worker crashed after committing two batches: the retry resumes at batch 2.
                _ = try await database.admin.client.query(
                    "UPDATE immo_app.property_imports SET status = 'running', committed_batches = 2 WHERE id = \(importID)"
                ).collect()
                try await queue.retry(jobID)
                #expect(try await QueueWaiting.eventually { try await queue.state(of: jobID) == .completed })
                let (record, count) = try await database.runtime.withTenant(tenant) { tx in
                    (try await tx.propertyImport(importID), try await tx.propertyCount())
                }
                #expect(count == 9)
                #expect(record?.inserted == 9)
                // Batches 2… ran again as updates of the same rows, never as new rows.
                #expect(record?.updated == 5)
                #expect(record?.committedBatches == 5)
            }
        }
    }

    @Test func unusableSourcesFailTheImportWithTheReason() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            try await Self.withWorker(database) { queue in
                let (noRef, noRefJob) = try await Self.enqueue(queue, database, tenant: tenant, format: "csv", source: "title,price\nA,1")
                let (notArray, notArrayJob) = try await Self.enqueue(queue, database, tenant: tenant, format: "json", source: #"{"a":1}"#)
                for (importID, jobID) in [(noRef, noRefJob), (notArray, notArrayJob)] {
                    #expect(try await Self.finished(queue, jobID) == .failed)
                    #expect(try await queue.job(jobID)?.attemptsMade == 1)
                    let record = try await database.runtime.withTenant(tenant) { tx in try await tx.propertyImport(importID) }
                    #expect(record?.status == .failed)
                    #expect(record?.error?.isEmpty == false)
                }
                // Another tenant's import id is not found (row-level security), and not retried.
                let other = try await Self.tenant(database)
                let foreign = try await queue.add(
                    PropertyImportJob.name, data: PropertyImportJob(tenantID: other, importID: noRef),
                    options: .init(attempts: 3, tenantID: other.description))
                #expect(try await Self.finished(queue, foreign.id) == .failed)
                #expect(try await queue.job(foreign.id)?.failedReason?.contains("does not exist") == true)
            }
        }
    }
}

/// Job ids restart at 1 when a queue is obliterated; results of another tenant with the same id
/// must not block a new job's result.
@Suite struct JobResultKeyTests {
    @Test func sameJobIDInTwoTenantsKeepsTwoRows() async throws {
        try await TestDatabase.with { database in
            let first = try await PropertyImportJobTests.tenant(database)
            let second = try await PropertyImportJobTests.tenant(database)
            for tenant in [first, second] {
                try await database.runtime.withTenant(tenant) { tx in
                    try await tx.upsert(JobResultRecord(queue: QueueName.imports, jobID: "1", name: "x", state: .completed, attempts: 1))
                }
            }
            let visible = try await database.runtime.withTenant(second) { tx in
                try await tx.jobResult(queue: QueueName.imports, jobID: "1")
            }
            #expect(visible?.state == .completed)
        }
    }
}

/// Rows measured and refused as PostgreSQL measures and refuses them; capped row errors; an
/// import that cannot be left running.
extension PropertyImportJobTests {
    /// 300 "é" written as e + combining accent are 600 code points (over title's 300), a NUL
    /// cannot be stored: each such row is rejected alone, the rest of its batch is imported.
    @Test func rowsAreMeasuredAsTheDatabaseMeasuresThem() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            try await Self.withWorker(database, batchSize: 500) { queue in
                let long = String(repeating: "e\u{301}", count: 300)
                let fits = String(repeating: "e\u{301}", count: 150)
                let csv = "external_ref,title,property_type\nU-1,\(long),house\nU-2,\(fits),house\nU-3,nul\u{0}inside,house\nU-4,Fine,land\n"
                let (importID, jobID) = try await Self.enqueue(queue, database, tenant: tenant, format: "csv", source: csv)
                #expect(try await Self.finished(queue, jobID) == .completed)
                let record = try #require(try await database.runtime.withTenant(tenant) { tx in try await tx.propertyImport(importID) })
                #expect(record.status == .completed)
                #expect(record.inserted == 2)
                #expect(record.rejected == 2)
                let errors = try JSONDecoder().decode([ImportRowError].self, from: Data(record.rowErrors.utf8))
                #expect(errors.contains(ImportRowError(row: 1, field: "title", message: "must be at most 300 characters")))
                #expect(errors.contains(ImportRowError(row: 3, field: "title", message: "must not contain NUL characters")))
            }
        }
    }

    /// A row validation lets through but PostgreSQL refuses (a constraint the test adds) is
    /// rejected alone with the database's reason; the others of its batch are imported.
    @Test func aRowTheDatabaseRefusesIsRejectedAlone() async throws {
        try await TestDatabase.with { database in
            _ = try await database.admin.withTransaction { connection in
                try await connection.query(
                    "ALTER TABLE immo_app.properties ADD CONSTRAINT no_cursed_titles CHECK (title <> 'Cursed')", logger: Self.logger)
            }
            let tenant = try await Self.tenant(database)
            try await Self.withWorker(database, batchSize: 500) { queue in
                let csv = "ref,title,type\nC-1,Fine,house\nC-2,Cursed,house\nC-3,Also fine,castle\nC-4,Good,land\n"
                let (importID, jobID) = try await Self.enqueue(queue, database, tenant: tenant, format: "csv", source: csv)
                #expect(try await Self.finished(queue, jobID) == .completed)
                let (record, count) = try await database.runtime.withTenant(tenant) { tx in
                    (try await tx.propertyImport(importID), try await tx.propertyCount())
                }
                let result = try #require(record)
                #expect(result.status == .completed)
                #expect(result.inserted == 2)
                #expect(result.rejected == 2)
                #expect(count == 2)
                let errors = try JSONDecoder().decode([ImportRowError].self, from: Data(result.rowErrors.utf8))
                #expect(errors.contains { $0.row == 2 && $0.field == "row" && $0.message.contains("no_cursed_titles") }, "\(errors)")
                #expect(errors.contains { $0.row == 3 && $0.field == "property_type" })
            }
        }
    }

    /// A file of many bad rows keeps its first 1,000 errors and counts every one by field.
    @Test func rowErrorsAreCappedAndCounted() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            try await Self.withWorker(database, batchSize: 500) { queue in
                var csv = "external_ref,title,property_type\n"
                for index in 1...2_500 { csv += "B-\(index),,castle\n" }
                let (importID, jobID) = try await Self.enqueue(queue, database, tenant: tenant, format: "csv", source: csv)
                #expect(try await Self.finished(queue, jobID) == .completed)
                let (record, page, tail) = try await database.runtime.withTenant(tenant) { tx in
                    (
                        try await tx.propertyImport(importID), try await tx.propertyImportErrors(importID, offset: 0, limit: 200),
                        try await tx.propertyImportErrors(importID, offset: 990, limit: 200)
                    )
                }
                let result = try #require(record)
                #expect(result.rejected == 2_500)
                #expect(result.errorsKept == 1_000)
                let counts = try JSONDecoder().decode([String: Int].self, from: Data(result.errorCounts.utf8))
                #expect(counts == ["title": 2_500, "property_type": 2_500])
                let shown = try JSONDecoder().decode([ImportRowError].self, from: Data(result.rowErrors.utf8))
                #expect(shown.count == PropertyImportRecord.errorsShown)
                #expect(page?.errors.count == 200)
                #expect(page?.kept == 1_000)
                #expect(tail?.errors.count == 10)
                #expect(tail?.errors.last?.row == 500)
            }
        }
    }

    /// Each attempt fails on something that is neither the source's fault nor an outage (a
    /// trigger refuses to advance the import): after the last attempt the import ends failed
    /// with the reason, not running.
    @Test func anImportWhoseJobFailsForGoodEndsFailed() async throws {
        try await TestDatabase.with { database in
            _ = try await database.admin.withTransaction { connection in
                try await connection.query(
                    """
                    CREATE FUNCTION immo_app.refuse_batches() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'batches are refused in this test'; END $$
                    """, logger: Self.logger)
                try await connection.query(
                    """
                    CREATE TRIGGER refuse_batches BEFORE UPDATE OF committed_batches ON immo_app.property_imports
                    FOR EACH ROW EXECUTE FUNCTION immo_app.refuse_batches()
                    """, logger: Self.logger)
            }
            let tenant = try await Self.tenant(database)
            try await Self.withWorker(database) { queue in
                let (importID, jobID) = try await Self.enqueue(
                    queue, database, tenant: tenant, format: "csv", source: "external_ref,title,property_type\nX-1,A,house\n")
                #expect(try await Self.finished(queue, jobID) == .failed)
                let record = try #require(try await database.runtime.withTenant(tenant) { tx in try await tx.propertyImport(importID) })
                #expect(record.status == .failed)
                #expect(record.error?.contains("batches are refused") == true, "\(record.error ?? "")")
                #expect(try await queue.job(jobID)?.attemptsMade == 3)
            }
        }
    }
}
