import Foundation
import Logging
import Redis
import TestSupport

enum RedisTesting {
    static let logger: Logger = {
        var logger = Logger(label: "test.redis")
        logger.logLevel = .error
        return logger
    }()

    /// A prefix no other test uses, so tests can share one server.
    static func uniquePrefix(_ name: String = #function) -> String {
        "test:\(name.prefix { $0 != "(" }):\(UUID().uuidString.prefix(8)):"
    }

    /// Runs `body` with a client whose service runs for the duration.
    static func withClient<Result: Sendable>(
        url: String? = nil,
        configure: (inout RedisConfiguration) -> Void = { _ in },
        _ body: @Sendable (RedisClient) async throws -> Result
    ) async throws -> Result {
        var configuration = try RedisConfiguration(url: url ?? TestEnvironment.redisURL())
        configure(&configuration)
        let client = RedisClient(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            let result = try await body(client)
            await client.shutdown()
            return result
        }
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func eventually(
        timeout: Duration = .seconds(10), _ condition: @Sendable () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// `CLIENT LIST` lines of connections named `name`.
    static func clients(named name: String, on client: RedisClient) async throws -> [String] {
        let list = try await client.execute(RedisCommand("CLIENT", ["LIST"]), as: String.self)
        return list.split(separator: "\n").map(String.init).filter { $0.contains(" name=\(name) ") }
    }
}
