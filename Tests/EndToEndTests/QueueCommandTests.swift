import Domain
import Foundation
import Logging
import Queue
import Redis
import Testing
import TestSupport

/// `obotcall queue …` against the test Redis, checked through the Queue API.
struct QueueCommandTests {
    /// Runs `body` with the environment a CLI call needs (a queue prefix of its own) and a client.
    static func withCLI(_ body: @Sendable ([String: String], String, RedisClient, Logger) async throws -> Void) async throws {
        let prefix = "cli\(UUID().uuidString.prefix(6).lowercased())"
        let environment = ["REDIS_URL": try TestEnvironment.redisURL(), "QUEUE_PREFIX": prefix]
        var logger = Logger(label: "test.cli")
        logger.logLevel = .error
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }
            try await body(environment, prefix, redis, logger)
        }
    }

    @Test func listJobsRetryPauseResumeClean() async throws {
        try await Self.withCLI { environment, prefix, redis, logger in
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

    @Test func limitsAndSchedules() async throws {
        try await Self.withCLI { environment, prefix, redis, logger in
            let queue = try Queue(name: QueueName.notifications, redis: redis, options: .init(prefix: prefix), logger: logger)

            let set = try await ChildProcess.run(
                ["queue", "limits", QueueName.notifications, "--concurrency", "7", "--rate-limit", "50/2s"], environment: environment)
            #expect(set.status == 0, "\(set.errors)")
            #expect(set.output.contains("50/2000ms"), "\(set.output)")
            let limits = try await queue.limits()
            #expect(limits.concurrency == 7)
            #expect(limits.rateLimit?.max == 50 && limits.rateLimit?.duration == .seconds(2))
            let cleared = try await ChildProcess.run(
                ["queue", "limits", QueueName.notifications, "--no-concurrency", "--no-rate-limit"], environment: environment)
            #expect(cleared.status == 0, "\(cleared.errors)")
            #expect(try await queue.limits() == QueueLimits())
            for bad in ["0/1s", "10/0s", "10/2h", "ten/1s", "10/1x", "10"] {
                let refused = try await ChildProcess.run(["queue", "limits", QueueName.notifications, "--rate-limit", bad], environment: environment)
                #expect(refused.status != 0 && refused.errors.contains("rate limit"), "\(bad): \(refused.errors)")
            }

            _ = try await queue.upsertJobScheduler(
                "nightly", schedule: try JobSchedule.cron("0 3 * * *", timeZone: "Europe/Paris", limit: 30),
                template: NewJob(name: "notify", json: "{}", options: .init(tenantID: "t-9")))
            let schedules = try await ChildProcess.run(["queue", "schedules", QueueName.notifications], environment: environment)
            #expect(schedules.status == 0, "\(schedules.errors)")
            let line = try #require(schedules.output.split(separator: "\n").first { $0.hasPrefix("nightly") }, "\(schedules.output)")
            #expect(line.contains("t-9") && line.contains("0 3 * * * (Europe/Paris)") && line.contains("1/30"))
            try await queue.pause()
            try await queue.obliterate(force: true)
            await redis.shutdown()
        }
    }

    @Test func fairQueueTenants() async throws {
        try await Self.withCLI { environment, prefix, redis, logger in
            let queue = try Queue(name: QueueName.imports, redis: redis, options: .init(prefix: prefix), logger: logger)
            let notFair = try await ChildProcess.run(["queue", "tenants", QueueName.imports], environment: environment)
            #expect(notFair.status == 0 && notFair.output.contains("is not fair"), "\(notFair.output)\(notFair.errors)")

            let fair = try await ChildProcess.run(["queue", "fair", QueueName.imports], environment: environment)
            #expect(fair.status == 0 && fair.output.contains("is fair"), "\(fair.errors)")
            #expect(try await queue.isFair())
            for _ in 0..<3 { _ = try await queue.add("probe", json: "{}", options: .init(tenantID: "tenant-a")) }
            _ = try await queue.add("probe", json: "{}", options: .init(tenantID: "tenant-b"))
            try await queue.setLimits(TenantLimits(weight: 2, concurrency: 5), tenant: "tenant-b")
            try await queue.pause(tenant: "tenant-a")
            _ = try await queue.fetch(FetchOptions(token: "cli", lockDuration: .seconds(30)))

            let listed = try await ChildProcess.run(["queue", "tenants", QueueName.imports], environment: environment)
            #expect(listed.status == 0, "\(listed.errors)")
            let lines = listed.output.split(separator: "\n")
            let rowA = try #require(lines.first { $0.hasPrefix("tenant-a") }, "\(listed.output)")
            #expect(rowA.split(separator: " ", omittingEmptySubsequences: true).prefix(4) == ["tenant-a", "3", "0", "paused"])
            let rowB = try #require(lines.first { $0.hasPrefix("tenant-b") }, "\(listed.output)")
            #expect(rowB.split(separator: " ", omittingEmptySubsequences: true).prefix(6) == ["tenant-b", "0", "1", "-", "2", "5"])

            let off = try await ChildProcess.run(["queue", "fair", QueueName.imports, "--off"], environment: environment)
            #expect(off.status == 0 && off.output.contains("3 jobs moved back to wait"), "\(off.output)\(off.errors)")
            #expect(try await queue.isFair() == false)
            #expect(try await queue.counts().waiting == 3)
            try await queue.pause()
            try await queue.obliterate(force: true)
            await redis.shutdown()
        }
    }
}
