import Foundation
import Logging
import Queue
import Redis

/// The Swift side of Benchmarks/run-schedule-benchmark: one job scheduler `every` 1 s on a fresh
/// queue, `workers` processors (each with its own Redis client, as separate worker processes
/// would be) taking its runs for `seconds`. Prints CSV lines "metric,value": the runs whose time
/// fell in the window, duplicates (a run processed twice), and how late runs started (p50/p99 ms).
enum ScheduleBenchmark {
    static func run(url: String, seconds: Int, workers: Int) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let clients = try (0..<max(1, workers)).map { _ in RedisClient(configuration: try RedisConfiguration(url: url), logger: logger) }
        let name = "bench-schedule-\(UUID().uuidString.prefix(8).lowercased())"
        let runs = Runs()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { try await client.run() } }
            defer { group.cancelAll() }
            let queues = try clients.map { try Queue(name: name, redis: $0, logger: logger) }
            let processors = queues.map { queue in
                QueueProcessor(queue: queue, options: .init(concurrency: 5), logger: logger) { context in
                    let now = Date().timeIntervalSince1970 * 1_000
                    if let millis = context.job.id.split(separator: ":").last.flatMap({ Int($0) }) { runs.record(millis, startedAt: now) }
                    return nil
                }
            }
            for processor in processors { group.addTask { try await processor.run() } }
            let start = Int(Date().timeIntervalSince1970 * 1_000)
            let window = seconds * 1_000
            try await queues[0].upsertJobScheduler(
                "tick", schedule: try .every(.seconds(1), startDate: start), template: NewJob(name: "tick", json: "{}"))
            // Wait for the window to pass and its last run to be taken.
            while Int(Date().timeIntervalSince1970 * 1_000) < start + window + 1_500 { try await Task.sleep(for: .milliseconds(100)) }
            for processor in processors { processor.stop() }
            let (inWindow, duplicates, lateness) = runs.summary(from: start, to: start + window)
            print("schedule_runs,\(inWindow)")
            print("schedule_duplicates,\(duplicates)")
            let sorted = lateness.sorted()
            print(String(format: "schedule_late_p50_ms,%.1f", sorted.isEmpty ? 0 : sorted[sorted.count / 2]))
            print(String(format: "schedule_late_p99_ms,%.1f", sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * 99 / 100)]))
            try await queues[0].removeJobScheduler("tick")
            try await queues[0].pause()
            try await queues[0].obliterate(force: true)
            for client in clients { await client.shutdown() }
        }
    }
}

/// The runs processed: each run's scheduled time, how often it ran and when it started.
final class Runs: @unchecked Sendable {
    private let lock = NSLock()
    private var started: [Int: [Double]] = [:]

    func record(_ millis: Int, startedAt: Double) {
        lock.lock()
        started[millis, default: []].append(startedAt)
        lock.unlock()
    }

    /// Distinct runs scheduled in [from, to), extra processings of any run, and each run's delay.
    func summary(from: Int, to: Int) -> (runs: Int, duplicates: Int, lateness: [Double]) {
        lock.lock()
        defer { lock.unlock() }
        let inWindow = started.filter { $0.key >= from && $0.key < to }
        let duplicates = started.values.reduce(0) { $0 + $1.count - 1 }
        let lateness = inWindow.compactMap { millis, times in times.min().map { $0 - Double(millis) } }
        return (inWindow.count, duplicates, lateness)
    }
}
