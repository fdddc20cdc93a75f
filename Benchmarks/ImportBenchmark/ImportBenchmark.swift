import Domain
import Foundation
import Logging
import Queue
import Redis
import Store

/// The driver of Benchmarks/run-import-benchmark: creates a tenant and an import of N generated
/// rows, enqueues it, waits until a running `obotcall worker` finishes it, and prints the
/// worker-side rate from the job's start and finish times as CSV lines "metric,value".
///
/// Usage: import-benchmark-swift OWNER_DATABASE_URL RUNTIME_DATABASE_URL REDIS_URL ROWS QUEUE_PREFIX
@main
struct ImportBenchmark {
    static func main() async throws {
        try await run(Array(CommandLine.arguments.dropFirst()))
    }

    nonisolated static func run(_ arguments: [String]) async throws {
        guard arguments.count == 5, let rows = Int(arguments[3]), rows > 0 else {
            FileHandle.standardError.write(Data("usage: import-benchmark-swift OWNER_URL RUNTIME_URL REDIS_URL ROWS QUEUE_PREFIX\n".utf8))
            exit(2)
        }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let owner = Database(url: try DatabaseURL(arguments[0]), logger: logger)
        let runtime = Database(url: try DatabaseURL(arguments[1]), logger: logger)
        let redis = RedisClient(configuration: try RedisConfiguration(url: arguments[2]), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await owner.run() }
            group.addTask { try await runtime.run() }
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }

            let tenant = TenantID(UUID())
            try await TenantStore(database: owner).createTenant(id: tenant, slug: "bench-\(tenant.description.prefix(8))", name: "Bench")
            var csv = "external_ref;title;property_type;price;surface;rooms;postal_code;city;address\n"
            csv.reserveCapacity(rows * 90)
            let types = PropertyDraft.PropertyType.allCases
            for index in 1...rows {
                let type = types[index % types.count].rawValue
                csv +=
                    "B-\(index);Property \(index);\(type);\(100_000 + index * 3);\(20 + index % 180),5;\(index % 9);\(10_000 + index % 89_999);City \(index % 500);\(index) main street\n"
            }
            let source = Array(csv.utf8)
            csv = ""
            let importID = try await runtime.withTenant(tenant) { tx in
                try await tx.insertPropertyImport(format: "csv", source: source, createdBy: nil)
            }
            let queue = try Queue(name: QueueName.imports, redis: redis, options: .init(prefix: arguments[4]), logger: logger)
            let job = try await queue.add(
                PropertyImportJob.name, data: PropertyImportJob(tenantID: tenant, importID: importID),
                options: .init(tenantID: tenant.description))
            let deadline = ContinuousClock.now + .seconds(1_800)
            while try await queue.state(of: job.id) != .completed {
                guard ContinuousClock.now < deadline else { throw BenchmarkError("the import did not finish within 30 minutes") }
                if try await queue.state(of: job.id) == .failed {
                    throw BenchmarkError("the import failed: \(try await queue.job(job.id)?.failedReason ?? "?")")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            guard let finished = try await queue.job(job.id), let started = finished.processedOn, let ended = finished.finishedOn else {
                throw BenchmarkError("the finished job has no timings")
            }
            let record = try await runtime.withTenant(tenant) { tx in try await tx.propertyImport(importID) }
            let seconds = Double(ended - started) / 1000
            print("rows,\(rows)")
            print("inserted,\(record?.inserted ?? 0)")
            print(String(format: "seconds,%.3f", seconds))
            print(String(format: "rows_per_second,%.0f", Double(rows) / seconds))
            await redis.shutdown()
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
