import Foundation
import Synchronization
import Testing
import Domain
@testable import AgentRuntime

/// A journal in memory, with a cancel switch.
final class MemoryJournal: RunJournal {
    let recorded: Mutex<[JournalStep]>
    let cancelled = Mutex(false)

    init(_ steps: [JournalStep] = []) {
        recorded = Mutex(steps)
    }

    var all: [JournalStep] { recorded.withLock { $0 } }
    /// The steps without their timings, to compare two runs.
    var untimed: [JournalStep] {
        all.map { step in
            var step = step
            step.startedAt = nil
            step.finishedAt = nil
            return step
        }
    }
    func steps() async throws -> [JournalStep] { all }
    func append(_ step: JournalStep) async throws { recorded.withLock { $0.append(step) } }
    func cancellationRequested() async throws -> Bool { cancelled.withLock { $0 } }
    func progress(step: Int, of maximum: Int) async {}
}

/// Looks up a city; counts its calls and remembers their effect keys.
final class CityTool: AgentTool {
    let calls = Mutex<[String]>([])
    let onCall: @Sendable () -> Void

    init(onCall: @escaping @Sendable () -> Void = {}) {
        self.onCall = onCall
    }

    var name: String { "lookup_city" }
    var description: String { "Number of properties in a city." }
    var parameters: ToolSchema {
        ToolSchema(
            properties: ["city": .init(.string, "City name", maxLength: 50), "limit": .init(.integer, "At most", minimum: 1, maximum: 10)],
            required: ["city"])
    }

    func call(_ arguments: [String: JSONValue], context: ToolContext) async throws -> String {
        calls.withLock { $0.append(context.effectKey) }
        onCall()
        guard arguments["city"]?.string != "Atlantis" else { throw ToolError("no such city") }
        return #"{"count":3}"#
    }
}

/// Never answers until cancelled.
struct HangingProvider: ModelProvider {
    func complete(_ request: ModelRequest) async throws(ModelProviderError) -> ModelResponse {
        do { try await Task.sleep(for: .seconds(3_600)) } catch { throw ModelProviderError(isRetryable: true, message: "cancelled") }
        throw ModelProviderError(isRetryable: true, message: "unreachable")
    }
}

struct AgentLoopTests {
    static let agent = AgentDefinition(name: "t", instructions: "Be brief.", model: "m", maxSteps: 5, maxTokens: 1_000)
    static let later = Date().addingTimeInterval(600)

    static func toolStep(_ id: String, _ arguments: String, tokens: Int = 10) -> ScriptedModelProvider.Step {
        .init(toolCalls: [ToolCall(id: id, name: "lookup_city", arguments: arguments)], usage: .init(promptTokens: tokens, completionTokens: 1))
    }

    static let script: [ScriptedModelProvider.Step] = [
        toolStep("c1", #"{"city":"Lyon"}"#),
        .init(content: "Lyon has 3.", usage: .init(promptTokens: 20, completionTokens: 4)),
    ]

    @Test func toolCallThenAnswerIsJournaledStepByStep() async throws {
        let journal = MemoryJournal(), tool = CityTool(), provider = ScriptedModelProvider(steps: Self.script)
        let summary = try await AgentLoop(agent: Self.agent, provider: provider, tools: [tool], journal: journal, runID: "r1")
            .run(input: "How many in Lyon?", deadline: Self.later)
        #expect(summary.outcome == .completed(output: "Lyon has 3."))
        #expect(journal.all.map(\.kind) == [.modelResponse, .toolResult, .modelResponse])
        #expect(journal.all.map(\.sequence) == [1, 2, 3])
        #expect(
            journal.all.allSatisfy { step in
                guard let started = step.startedAt, let finished = step.finishedAt else { return false }
                return started <= finished
            })
        #expect(journal.all[1].toolResult?.content == #"{"count":3}"#)
        #expect((summary.promptTokens, summary.completionTokens, summary.modelCalls) == (30, 5, 2))
        #expect(tool.calls.withLock { $0 } == ["r1-2"])
        // The second request carries the tool result and the tool definitions.
        let second = try #require(provider.received.last)
        #expect(second.messages.last == .tool(callID: "c1", content: #"{"count":3}"#))
        #expect(second.tools.map(\.name) == ["lookup_city"])
        #expect(second.tools.first?.parametersSchema.contains(#""additionalProperties":false"#) == true)
    }

    @Test func aResumedRunRepeatsNeitherModelCallsNorToolCalls() async throws {
        let first = MemoryJournal(), tool = CityTool()
        _ = try await AgentLoop(agent: Self.agent, provider: ScriptedModelProvider(steps: Self.script), tools: [tool], journal: first, runID: "r2")
            .run(input: "q", deadline: Self.later)
        // A crash right after step 2 was recorded: resume from the first two steps.
        let resumed = MemoryJournal(Array(first.all.prefix(2))), provider = ScriptedModelProvider(steps: Self.script)
        let summary = try await AgentLoop(agent: Self.agent, provider: provider, tools: [tool], journal: resumed, runID: "r2")
            .run(input: "q", deadline: Self.later)
        #expect(summary.outcome == .completed(output: "Lyon has 3."))
        #expect(provider.received.count == 1)
        #expect(tool.calls.withLock { $0 } == ["r2-2"])
        #expect(resumed.untimed == first.untimed)
    }

