import Foundation
import Synchronization

/// Replays a fixed list of responses, one per call: for tests, and for trying the platform offline.
///
/// The script is JSON: `[{"content": "…"} | {"toolCalls": [{"id","name","arguments"}]}, …]`, each
/// entry optionally with `"usage": {"promptTokens", "completionTokens"}` or `"error": {"status", "message",
/// "retryAfterMilliseconds"}`
/// to fail that call. A call beyond the end of the script fails (not retryable).
public final class ScriptedModelProvider: ModelProvider {
    public struct Step: Codable, Sendable, Equatable {
        public var content: String?
        public var toolCalls: [ToolCall]?
        public var usage: ModelResponse.Usage?
        public var error: ScriptedError?
        /// Answer only after this long, like a slow model (demos, crash tests).
        public var delayMilliseconds: Int?

        public struct ScriptedError: Codable, Sendable, Equatable {
            public var status: Int
            public var message: String
            /// A 429's `Retry-After`, in milliseconds.
            public var retryAfterMilliseconds: Int?

            public init(status: Int, message: String, retryAfterMilliseconds: Int? = nil) {
                self.status = status
                self.message = message
                self.retryAfterMilliseconds = retryAfterMilliseconds
            }
        }

        public init(content: String? = nil, toolCalls: [ToolCall]? = nil, usage: ModelResponse.Usage? = nil, error: ScriptedError? = nil) {
            self.content = content
            self.toolCalls = toolCalls
            self.usage = usage
            self.error = error
        }
    }

    private let steps: [Step]
    private let errorsServed = Mutex(0)
    private let requests = Mutex<[ModelRequest]>([])

    public init(steps: [Step]) {
        self.steps = steps
    }

    /// Reads a script; a malformed one is refused with the reason.
    public convenience init(json: String) throws(ModelProviderError) {
        do {
            self.init(steps: try JSONDecoder().decode([Step].self, from: Data(json.utf8)))
        } catch {
            throw ModelProviderError(isRetryable: false, message: "the model script is not valid: \(error)")
        }
    }

    /// The requests received so far, in order.
    public var received: [ModelRequest] { requests.withLock { $0 } }

    public func complete(_ request: ModelRequest) async throws(ModelProviderError) -> ModelResponse {
        requests.withLock { $0.append(request) }
        // The step is chosen by how many answers the conversation already holds, not by how
        // many calls this instance saw: a run resumed elsewhere replays its journal and asks for
        // the next step, exactly as the first worker would have.
        // Error steps count by how many this instance served, so a scripted failure followed
        // by a retry moves on to the next step.
        let answered = request.messages.filter { $0.role == .assistant }.count
        let index = errorsServed.withLock { $0 } + answered
        guard index < steps.count else {
            throw ModelProviderError(isRetryable: false, message: "the model script has no step \(index + 1) (it has \(steps.count))")
        }
        let step = steps[index]
        if let delay = step.delayMilliseconds, delay > 0 {
            do {
                try await Task.sleep(for: .milliseconds(delay))
            } catch {
                throw ModelProviderError(isRetryable: true, message: "the model call was cancelled")
            }
        }
        if let error = step.error {
            errorsServed.withLock { $0 += 1 }
            let retryAfter = error.retryAfterMilliseconds.map { Duration.milliseconds(min(max($0, 0), 3_600_000)) }
            throw ModelProviderError.from(status: error.status, message: error.message, retryAfter: retryAfter)
        }
        let message = ChatMessage(role: .assistant, content: step.content, toolCalls: step.toolCalls ?? [])
        return ModelResponse(
            message: message, usage: step.usage ?? .init(promptTokens: 0, completionTokens: 0),
            finishReason: message.toolCalls.isEmpty ? "stop" : "tool_calls")
    }
}
