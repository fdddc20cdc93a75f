import Foundation
public import Logging

/// The last line of a bounded shutdown: once started, it ends the process after `limit` unless
/// the process has exited by then. The worker starts it on SIGTERM with the grace period plus a
/// margin, so that nothing — a handler that ignores cancellation, a dependency that stopped
/// answering — can keep a stopping worker alive (and a deploy waiting for its SIGKILL).
public struct ShutdownDeadline: Sendable {
    public let limit: Duration
    /// Exit status used when the deadline ends the process.
    public static let exitStatus: Int32 = 75

    public init(limit: Duration) {
        self.limit = limit
    }

    /// Starts the countdown in a task of its own (cancelling the caller does not stop it).
    public func start(logger: Logger) {
        let limit = self.limit
        Task.detached {
            do { try await Task.sleep(for: limit) } catch { return }
            logger.critical("shutdown did not finish in time; exiting", metadata: ["limit": "\(limit)"])
            exit(Self.exitStatus)
        }
    }
}
