import Foundation
public import Logging
public import Redis

/// One BullMQ-compatible queue on Redis: producer, consumer primitives and admin operations.
///
/// A `Queue` is a cheap value (keys, options and a shared `RedisClient`); make one per queue name
/// wherever it is needed. Every state change runs as one Lua script, so concurrent producers and
/// workers — ours or BullMQ's — never see a half-made transition.
public struct Queue: Sendable {
    public let name: String
    public let keys: QueueKeys
    public let redis: RedisClient
    public let options: QueueOptions
    public let logger: Logger
    let scripts: QueueScripts

    public init(name: String, redis: RedisClient, options: QueueOptions = .init(), logger: Logger? = nil) throws(QueueError) {
        guard !name.isEmpty, name.utf8.count <= 200, !name.contains(":") else {
            throw QueueError(.invalidOption, "queue name '\(name)' must be 1 to 200 bytes without ':'")
        }
        self.name = name
        self.keys = QueueKeys(prefix: options.prefix, queue: name)
        self.redis = redis
        self.options = options
        self.logger = logger ?? redis.logger
        self.scripts = try QueueScripts.shared.get()
    }

    /// Milliseconds since 1970, the clock of every score and timestamp BullMQ stores.
    static func now() -> Int {
        Int((Date().timeIntervalSince1970 * 1000).rounded())
    }

}

/// Settings shared by every user of a queue.
public struct QueueOptions: Sendable {
    /// The key prefix; `{…}` hash-tags every key for Redis Cluster.
    public var prefix: String
    /// The largest job payload accepted, in bytes (JSON text).
    public var maximumDataSize: Int
    /// Used when a job sets no removal policy of its own.
    public var defaultRemoveOnComplete: KeepJobs
    public var defaultRemoveOnFail: KeepJobs
    /// Per-minute completed/failed counts kept (0: none).
    public var metricsDataPoints: Int

    public init(
        prefix: String = "bull", maximumDataSize: Int = 512 * 1024,
        defaultRemoveOnComplete: KeepJobs = .all, defaultRemoveOnFail: KeepJobs = .all,
        metricsDataPoints: Int = 60 * 24 * 7
    ) {
        self.prefix = prefix
        self.maximumDataSize = maximumDataSize
        self.defaultRemoveOnComplete = defaultRemoveOnComplete
        self.defaultRemoveOnFail = defaultRemoveOnFail
        self.metricsDataPoints = metricsDataPoints
    }
}
