import ArgumentParser
import Domain
import Foundation
import Jobs
import Logging
import Queue
import Redis

/// `obotcall queue …`: the admin routes' powers for operators on the host, straight on Redis.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Inspect and steer the job queues (operators; acts on every tenant).",
        subcommands: [
            List.self, Jobs.self, Retry.self, Pause.self, Resume.self, Clean.self, Limits.self, Schedules.self, Tenants.self, Fair.self,
        ]
    )

    /// Redis, the key prefix and (for most commands) one queue.
    struct Connection: ParsableArguments {
        @OptionGroup var redis: RedisOptions
        @Option(help: "Redis key prefix of the queues (default: $QUEUE_PREFIX or bull).") var queuePrefix: String?

        /// Runs `body` with a connected client, closing it afterwards.
        func with<T: Sendable>(_ body: @Sendable (RedisClient, String) async throws -> T) async throws -> T {
            var logger = LogSetup.logger(label: "obotcall.queue")
            logger.logLevel = .warning
            let client = RedisClient(configuration: try redis.configuration(clientName: "obotcall-cli"), logger: logger)
            let prefix = queuePrefix ?? ProcessEnvironment()["QUEUE_PREFIX"] ?? "bull"
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.run()
                    return nil
                }
                defer { group.cancelAll() }
                let result = try await body(client, prefix)
                await client.shutdown()
                return result
            }
        }

        func queue(_ name: String, client: RedisClient, prefix: String) throws -> Queue {
            guard QueueName.all.contains(name) else {
                throw ValidationError("no queue named '\(name)'; the platform's queues are \(QueueName.all.joined(separator: ", "))")
            }
            return try Queue(name: name, redis: client, options: .platform(prefix: prefix), logger: Logger(label: "obotcall.queue"))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every queue: counts by state, paused, workers seen.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let rows = try await connection.with { client, prefix in
                var rows: [[String]] = []
                for name in QueueName.all {
                    let queue = try connection.queue(name, client: client, prefix: prefix)
                    let counts = try await queue.counts()
                    let workers = try await queue.workersSeen().count
                    let done = try await queue.metrics(.completed, minutes: 1).perMinute.first ?? 0
                    let failedLastMinute = try await queue.metrics(.failed, minutes: 1).perMinute.first ?? 0
                    rows.append([
                        name, counts.paused ? "paused" : "running", "\(counts.waiting)", "\(counts.prioritized)", "\(counts.delayed)",
                        "\(counts.active)", "\(counts.completed)", "\(counts.failed)", "\(workers)", "\(done)/\(failedLastMinute)",
                    ])
                }
                return rows
            }
            print(
                Table.render(
                    header: ["QUEUE", "STATUS", "WAITING", "PRIORITIZED", "DELAYED", "ACTIVE", "COMPLETED", "FAILED", "WORKERS", "DONE/FAILED 1m"],
                    rows: rows))
        }
    }

    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A page of a queue's jobs in one state.")
        @OptionGroup var connection: Connection
        @Argument(help: "Queue name.") var queue: String
        @Option(help: "waiting, prioritized, delayed, active, completed, failed.") var state: String = "failed"
        @Option(help: "Page (50 jobs each), from 1.") var page: Int = 1

        func validate() throws {
            guard page >= 1 else { throw ValidationError("--page must be at least 1") }
            guard let parsed = JobState(rawValue: state), parsed != .unknown else {
                throw ValidationError("--state must be one of \(JobState.allCases.filter { $0 != .unknown }.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let state = JobState(rawValue: self.state) ?? .failed
            let rows = try await connection.with { client, prefix in
                let queue = try connection.queue(self.queue, client: client, prefix: prefix)
                return try await queue.jobs(in: state, offset: (page - 1) * 50, limit: 50).map { job in
                    let created = Date(timeIntervalSince1970: Double(job.timestamp) / 1000).formatted(.iso8601)
                    return [job.id, job.name, job.tenantID ?? "-", "\(job.attemptsMade)", created, String((job.failedReason ?? "").prefix(60))]
                }
            }
            print(Table.render(header: ["ID", "NAME", "TENANT", "ATTEMPTS", "CREATED", "FAILED REASON"], rows: rows))
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send one failed job, or every failed job (--all), back to wait.")
        @OptionGroup var connection: Connection
        @Argument(help: "Queue name.") var queue: String
        @Argument(help: "Job id (omit with --all).") var id: String?
        @Flag(help: "Retry every failed job of the queue.") var all = false

        func validate() throws {
            guard (id == nil) == all else { throw ValidationError("give a job id, or --all, not both") }
        }

        func run() async throws {
            let message = try await connection.with { client, prefix in
                let queue = try connection.queue(self.queue, client: client, prefix: prefix)
                if let id {
                    try await queue.retry(id)
                    return "job \(id) sent back to wait"
                }
                return "\(try await queue.retryAllFailed()) failed jobs sent back to wait"
            }
            print(message)
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a queue for every worker (running jobs finish).")
        @OptionGroup var connection: Connection
        @Argument(help: "Queue name.") var queue: String

        func run() async throws {
            try await connection.with { client, prefix in try await connection.queue(queue, client: client, prefix: prefix).pause() }
            print("\(queue) paused")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused queue.")
        @OptionGroup var connection: Connection
        @Argument(help: "Queue name.") var queue: String

        func run() async throws {
            try await connection.with { client, prefix in try await connection.queue(queue, client: client, prefix: prefix).resume() }
            print("\(queue) resumed")
        }
    }

    struct Clean: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete jobs of a state older than a grace period.")
        @OptionGroup var connection: Connection
        @Argument(help: "Queue name.") var queue: String
        @Option(help: "completed, failed, delayed, waiting or prioritized.") var state: String = "completed"
        @Option(help: "Keep jobs younger than this many seconds.") var grace: Int = 3_600
        @Option(help: "Delete at most this many jobs.") var limit: Int = 10_000

        func validate() throws {
            guard let parsed = JobState(rawValue: state), [.completed, .failed, .delayed, .waiting, .prioritized].contains(parsed) else {
                throw ValidationError("--state must be completed, failed, delayed, waiting or prioritized")
            }
            guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
            guard (1...1_000_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000000") }
        }

        func run() async throws {
            let state = JobState(rawValue: self.state) ?? .completed
            let removed = try await connection.with { client, prefix in
                try await connection.queue(queue, client: client, prefix: prefix).clean(state, grace: .seconds(grace), limit: limit)
            }
            print("\(removed.count) \(state.rawValue) jobs deleted from \(queue)")
        }
    }
}

/// Plain aligned columns for terminal output.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        let lines = all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return (rows.isEmpty ? lines + ["(none)"] : lines).joined(separator: "\n")
    }
}
