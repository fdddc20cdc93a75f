import Synchronization

/// Bounds how many test databases exist at once in one test process.
///
/// Swift Testing starts every test of a run together; each test database opens four connection
/// pools, and the in-process api or worker under test opens more. Without a bound a full run asked
/// the test PostgreSQL for more connections than `max_connections`, and tests failed at random with
/// "too many clients". A test waits here for a slot before its database is created.
public final class TestDatabaseSlots: Sendable {
    /// The bound used by `TestDatabase.with`; each slot costs at most about twenty connections.
    public static let shared = TestDatabaseSlots(limit: 8)

    private struct State {
        var free: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    public init(limit: Int) {
        state = Mutex(State(free: max(1, limit)))
    }

    /// Runs `body` while holding one slot; the slot is given back however `body` ends.
    public func withSlot<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.free += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
