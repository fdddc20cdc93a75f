import Synchronization

extension Task where Success: Sendable, Failure == any Error {
    /// The task's value, or `nil` when it has not finished within `limit`: a test then fails
    /// instead of waiting forever on a call that never returns (the task is left running).
    public func value(within limit: Duration) async throws -> Success? {
        let first = FirstAnswer<Result<Success, any Error>?>()
        let outcome = await withCheckedContinuation { continuation in
            first.wait(with: continuation)
            Task<Void, Never> { first.answer(await self.result) }
            Task<Void, Never> {
                try? await Task<Never, Never>.sleep(for: limit)
                first.answer(nil)
            }
        }
        return try outcome?.get()
    }
}

/// Resumes a continuation with the first answer given; later ones are dropped.
final class FirstAnswer<Value: Sendable>: Sendable {
    private let waiting = Mutex<CheckedContinuation<Value, Never>?>(nil)

    func wait(with continuation: CheckedContinuation<Value, Never>) {
        waiting.withLock { $0 = continuation }
    }

    func answer(_ value: Value) {
        waiting.withLock { $0.take() }?.resume(returning: value)
    }
}
