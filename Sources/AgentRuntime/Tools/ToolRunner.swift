/// Runs one tool call against a set of tools: unknown tools, invalid arguments and
/// ``ToolError``s become error results the model can read; anything else is an infrastructure
/// failure and is thrown. Results longer than `maxResultLength` are cut.
///
/// ``AgentLoop`` runs its calls through one; so does a worker that runs a dispatched call as a
/// job of its own (``ToolDispatcher``), so a call gives the same result wherever it runs.
public struct ToolRunner: Sendable {
    public let tools: [String: any AgentTool]
    public var maxResultLength: Int

    public init(tools: [any AgentTool], maxResultLength: Int = 16_384) {
        self.tools = Dictionary(tools.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.maxResultLength = maxResultLength
    }

    public func execute(_ call: ToolCall, context: ToolContext) async throws -> JournalStep.ToolResult {
        func result(_ content: String, isError: Bool) -> JournalStep.ToolResult {
            let text = content.count > maxResultLength ? String(content.prefix(maxResultLength)) + "…(truncated)" : content
            return JournalStep.ToolResult(callID: call.id, name: call.name, content: text, isError: isError)
        }
        guard let tool = tools[call.name] else {
            return result("error: there is no tool named \(call.name); available: \(tools.keys.sorted().joined(separator: ", "))", isError: true)
        }
        switch tool.parameters.validate(call.arguments) {
        case .failure(let error):
            return result("error: \(error.message)", isError: true)
        case .success(let arguments):
            do {
                return result(try await tool.call(arguments, context: context), isError: false)
            } catch let error as ToolError {
                return result("error: \(error.message)", isError: true)
            }
        }
    }
}
