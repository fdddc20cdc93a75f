import Domain
import Foundation
import Queue
import Redis

/// A tenant's webhook endpoint that answered 429: deliveries to it, from every worker, wait until
/// its `Retry-After` has passed instead of calling it again. A key with that TTL in Redis, per
/// tenant and endpoint, so one receiver's limit never holds another's (nor the shared queue).
///
/// Best effort: if Redis cannot be read or written the delivery simply goes ahead (the receiver
/// answers 429 again, and the job waits on its own).
struct EndpointHold: Sendable {
    let redis: RedisClient
    let key: String

    init(queue: Queue, tenant: TenantID, endpoint: UUID) {
        self.redis = queue.redis
        self.key = queue.keys.base + "hold:" + tenant.description + ":" + endpoint.lowercasedText
    }

    /// How long deliveries must still wait; `nil` when they need not.
    func remaining() async -> Duration? {
        guard let milliseconds = try? await redis.execute(RedisCommand("PTTL", [.string(key)], keyArguments: 0..<1), as: Int.self),
            milliseconds > 0
        else { return nil }
        return .milliseconds(milliseconds)
    }

    /// Holds deliveries for `duration` (at least 1 ms).
    func hold(for duration: Duration) async {
        let milliseconds = max(1, duration.milliseconds)
        _ = try? await redis.execute(RedisCommand("SET", [.string(key), "1", "PX", .int(milliseconds)], keyArguments: 0..<1))
    }
}
