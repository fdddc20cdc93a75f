import ArgumentParser
import Domain
import Foundation
import Queue

extension QueueCommand {
    /// `obotcall queue schedules [QUEUE]`: the job schedulers of one queue or all, every tenant.
    struct Schedules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Job schedulers (periodic jobs) and their next run, every tenant.")
        @OptionGroup var connection: Connection
        @Argument(help: "Queue name (default: every queue).") var queue: String?
        @Option(help: "Page (100 schedulers each), from 1.") var page: Int = 1

        func validate() throws {
            guard (1...10_000).contains(page) else { throw ValidationError("--page must be between 1 and 10000") }
        }

        func run() async throws {
            let names = queue.map { [$0] } ?? QueueName.all
            let rows = try await connection.with { client, prefix in
                var rows: [[String]] = []
                for name in names {
                    let queue = try connection.queue(name, client: client, prefix: prefix)
                    let start = (page - 1) * 100
                    for scheduler in try await queue.jobSchedulers(start: start, end: start + 99, ascending: true) {
                        rows.append([
                            scheduler.id, name, scheduler.name, scheduler.tenantID ?? "-", Self.cadence(scheduler.schedule),
                            scheduler.next.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601) } ?? "-",
                            "\(scheduler.iterationCount)" + (scheduler.schedule?.limit.map { "/\($0)" } ?? ""),
                        ])
                    }
                }
                return rows
            }
            print(Table.render(header: ["ID", "QUEUE", "JOB NAME", "TENANT", "CADENCE", "NEXT RUN", "RUNS"], rows: rows))
        }

        static func cadence(_ schedule: JobSchedule?) -> String {
            switch schedule?.cadence {
            case .every(let milliseconds): return "every \(milliseconds) ms"
            case .cron(let pattern, let zone): return "\(pattern.text) (\(zone.identifier))"
            case nil: return "unreadable"
            }
        }
    }
}
