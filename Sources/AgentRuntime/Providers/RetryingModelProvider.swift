/// Retries a provider's retryable failures (429, 5xx, timeouts) with exponential backoff.
public struct RetryingModelProvider: ModelProvider {
    let base: any ModelProvider
    let attempts: Int
    let initialDelay: Duration
    let maximumDelay: Duration

    public init(_ base: any ModelProvider, attempts: Int = 4, initialDelay: Duration = .milliseconds(500), maximumDelay: Duration = .seconds(20)) {
        self.base = base
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    public func complete(_ request: ModelRequest) async throws(ModelProviderError) -> ModelResponse {
        var delay = initialDelay
        var attempt = 1
        while true {
            do {
                return try await base.complete(request)
            } catch let error where error.isRetryable && attempt < attempts {
                attempt += 1
                do { try await Task.sleep(for: delay) } catch {
                    throw ModelProviderError(isRetryable: false, message: "cancelled while waiting to retry")
                }
                delay = min(delay * 2, maximumDelay)
            }
        }
    }
}
