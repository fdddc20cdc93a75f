import Foundation
public import Redis

/// Which workers serve the queue: each processor records a heartbeat on every stalled check, so
/// an admin can see "workers seen" without scanning Redis clients.
extension Queue {
    /// Records that `worker` is serving the queue now, and forgets workers silent for `forget`.
    public func heartbeat(worker: String, forget: Duration = .seconds(3_600)) async throws {
        let now = Self.now()
        let cutoff = now - Int(forget.components.seconds) * 1000
        _ = try await redis.pipeline([
            RedisCommand("ZADD", [.string(keys.workers), .int(now), .string(worker)], keyArguments: 0..<1),
            RedisCommand("ZREMRANGEBYSCORE", [.string(keys.workers), "-inf", .string("(\(cutoff)")], keyArguments: 0..<1),
        ])
    }

    /// Removes a stopping worker at once.
    public func forgetWorker(_ worker: String) async throws {
        _ = try await redis.execute(RedisCommand("ZREM", [.string(keys.workers), .string(worker)], keyArguments: 0..<1))
    }

    /// Workers whose last heartbeat is at most `within` old.
    public func workersSeen(within: Duration = .seconds(90)) async throws -> [String] {
        let cutoff = Self.now() - Int(within.components.seconds) * 1000
        return try await redis.execute(
            RedisCommand("ZRANGEBYSCORE", [.string(keys.workers), .int(cutoff), "+inf"], keyArguments: 0..<1), as: [String].self)
    }
}
