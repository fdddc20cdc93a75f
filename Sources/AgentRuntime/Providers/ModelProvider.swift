/// Something that answers model requests: an OpenAI-compatible HTTP API, or a script.
public protocol ModelProvider: Sendable {
    func complete(_ request: ModelRequest) async throws(ModelProviderError) -> ModelResponse
}

/// Why a model call failed, and whether trying again may help.
public struct ModelProviderError: Error, CustomStringConvertible, Sendable, Equatable {
    /// 429, 5xx, timeouts and connection failures: retry with backoff. Anything else is final.
    public let isRetryable: Bool
    /// The HTTP status, when there was a response.
    public let status: Int?
    /// The provider's own message when it sent one.
    public let message: String
    /// How long a 429 asked to wait (`Retry-After`), bounded.
    public let retryAfter: Duration?

    public init(isRetryable: Bool, status: Int? = nil, message: String, retryAfter: Duration? = nil) {
        self.isRetryable = isRetryable
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String {
        let prefix = status.map { "model provider answered \($0)" } ?? "model provider call failed"
        return "\(prefix)\(isRetryable ? " (retryable)" : ""): \(message)"
    }

    /// The classification of an HTTP status.
    public static func from(status: Int, message: String, retryAfter: Duration? = nil) -> ModelProviderError {
        ModelProviderError(
            isRetryable: status == 408 || status == 409 || status == 429 || status >= 500, status: status, message: message,
            retryAfter: status == 429 ? retryAfter : nil)
    }
}
