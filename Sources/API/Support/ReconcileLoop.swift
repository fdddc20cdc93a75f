import Logging
import ServiceLifecycle

/// The loop of a reconciler that puts back in Redis what PostgreSQL records: one pass every
/// `interval`; after failed passes it retries sooner (5 s, doubling, at most `interval`), and it
/// ends on graceful shutdown or cancellation.
struct ReconcileLoop: Sendable {
    let interval: Duration
    /// What the warning of a failed pass names, e.g. "schedule reconciliation".
    let name: String
    let logger: Logger

    func run(_ pass: @Sendable () async throws -> Void) async {
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await pass()
                failures = 0
            } catch {
                failures += 1
                logger.warning("\(name) failed; retrying", metadata: ["error": "\(error)"])
            }
            let pause = failures == 0 ? interval : min(interval, .seconds(5) * (1 << min(failures, 4)))
            do { _ = try await cancelOnGracefulShutdown { try await Task.sleep(for: pause) } } catch { return }
        }
    }
}
