public import Logging
import Metrics
public import ServiceLifecycle

/// Samples ``RedisMemory`` every `interval` into two gauges, `obotcall_redis_memory_used_bytes`
/// and `obotcall_redis_memory_max_bytes` (0 without a ceiling), until graceful shutdown. A failed
/// sample is logged and skipped; the readiness check reports Redis being down.
public struct RedisMemoryMonitor: Service {
    public let client: RedisClient
    public let interval: Duration
    public let logger: Logger

    public init(client: RedisClient, interval: Duration = .seconds(15), logger: Logger) {
        self.client = client
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let used = Gauge(label: "obotcall_redis_memory_used_bytes")
        let maximum = Gauge(label: "obotcall_redis_memory_max_bytes")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let memory = try await RedisMemory.read(from: client)
                    used.record(memory.usedBytes)
                    maximum.record(memory.maximumBytes ?? 0)
                    if let share = memory.share, share >= 0.9 {
                        logger.warning(
                            "Redis is near its memory ceiling; writes fail at 100 % (noeviction)",
                            metadata: ["used": "\(memory.usedBytes)", "max": "\(memory.maximumBytes ?? 0)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.debug("cannot read Redis memory use", metadata: ["error": "\(error)"])
                }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
