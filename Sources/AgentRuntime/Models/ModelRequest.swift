/// What is asked of a model in one step of a run.
public struct ModelRequest: Sendable, Equatable {
    public var model: String
    public var messages: [ChatMessage]
    public var tools: [ToolDefinition]
    /// Upper bound of tokens the model may produce in this step.
    public var maxTokens: Int?

    public init(model: String, messages: [ChatMessage], tools: [ToolDefinition] = [], maxTokens: Int? = nil) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.maxTokens = maxTokens
    }
}

/// A model's answer: an assistant message (text and/or tool calls) and the tokens it cost.
public struct ModelResponse: Sendable, Equatable, Codable {
    public struct Usage: Sendable, Equatable, Codable {
        public var promptTokens: Int
        public var completionTokens: Int

        /// A provider's (or a journal's) counts, each kept within 0…2^40: totals over a run's
        /// steps are sums of these, and a hostile or broken provider must not make them overflow.
        public init(promptTokens: Int, completionTokens: Int) {
            self.promptTokens = min(max(0, promptTokens), Self.maximum)
            self.completionTokens = min(max(0, completionTokens), Self.maximum)
        }

        public static let maximum = 1 << 40

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                promptTokens: try container.decode(Int.self, forKey: .promptTokens),
                completionTokens: try container.decode(Int.self, forKey: .completionTokens))
        }

        enum CodingKeys: String, CodingKey { case promptTokens, completionTokens }
    }

    public var message: ChatMessage
    public var usage: Usage
    /// `stop`, `tool_calls`, `length`, … as the provider reports it.
    public var finishReason: String?

    public init(message: ChatMessage, usage: Usage, finishReason: String? = nil) {
        self.message = message
        self.usage = usage
        self.finishReason = finishReason
    }
}
