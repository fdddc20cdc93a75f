import Synchronization

/// One run of a job's handler as the processor waits for it: the first of the handler's answer,
/// the job's timeout, or a release (the shutdown grace period is over) ends the wait.
///
/// The handler runs in a task of its own so that one which ignores cancellation — a call blocked
/// on a connection whose server went away — cannot hold its slot, its job's lock or the
/// process's shutdown: the processor stops waiting, cancels it, and settles the job without it.
final class HandlerRun: Sendable {
    /// How the wait ended.
    enum Ending: Sendable {
        /// The handler returned a result (JSON text, `nil` for `null`) or threw.
        case returned(Result<String?, any Error>)
        /// The handler ran longer than this.
        case timedOut(Duration)
        /// The shutdown grace period ended first: the job goes back to wait.
        case released
        /// The job was cancelled (`Queue.cancel`): it fails with reason `cancelled`.
        case cancelled
    }

    private enum State {
        case running
        case waiting(CheckedContinuation<Ending, Never>)
        case ended(Ending)
        case collected
    }

    private let state = Mutex(State.running)

    /// Ends the run unless it has ended already; the first ending wins.
    func end(_ ending: Ending) {
        let waiter = state.withLock { state -> CheckedContinuation<Ending, Never>? in
            switch state {
            case .running:
                state = .ended(ending)
                return nil
            case .waiting(let continuation):
                state = .collected
                return continuation
            case .ended, .collected:
                return nil
            }
        }
        waiter?.resume(returning: ending)
    }

    /// Whether an ending has been decided.
    var hasEnded: Bool {
        state.withLock { state in
            if case .running = state { return false }
            if case .waiting = state { return false }
            return true
        }
    }

    /// Suspends until the run ends; call once.
    func ending() async -> Ending {
        await withCheckedContinuation { (continuation: CheckedContinuation<Ending, Never>) in
            let ready = state.withLock { state -> Ending? in
                switch state {
                case .running:
                    state = .waiting(continuation)
                    return nil
                case .ended(let ending):
                    state = .collected
                    return ending
                case .waiting, .collected:
                    // A second wait is a programming error; answer it as a release rather than hang.
                    return .released
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
