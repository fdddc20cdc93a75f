import Foundation
import Logging
import NIOCore
import NIOPosix
import Queue
import Redis

/// The Swift side of Benchmarks/run-queue-benchmark: add (sequential, bulk), processing with a
/// no-op handler (one process, concurrency C), and idle pickup latency (add → handler start),
/// printed as CSV lines "metric,value" like Benchmarks/python/bullmq_bench.py.
///
/// Usage: queue-benchmark-swift URL SEQUENTIAL BULK PROCESSED SAMPLES CONCURRENCY, or
/// queue-benchmark-swift schedule URL SECONDS WORKERS (Benchmarks/QueueBenchmark/ScheduleBenchmark.swift), or
/// queue-benchmark-swift fairness URL BACKLOG WORKERS CONCURRENCY (Benchmarks/QueueBenchmark/FairnessBenchmark.swift).
@main
struct QueueBenchmark {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.first == "schedule" {
            let rest = Array(arguments.dropFirst())
            guard rest.count == 3, let seconds = Int(rest[1]), let workers = Int(rest[2]), (1...3_600).contains(seconds),
                (1...64).contains(workers)
            else {
                FileHandle.standardError.write(Data("usage: queue-benchmark-swift schedule URL SECONDS WORKERS\n".utf8))
                exit(2)
            }
            try await ScheduleBenchmark.run(url: rest[0], seconds: seconds, workers: workers)
            return
        }
        if arguments.first == "fairness" {
            await FairnessBenchmark.runCommand(Array(arguments.dropFirst()))
            return
        }
        guard arguments.count == 6, let url = arguments.first else {
            FileHandle.standardError.write(Data("usage: queue-benchmark-swift URL SEQUENTIAL BULK PROCESSED SAMPLES CONCURRENCY\n".utf8))
            exit(2)
        }
        let numbers = arguments.dropFirst().compactMap { Int($0) }
        guard numbers.count == 5 else {
            FileHandle.standardError.write(Data("counts must be integers\n".utf8))
            exit(2)
        }
        let (sequential, bulk, processed, samples, concurrency) = (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4])
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var configuration = try RedisConfiguration(url: url)
        configuration.pool.multiplexedConnections = 2
        let redis = RedisClient(configuration: configuration, logger: logger)
        struct Payload: Codable, Sendable { var n: Int }
        struct Stamped: Codable, Sendable { var t: Double }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }

            func fresh(_ name: String) throws -> Queue {
                try Queue(name: "\(name)-\(UUID().uuidString.prefix(8).lowercased())", redis: redis, logger: logger)
            }
            func seconds(since start: ContinuousClock.Instant) -> Double {
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }

            var queue = try fresh("bench-add")
            var start = ContinuousClock.now
            for n in 0..<sequential { try await queue.add("job", data: Payload(n: n)) }
            print(String(format: "add_sequential,%.1f", Double(sequential) / seconds(since: start)))
            try await queue.pause()
            try await queue.obliterate(force: true)

            queue = try fresh("bench-bulk")
            start = ContinuousClock.now
            for offset in stride(from: 0, to: bulk, by: 2000) {
                _ = try await queue.addBulk((offset..<min(bulk, offset + 2000)).map { try NewJob(name: "job", data: Payload(n: $0)) })
            }
            print(String(format: "add_bulk,%.1f", Double(bulk) / seconds(since: start)))
            try await queue.pause()
            try await queue.obliterate(force: true)

            queue = try fresh("bench-process")
            for offset in stride(from: 0, to: processed, by: 2000) {
                _ = try await queue.addBulk((offset..<min(processed, offset + 2000)).map { try NewJob(name: "job", data: Payload(n: $0)) })
            }
            let counter = Counter()
            let processor = QueueProcessor(queue: queue, options: .init(concurrency: concurrency), logger: logger) { _ in
                counter.increment()
                return nil
            }
            start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { inner in
                inner.addTask { try await processor.run() }
                while counter.value < processed { try await Task.sleep(for: .milliseconds(1)) }
                print(String(format: "process,%.1f", Double(processed) / seconds(since: start)))
                processor.stop()
                try await inner.waitForAll()
            }
            try await queue.pause()
            try await queue.obliterate(force: true)

            queue = try fresh("bench-latency")
            let latencies = Latencies()
            let recorder = QueueProcessor(queue: queue, options: .init(concurrency: 1), logger: logger) { context in
                let sent = try context.job.decodeData(Stamped.self).t
                latencies.append(Date().timeIntervalSince1970 * 1000 - sent)
                return nil
            }
            try await withThrowingTaskGroup(of: Void.self) { inner in
                inner.addTask { try await recorder.run() }
                try await Task.sleep(for: .milliseconds(500))
                for index in 0..<samples {
                    try await queue.add("job", data: Stamped(t: Date().timeIntervalSince1970 * 1000))
                    while latencies.count <= index { try await Task.sleep(for: .milliseconds(1)) }
                    try await Task.sleep(for: .milliseconds(10))
                }
                recorder.stop()
                try await inner.waitForAll()
            }
            let sorted = latencies.all.sorted()
            print(String(format: "pickup_p50_ms,%.3f", sorted[sorted.count / 2]))
            print(String(format: "pickup_p99_ms,%.3f", sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]))
            try await queue.pause()
            try await queue.obliterate(force: true)
            await redis.shutdown()
        }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

final class Latencies: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Double] = []
    func append(_ value: Double) {
        lock.lock()
        values.append(value)
        lock.unlock()
    }
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return values.count
    }
    var all: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
