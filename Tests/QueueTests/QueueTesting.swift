import Foundation
import Logging
import Queue
import Redis
import TestSupport

/// Shared set-up of the queue tests: a client on the test Redis and a queue of its own.
enum QueueTesting {
    static let logger: Logger = {
        var logger = Logger(label: "test.queue")
        logger.logLevel = .error
        return logger
    }()

    /// Runs `body` with a fresh queue (unique name) whose keys are deleted afterwards.
    static func withQueue<Result: Sendable>(
        prefix: String = "bull",
        options: QueueOptions = .init(),
        _ body: @Sendable (Queue) async throws -> Result
    ) async throws -> Result {
        let configuration = try RedisConfiguration(url: TestEnvironment.redisURL())
        let client = RedisClient(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            var options = options
            options.prefix = prefix
            let queue = try Queue(name: "q-\(UUID().uuidString.prefix(8).lowercased())", redis: client, options: options, logger: logger)
            do {
                let result = try await body(queue)
                try await deleteAll(queue)
                await client.shutdown()
                return result
            } catch {
                try? await deleteAll(queue)
                await client.shutdown()
                throw error
            }
        }
    }

    /// Every key of the queue (SCAN on its base).
    static func keys(of queue: Queue) async throws -> [String] {
        var cursor = "0"
        var found: [String] = []
        repeat {
            let reply = try await queue.redis.execute(
                RedisCommand("SCAN", [.string(cursor), "MATCH", .string(queue.keys.base + "*"), "COUNT", 1000]))
            guard case .array(let parts) = reply.value else { break }
            let items = Array(parts)
            cursor = try String(fromRESP: items[0])
            found += try [String](fromRESP: items[1])
        } while cursor != "0"
        return found.sorted()
    }

    static func deleteAll(_ queue: Queue) async throws {
        let all = try await keys(of: queue)
        if !all.isEmpty { try await queue.redis.execute(.del(all)) }
    }

    static func eventually(timeout: Duration = .seconds(15), _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        try await TestSupport.eventually(timeout: timeout, condition)
    }

    /// Runs a processor for the duration of `body`, then stops it and waits for it.
    static func withProcessor<Result: Sendable>(
        _ queue: Queue, options: ProcessorOptions = .init(),
        handler: @escaping QueueProcessor.Handler,
        _ body: @Sendable (QueueProcessor) async throws -> Result
    ) async throws -> Result {
        let processor = QueueProcessor(queue: queue, options: options, logger: logger, handler: handler)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await processor.run() }
            let result: Result
            do {
                result = try await body(processor)
            } catch {
                processor.stop()
                try await group.waitForAll()
                throw error
            }
            processor.stop()
            try await group.waitForAll()
            return result
        }
    }

    static let fetch = FetchOptions(token: "test-token", lockDuration: .seconds(30))
}

/// A thread-safe list for handlers to record into.
final class Recorder<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []

    func append(_ item: Element) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }

    var all: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }

    var count: Int { all.count }
}
