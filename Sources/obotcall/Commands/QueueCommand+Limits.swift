import ArgumentParser
import Queue

extension QueueCommand {
    /// `obotcall queue limits QUEUE [--concurrency N | --no-concurrency] [--rate-limit 100/1s | --no-rate-limit]`
    struct Limits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set a queue's limits across all workers: global concurrency and rate limit.")
        @OptionGroup var connection: Connection
        @Argument(help: "Queue name.") var queue: String
        @Option(help: "At most this many jobs active at once, all workers together.") var concurrency: Int?
        @Flag(help: "Remove the global concurrency limit.") var noConcurrency = false
        @Option(help: "At most MAX jobs started per DURATION, all workers together (e.g. 100/1s).") var rateLimit: String?
        @Flag(help: "Remove the global rate limit.") var noRateLimit = false

        func validate() throws {
            if let concurrency, !(1...100_000).contains(concurrency) {
                throw ValidationError("--concurrency must be between 1 and 100000")
            }
            if concurrency != nil && noConcurrency { throw ValidationError("give --concurrency or --no-concurrency, not both") }
            if rateLimit != nil && noRateLimit { throw ValidationError("give --rate-limit or --no-rate-limit, not both") }
            if let rateLimit { _ = try RateLimitOption(parsing: rateLimit) }
        }

        func run() async throws {
            let rate = try rateLimit.map(RateLimitOption.init(parsing:))
            let limits = try await connection.with { client, prefix in
                let queue = try connection.queue(self.queue, client: client, prefix: prefix)
                if let concurrency { try await queue.setGlobalConcurrency(concurrency) }
                if noConcurrency { try await queue.setGlobalConcurrency(nil) }
                if let rate { try await queue.setGlobalRateLimit(max: rate.max, duration: rate.duration) }
                if noRateLimit { try await queue.setGlobalRateLimit(max: nil) }
                return try await queue.limits()
            }
            let rateText = limits.rateLimit.map { RateLimitOption(max: $0.max, duration: $0.duration).description } ?? "none"
            print(
                Table.render(
                    header: ["QUEUE", "CONCURRENCY", "RATE LIMIT", "HELD FOR"],
                    rows: [[queue, limits.concurrency.map(String.init) ?? "none", rateText, limits.heldFor.map { "\($0)" } ?? "-"]]))
        }
    }
}
