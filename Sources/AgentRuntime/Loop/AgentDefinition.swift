import Foundation

/// What an agent is: its instructions, model and limits (stored per tenant by the platform).
public struct AgentDefinition: Sendable, Equatable {
    public var name: String
    public var instructions: String
    public var model: String
    /// At most this many model calls per run.
    public var maxSteps: Int
    /// At most this many tokens (prompt + completion) per run.
    public var maxTokens: Int
    /// A run ends when this long has passed since it first started, even across resumes.
    public var timeout: Duration

    public init(name: String, instructions: String, model: String, maxSteps: Int = 10, maxTokens: Int = 20_000, timeout: Duration = .seconds(300)) {
        self.name = name
        self.instructions = instructions
        self.model = model
        self.maxSteps = maxSteps
        self.maxTokens = maxTokens
        self.timeout = timeout
    }
}

/// How a run ended.
public enum AgentOutcome: Sendable, Equatable {
    /// The model answered without asking for tools: its text is the run's output.
    case completed(output: String)
    /// Cancellation was requested; observed between steps or during a model call.
    case cancelled
    /// A limit (steps, tokens, time) stopped the run.
    case limitReached(String)
    /// The model provider refused the request for good (a 4xx other than 408/409/429).
    case failed(String)
}

/// The run's totals, for `agent_runs`.
public struct AgentRunSummary: Sendable, Equatable {
    public var outcome: AgentOutcome
    public var steps: Int
    public var modelCalls: Int
    public var promptTokens: Int
    public var completionTokens: Int
}
