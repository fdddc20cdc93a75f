import Foundation
import Testing
import Domain
@testable import AgentRuntime

/// The scripted-model example in the README runs as shown.
struct ReadmeExampleTests {
    /// The first ```json block after "A scripted model" in README.md.
    static func example() throws -> String {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.range(of: "A scripted model"))
        let open = try #require(text.range(of: "```json\n", range: section.upperBound..<text.endIndex))
        let close = try #require(text.range(of: "```", range: open.upperBound..<text.endIndex))
        return String(text[open.upperBound..<close.lowerBound])
    }

    struct ListInterventions: AgentTool {
        var name: String { "list_interventions" }
        var description: String { "List interventions." }
        var parameters: ToolSchema { ToolSchema(properties: ["limit": .init(.integer, "At most", minimum: 1, maximum: 50)]) }
        func call(_ arguments: [String: JSONValue], context: ToolContext) async throws -> String { #"{"interventions":[]}"# }
    }

    @Test func scriptedAgentExampleRuns() async throws {
        let provider = try ScriptedModelProvider(json: try Self.example())
        let journal = MemoryJournal()
        let summary = try await AgentLoop(
            agent: AgentDefinition(name: "demo", instructions: "", model: "demo"), provider: provider, tools: [ListInterventions()],
            journal: journal, runID: "readme"
        ).run(input: "What is planned?", deadline: Date().addingTimeInterval(60))
        #expect(summary.outcome == .completed(output: "Two visits are planned."))
        #expect(journal.all.map(\.kind) == [.modelResponse, .toolResult, .modelResponse])
        #expect(summary.completionTokens == 7)
    }
}
