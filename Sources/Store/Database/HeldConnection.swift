import PostgresNIO
import Synchronization

/// The connection a bounded call is using, so that the deadline can close it.
final class HeldConnection: Sendable {
    private let connection = Mutex<PostgresConnection?>(nil)

    func hold(_ connection: PostgresConnection) { self.connection.withLock { $0 = connection } }
    func release() { connection.withLock { $0 = nil } }

    /// Closes the held connection: whatever waits on it fails, and the pool replaces it.
    func close() {
        guard let held = connection.withLock({ $0 }) else { return }
        held.close().whenComplete { _ in }
    }
}
