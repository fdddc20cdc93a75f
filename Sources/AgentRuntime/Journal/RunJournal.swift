public import Foundation

/// One durable step of a run: a model response or a tool result, appended before the next step.
public struct JournalStep: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case modelResponse = "model_response"
        case toolResult = "tool_result"
    }

    /// A tool call's outcome as the model sees it.
    public struct ToolResult: Sendable, Equatable, Codable {
        public var callID: String
        public var name: String
        public var content: String
        public var isError: Bool

        public init(callID: String, name: String, content: String, isError: Bool) {
            self.callID = callID
            self.name = name
            self.content = content
            self.isError = isError
        }
    }

    /// 1, 2, 3… without gaps.
    public var sequence: Int
    public var kind: Kind
    public var response: ModelResponse?
    public var toolResult: ToolResult?
    /// When the model call or tool call began and ended.
    public var startedAt: Date?
    public var finishedAt: Date?

    public static func model(_ sequence: Int, _ response: ModelResponse, startedAt: Date? = nil, finishedAt: Date? = nil) -> JournalStep {
        JournalStep(sequence: sequence, kind: .modelResponse, response: response, toolResult: nil, startedAt: startedAt, finishedAt: finishedAt)
    }

    public static func tool(_ sequence: Int, _ result: ToolResult, startedAt: Date? = nil, finishedAt: Date? = nil) -> JournalStep {
        JournalStep(sequence: sequence, kind: .toolResult, response: nil, toolResult: result, startedAt: startedAt, finishedAt: finishedAt)
    }
}

/// Where a run's steps are kept. The loop reads it once when it starts (to replay what is
/// done) and appends each step before starting the next, so a crash loses at most the step in
/// flight.
public protocol RunJournal: Sendable {
    /// Every step recorded so far, in order.
    func steps() async throws -> [JournalStep]
    /// Records a step; it must be durable when this returns.
    func append(_ step: JournalStep) async throws
    /// Whether someone asked to cancel the run.
    func cancellationRequested() async throws -> Bool
    /// Called after each step (for progress bars).
    func progress(step: Int, of maximum: Int) async
    /// Why no model call may start now (the tenant's token budget is used up), or `nil`.
    /// Checked before every model call.
    func spendingRefusal() async throws -> String?
}

extension RunJournal {
    public func spendingRefusal() async throws -> String? { nil }
}
