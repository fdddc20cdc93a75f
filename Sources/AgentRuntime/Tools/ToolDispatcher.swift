/// Runs a model response's tool calls somewhere else than the loop — in parallel, as jobs of
/// their own (the worker's flows) — instead of one after another inside the run.
///
/// ``AgentLoop`` hands it the calls of a response that asked for more than one. It answers with
/// their results (in the calls' order) once they all ran, or `nil` after arranging for them to
/// run: the loop then stops with ``AgentRunSuspended`` and is resumed, from its journal, when
/// they are done, asking again for the same calls (same sequences), whose results it now has.
public protocol ToolDispatcher: Sendable {
    func dispatch(_ calls: [DispatchedCall]) async throws -> [JournalStep.ToolResult]?
}

/// A tool call and where its result goes in the journal.
public struct DispatchedCall: Sendable, Equatable {
    public let call: ToolCall
    public let context: ToolContext

    public init(call: ToolCall, context: ToolContext) {
        self.call = call
        self.context = context
    }
}

/// The run stopped to wait for its dispatched tool calls; resume it later from its journal.
public struct AgentRunSuspended: Error, CustomStringConvertible, Sendable {
    public let calls: Int
    public init(calls: Int) { self.calls = calls }
    public var description: String { "waiting for \(calls) tool calls running as jobs" }
}
