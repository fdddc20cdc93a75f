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

        public init(promptTokens: Int, completionTokens: Int) {
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
        }
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
