import Redis

extension Queue {
    /// How long the finish script keeps a tenant's minute (`tm:<tenant>:<minute>`), in minutes.
    public static let tenantMetricsMinutes = 120

    /// One tenant's finishes per minute, oldest first, the minute in progress last.
    public struct TenantMetrics: Sendable, Equatable {
        public var completed: [Int]
        public var failed: [Int]
    }

    /// The tenant's completed and failed jobs in each of the last `minutes` minutes (the one in
    /// progress included), counted by the finish script; minutes older than
    /// ``tenantMetricsMinutes`` read as 0. One pipelined read of at most that many small hashes.
    public func tenantMetrics(tenant: String, minutes: Int) async throws -> TenantMetrics {
        let minutes = min(max(1, minutes), 100_000)
        let kept = min(minutes, Self.tenantMetricsMinutes)
        let current = Self.now() / 60_000
        let commands = (0..<kept).map { back in
            RedisCommand("HMGET", [.string(keys.tenantMinute(tenant, minute: current - back)), "completed", "failed"], keyArguments: 0..<1)
        }
        let replies = try await redis.pipeline(commands)
        var metrics = TenantMetrics(completed: Array(repeating: 0, count: minutes), failed: Array(repeating: 0, count: minutes))
        for (back, reply) in replies.enumerated() {
            let fields = try [String?](fromRESP: reply)
            let index = minutes - 1 - back
            metrics.completed[index] = max(0, fields.first.flatMap { $0 }.flatMap { Int($0) } ?? 0)
            metrics.failed[index] = max(0, fields.dropFirst().first.flatMap { $0 }.flatMap { Int($0) } ?? 0)
        }
        return metrics
    }
}
