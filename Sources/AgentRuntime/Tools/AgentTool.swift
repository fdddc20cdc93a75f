public import Domain

/// Something an agent can do: a name and description the model reads, typed parameters checked
/// before each call, and an effect on tenant data.
///
/// Tools must be idempotent per ``ToolContext/effectKey``: a run resumed after a crash may call a
/// tool whose result it had not yet recorded, and that second call must not repeat the effect.
public protocol AgentTool: Sendable {
    var name: String { get }
    var description: String { get }
    var parameters: ToolSchema { get }

    /// Runs with validated arguments; the returned text goes back to the model. A thrown
    /// ``ToolError`` is shown to the model as the result instead of ending the run.
    func call(_ arguments: [String: JSONValue], context: ToolContext) async throws -> String
}

extension AgentTool {
    public var definition: ToolDefinition {
        ToolDefinition(name: name, description: description, parametersSchema: parameters.json.text)
    }
}

/// Where a tool call happens: which run and which journal step, for idempotent effects.
public struct ToolContext: Sendable, Equatable {
    public var runID: String
    /// The journal sequence number the call's result will be recorded under.
    public var sequence: Int
    public var callID: String

    public init(runID: String, sequence: Int, callID: String) {
        self.runID = runID
        self.sequence = sequence
        self.callID = callID
    }

    /// Stable across retries of the same call (the journal fixes both parts), and made of
    /// letters, digits and dashes: key the tool's effect by it.
    public var effectKey: String { "\(runID)-\(sequence)" }
}

/// A tool failure the model should see and may recover from (bad arguments, nothing found).
public struct ToolError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
