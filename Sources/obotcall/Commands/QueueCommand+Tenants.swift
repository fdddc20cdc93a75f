import ArgumentParser
import Queue

extension QueueCommand {
    /// `obotcall queue tenants QUEUE [--limit N]`: a fair queue's tenants, each with its jobs
    /// queued and running, why it waits and its own limits.
    struct Tenants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A fair queue's tenants: jobs queued and running, parked or not, and their limits.")
        @OptionGroup var connection: Connection
        @Argument(help: "Queue name.") var queue: String
        @Option(help: "At most this many tenants (1 to 10000).") var limit: Int = 1_000

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        }

        func run() async throws {
            let (fair, tenants) = try await connection.with { client, prefix in
                let queue = try connection.queue(self.queue, client: client, prefix: prefix)
                guard try await queue.isFair() else { return (false, [FairTenant]()) }
                return (true, try await queue.fairTenants(limit: limit))
            }
            guard fair else {
                print("queue \(queue) is not fair: its jobs run in order (make it fair with `obotcall queue fair \(queue)`)")
                return
            }
            let rows = tenants.map(Self.row)
            print(
                Table.render(
                    header: ["TENANT", "QUEUED", "RUNNING", "PARKED", "WEIGHT", "CONCURRENCY", "RATE LIMIT", "MAX PENDING"], rows: rows))
        }

        static func row(_ tenant: FairTenant) -> [String] {
            let name = tenant.tenant.isEmpty ? "(no tenant)" : tenant.tenant
            let rate = tenant.limits.rateLimit.map { RateLimitOption(max: $0.max, duration: $0.duration).description } ?? "-"
            return [
                name, "\(tenant.queued)", "\(tenant.running)", tenant.parked?.rawValue ?? "-",
                tenant.limits.weight.map(String.init) ?? "1", tenant.limits.concurrency.map(String.init) ?? "-", rate,
                tenant.limits.maxPending.map(String.init) ?? "-",
            ]
        }
    }

    /// `obotcall queue fair QUEUE [--off]`: makes a queue fair (tenants take turns) or
    /// first-in first-out again.
    struct Fair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a queue fair (tenants take weighted turns), or first-in first-out again with --off.",
            discussion: """
                Workers started with --fair-queues set this at startup too. --off moves every tenant's \
                queued jobs back to wait, in order of their turn within each tenant.
                """)
        @OptionGroup var connection: Connection
        @Argument(help: "Queue name.") var queue: String
        @Flag(help: "Make the queue first-in first-out again.") var off = false

        func run() async throws {
            let message = try await connection.with { client, prefix in
                let queue = try connection.queue(self.queue, client: client, prefix: prefix)
                if off {
                    let moved = try await queue.makeFIFO()
                    return "queue \(self.queue) is first-in first-out; \(moved) jobs moved back to wait"
                }
                try await queue.makeFair(defaults: try await queue.tenantDefaults())
                return "queue \(self.queue) is fair: tenants take turns"
            }
            print(message)
        }
    }
}
