/// Polls `condition` until it holds or `timeout` passes: tests wait for a state, never for a
/// fixed time. `true` when the condition came to hold.
public func eventually(
    timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(10), _ condition: @Sendable () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return false
}
