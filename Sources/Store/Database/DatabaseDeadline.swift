import Synchronization

/// A deadline on one database call that does not depend on the call noticing it.
///
/// PostgresNIO does not cancel a statement that is waiting for its answer (task cancellation
/// reaches a row stream, not `query`), and a statement written to a connection the server has
/// just closed can wait forever. So the call runs in a task of its own; when `limit` passes
/// first (``DeadlineWatch`` keeps the time), ``run(_:onTimeout:_:)`` throws at once, cancels that
/// task and calls `onTimeout` (which closes the connection, failing whatever still waits on it).
/// The caller is never held past the deadline, whatever the call does.
enum DatabaseDeadline {
    static func run<Value: Sendable>(
        _ limit: Duration, onTimeout: @escaping @Sendable () -> Void,
        _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let outcome = OnceOutcome<Value>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                guard outcome.attach(continuation) else { return }
                let work = Task {
                    do { outcome.settle(.success(try await operation())) } catch { outcome.settle(.failure(error)) }
                }
                let watch = DeadlineWatch.shared.watch(until: .now + limit) {
                    if outcome.settle(.failure(StoreError(kind: .unavailable, message: "PostgreSQL did not answer within \(limit)"))) {
                        work.cancel()
                        onTimeout()
                    }
                }
                outcome.onSettled { DeadlineWatch.shared.cancel(watch) }
            }
        } onCancel: {
            outcome.settle(.failure(CancellationError()))
        }
    }
}

/// Resumes one continuation exactly once, with the first result offered.
private final class OnceOutcome<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var early: Result<Value, any Error>?
        var settled = false
        var cleanup: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// Hands over the continuation; `false` when a result came first (it is resumed with it).
    func attach(_ continuation: CheckedContinuation<Value, any Error>) -> Bool {
        let early = state.withLock { state -> Result<Value, any Error>? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        guard let early else { return true }
        continuation.resume(with: early)
        return false
    }

    /// Runs `cleanup` once settled (now, when it already is).
    func onSettled(_ cleanup: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.settled { return true }
            state.cleanup = cleanup
            return false
        }
        if now { cleanup() }
    }

    /// Offers a result; `true` when it was the first.
    @discardableResult
    func settle(_ result: Result<Value, any Error>) -> Bool {
        let (won, continuation, cleanup) = state.withLock { state -> (Bool, CheckedContinuation<Value, any Error>?, (@Sendable () -> Void)?) in
            guard !state.settled else { return (false, nil, nil) }
            state.settled = true
            let continuation = state.continuation
            state.continuation = nil
            if continuation == nil { state.early = result }
            let cleanup = state.cleanup
            state.cleanup = nil
            return (true, continuation, cleanup)
        }
        continuation?.resume(with: result)
        cleanup?()
        return won
    }
}