    @Test func aToolCallInFlightAtTheCrashRunsAgainWithTheSameEffectKey() async throws {
        let first = MemoryJournal(), tool = CityTool()
        _ = try await AgentLoop(agent: Self.agent, provider: ScriptedModelProvider(steps: Self.script), tools: [tool], journal: first, runID: "r3")
            .run(input: "q", deadline: Self.later)
        let resumed = MemoryJournal(Array(first.all.prefix(1))), provider = ScriptedModelProvider(steps: Self.script)
        _ = try await AgentLoop(agent: Self.agent, provider: provider, tools: [tool], journal: resumed, runID: "r3")
            .run(input: "q", deadline: Self.later)
        #expect(tool.calls.withLock { $0 } == ["r3-2", "r3-2"])
        #expect(provider.received.count == 1)
        #expect(resumed.untimed == first.untimed)
    }

    @Test(arguments: [
        (#"{"town":"Lyon"}"#, "city is required"),
        (#"{"city":"Lyon","limit":0}"#, "limit must be at least 1"),
        (#"{"city":"Lyon","limit":2.5}"#, "limit must be an integer"),
        (#"{"city":42}"#, "city must be a string"),
        ("not json", "arguments must be a JSON object"),
        (#"{"city":"Atlantis"}"#, "no such city"),
    ])
    func badArgumentsGoBackToTheModelAsAnError(arguments: String, message: String) async throws {
        let journal = MemoryJournal(), tool = CityTool()
        let provider = ScriptedModelProvider(steps: [Self.toolStep("c1", arguments), .init(content: "Sorry.")])
        let summary = try await AgentLoop(agent: Self.agent, provider: provider, tools: [tool], journal: journal, runID: "r")
            .run(input: "q", deadline: Self.later)
        #expect(summary.outcome == .completed(output: "Sorry."))
        let result = try #require(journal.all[1].toolResult)
        #expect(result.isError)
        #expect(result.content.contains(message), "\(result.content)")
    }

    @Test func unknownToolsAreReportedToTheModel() async throws {
        let journal = MemoryJournal()
        let provider = ScriptedModelProvider(steps: [
            .init(toolCalls: [ToolCall(id: "x", name: "drop_tables", arguments: "{}")]), .init(content: "ok"),
        ])
        _ = try await AgentLoop(agent: Self.agent, provider: provider, tools: [CityTool()], journal: journal, runID: "r")
            .run(input: "q", deadline: Self.later)
        #expect(journal.all[1].toolResult?.content.contains("no tool named drop_tables") == true)
    }

    @Test func limitsEndTheRun() async throws {
        let looping = (1...20).map { Self.toolStep("c\($0)", #"{"city":"Lyon"}"#) }
        let steps = try await AgentLoop(
            agent: Self.agent, provider: ScriptedModelProvider(steps: looping), tools: [CityTool()], journal: MemoryJournal(), runID: "r"
        )
        .run(input: "q", deadline: Self.later)
        #expect(steps.outcome == .limitReached("the agent reached its limit of 5 steps"))
        #expect(steps.modelCalls == 5)

        var thrifty = Self.agent
        thrifty.maxTokens = 25
        let tokens = try await AgentLoop(
            agent: thrifty, provider: ScriptedModelProvider(steps: looping), tools: [CityTool()], journal: MemoryJournal(), runID: "r"
        )
        .run(input: "q", deadline: Self.later)
        #expect(tokens.outcome == .limitReached("the agent used its budget of 25 tokens"))
        #expect(tokens.modelCalls == 3)

        let late = try await AgentLoop(agent: Self.agent, provider: HangingProvider(), tools: [], journal: MemoryJournal(), runID: "r")
            .run(input: "q", deadline: Date().addingTimeInterval(0.2))
        guard case .limitReached(let reason) = late.outcome else { Issue.record("\(late.outcome)"); return }
        #expect(reason.contains("timed out"))
    }

    @Test func cancellationIsObservedBetweenStepsAndDuringAModelCall() async throws {
        let journal = MemoryJournal()
        let tool = CityTool { journal.cancelled.withLock { $0 = true } }
        let between = try await AgentLoop(
            agent: Self.agent, provider: ScriptedModelProvider(steps: Self.script), tools: [tool], journal: journal, runID: "r"
        )
        .run(input: "q", deadline: Self.later)
        #expect(between.outcome == .cancelled)
        #expect(journal.all.count == 2)

        let waiting = MemoryJournal()
        let start = ContinuousClock.now
        async let summary = AgentLoop(agent: Self.agent, provider: HangingProvider(), tools: [], journal: waiting, runID: "r")
            .run(input: "q", deadline: Self.later)
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancelled.withLock { $0 = true }
        #expect(try await summary.outcome == .cancelled)
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func refusalsFailTheRunAndTransientErrorsAreThrownForARetry() async throws {
        let refused = ScriptedModelProvider(steps: [.init(error: .init(status: 400, message: "model not found"))])
        let summary = try await AgentLoop(agent: Self.agent, provider: refused, tools: [], journal: MemoryJournal(), runID: "r")
            .run(input: "q", deadline: Self.later)
        guard case .failed(let reason) = summary.outcome else { Issue.record("\(summary.outcome)"); return }
        #expect(reason.contains("model not found"))

        let busy = ScriptedModelProvider(steps: [.init(error: .init(status: 503, message: "overloaded"))])
        await #expect(throws: ModelProviderError.self) {
            _ = try await AgentLoop(agent: Self.agent, provider: busy, tools: [], journal: MemoryJournal(), runID: "r")
                .run(input: "q", deadline: Self.later)
        }
    }
}
