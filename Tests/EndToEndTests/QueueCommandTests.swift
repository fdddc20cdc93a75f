import Domain
import Foundation
import Logging
import Queue
import Redis
import Testing
import TestSupport

/// `obotcall queue …` against the test Redis, checked through the Queue API.
struct QueueCommandTests {
    @Test func listJobsRetryPauseResumeClean() async throws {
        let prefix = "cli\(UUID().uuidString.prefix(6).lowercased())"
        let environment = ["REDIS_URL": try TestEnvironment.redisURL(), "QUEUE_PREFIX": prefix]
        var logger = Logger(label: "test.cli")
        logger.logLevel = .error
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }
            let queue = try Queue(name: QueueName.imports, redis: redis, options: .init(prefix: prefix), logger: logger)
            let added = try await queue.add("probe", json: "{}", options: .init(attempts: 1, tenantID: "t-1"))
            let job = try #require(try await queue.fetch(FetchOptions(token: "cli", lockDuration: .seconds(30))).job)
            _ = try await queue.fail(job, token: "cli", reason: "the CSV was empty")

            let list = try await ChildProcess.run(["queue", "list"], environment: environment)
            #expect(list.status == 0, "\(list.errors)")
            let line = try #require(list.output.split(separator: "\n").first { $0.hasPrefix(QueueName.imports) })
            #expect(
                line.split(separator: " ", omittingEmptySubsequences: true).prefix(8) == [
                    "immo-imports", "running", "0", "0", "0", "0", "0", "1",
                ])

            let jobs = try await ChildProcess.run(["queue", "jobs", QueueName.imports, "--state", "failed"], environment: environment)
            #expect(jobs.output.contains("the CSV was empty"), "\(jobs.output)\(jobs.errors)")
            #expect(jobs.output.contains(added.id))
            let badState = try await ChildProcess.run(["queue", "jobs", QueueName.imports, "--state", "lost"], environment: environment)
            #expect(badState.status != 0)
            #expect(badState.errors.contains("--state must be one of"))
            let unknown = try await ChildProcess.run(["queue", "pause", "nope"], environment: environment)
            #expect(unknown.status != 0)
            #expect(unknown.errors.contains("no queue named 'nope'"))

            #expect(try await ChildProcess.run(["queue", "retry", QueueName.imports, added.id], environment: environment).status == 0)
            #expect(try await queue.state(of: added.id) == .waiting)

            #expect(try await ChildProcess.run(["queue", "pause", QueueName.imports], environment: environment).status == 0)
            #expect(try await queue.isPaused())
            #expect(try await ChildProcess.run(["queue", "resume", QueueName.imports], environment: environment).status == 0)
            #expect(try await queue.isPaused() == false)

            let again = try #require(try await queue.fetch(FetchOptions(token: "cli", lockDuration: .seconds(30))).job)
            _ = try await queue.complete(again, token: "cli")
            let clean = try await ChildProcess.run(
                ["queue", "clean", QueueName.imports, "--state", "completed", "--grace", "0"], environment: environment)
            #expect(clean.output.contains("1 completed jobs deleted"), "\(clean.output)\(clean.errors)")
            #expect(try await queue.counts().completed == 0)
            try await queue.pause()
            try await queue.obliterate(force: true)
            await redis.shutdown()
        }
    }
}
