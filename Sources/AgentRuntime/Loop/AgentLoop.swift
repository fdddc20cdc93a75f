public import Foundation

/// The durable agent loop: model call, tool calls, model call… until the model answers.
///
/// Every model response and tool result is appended to the journal before the next step
/// starts. A run started again (after a crash, on another worker) first replays its journal:
/// recorded model calls are not made again and recorded tool results are reused, so only the
/// step that was in flight is redone — and tools key their effects by ``ToolContext/effectKey``,
/// so even that repeats no effect.
public struct AgentLoop: Sendable {
    public let agent: AgentDefinition
    public let provider: any ModelProvider
    public let tools: [String: any AgentTool]
    public let journal: any RunJournal
    public let runID: String
    /// How often a model call in flight checks for cancellation.
    public var cancellationPoll: Duration = .milliseconds(250)
    /// Tool results longer than this are cut (the model's context is not a dump).
    public var maxToolResultLength = 16_384
    /// Where a response's several tool calls run (in parallel, as jobs); nil: here, in turn.
    public var toolDispatcher: (any ToolDispatcher)?

    public init(agent: AgentDefinition, provider: any ModelProvider, tools: [any AgentTool], journal: any RunJournal, runID: String) {
        self.agent = agent
        self.provider = provider
        self.tools = Dictionary(tools.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.journal = journal
        self.runID = runID
    }

    /// Runs (or resumes) the run for `input` until it ends or `deadline` passes. Throws only for
    /// what a retry of the whole job may cure (journal unavailable, retryable provider errors).
    public func run(input: String, deadline: Date) async throws -> AgentRunSummary {
        var state = try ReplayState(agent: agent, input: input, steps: try await journal.steps())
        let definitions = tools.values.map(\.definition).sorted { $0.name < $1.name }
        while true {
            if let dispatcher = toolDispatcher, state.pendingCalls.count > 1 {
                if try await journal.cancellationRequested() { return state.summary(.cancelled) }
                let first = state.sequence + 1
                let calls = state.pendingCalls.enumerated().map { offset, call in
                    DispatchedCall(call: call, context: ToolContext(runID: runID, sequence: first + offset, callID: call.id))
                }
                let started = Date()
                guard let results = try await dispatcher.dispatch(calls) else { throw AgentRunSuspended(calls: calls.count) }
                guard results.count == calls.count else {
                    throw ToolDispatchError("the dispatcher returned \(results.count) results for \(calls.count) calls")
                }
                for result in results {
                    let step = JournalStep.tool(state.sequence + 1, result, startedAt: started, finishedAt: Date())
                    try await journal.append(step)
                    state.apply(step)
                }
                await journal.progress(step: state.sequence, of: agent.maxSteps)
                continue
            }
            if !state.pendingCalls.isEmpty {
                let call = state.pendingCalls[0]
                if try await journal.cancellationRequested() { return state.summary(.cancelled) }
                let sequence = state.sequence + 1
                let started = Date()
                let result = try await execute(call, context: ToolContext(runID: runID, sequence: sequence, callID: call.id))
                let step = JournalStep.tool(sequence, result, startedAt: started, finishedAt: Date())
                try await journal.append(step)
                state.apply(step)
                await journal.progress(step: state.sequence, of: agent.maxSteps)
                continue
            }
            if let final = state.finalOutput { return state.summary(.completed(output: final)) }
            if try await journal.cancellationRequested() { return state.summary(.cancelled) }
            if state.modelCalls >= agent.maxSteps { return state.summary(.limitReached("the agent reached its limit of \(agent.maxSteps) steps")) }
            if state.promptTokens + state.completionTokens >= agent.maxTokens {
                return state.summary(.limitReached("the agent used its budget of \(agent.maxTokens) tokens"))
            }
            guard Date() < deadline else { return state.summary(.limitReached("the run timed out after \(agent.timeout)")) }
            if let refusal = try await journal.spendingRefusal() { return state.summary(.failed(refusal)) }

            let request = ModelRequest(
                model: agent.model, messages: state.messages, tools: definitions,
                maxTokens: max(1, agent.maxTokens - state.promptTokens - state.completionTokens))
            let response: ModelResponse
            let started = Date()
            switch try await callModel(request, deadline: deadline) {
            case .response(let answer): response = answer
            case .cancelled: return state.summary(.cancelled)
            case .timedOut: return state.summary(.limitReached("the run timed out after \(agent.timeout)"))
            case .refused(let message): return state.summary(.failed(message))
            }
            let step = JournalStep.model(state.sequence + 1, response, startedAt: started, finishedAt: Date())
            try await journal.append(step)
            state.apply(step)
            await journal.progress(step: state.sequence, of: agent.maxSteps)
        }
    }

    enum ModelCall: Sendable {
        case response(ModelResponse)
        case cancelled
        case timedOut
        case refused(String)
    }

    /// The model call, raced against cancellation requests and the deadline.
    func callModel(_ request: ModelRequest, deadline: Date) async throws -> ModelCall {
        let provider = self.provider, journal = self.journal, poll = cancellationPoll
        return try await withThrowingTaskGroup(of: ModelCall.self) { group in
            group.addTask {
                do throws(ModelProviderError) {
                    return .response(try await provider.complete(request))
                } catch {
                    // Retryable failures end the attempt; the job's backoff retries it.
                    guard error.isRetryable else { return .refused(error.description) }
                    throw error
                }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: poll)
                    if try await journal.cancellationRequested() { return .cancelled }
                }
            }
            group.addTask {
                let remaining = max(0, deadline.timeIntervalSinceNow)
                try await Task.sleep(for: .milliseconds(Int(remaining * 1000)))
                return .timedOut
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { return .timedOut }
            return first
        }
    }

    /// One tool call, run here (``ToolRunner``).
    func execute(_ call: ToolCall, context: ToolContext) async throws -> JournalStep.ToolResult {
        var runner = ToolRunner(tools: Array(tools.values))
        runner.maxResultLength = maxToolResultLength
        return try await runner.execute(call, context: context)
    }
}

/// A dispatcher broke its contract (a result count that is not the call count).
struct ToolDispatchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The conversation and totals rebuilt from the journal, then kept up to date step by step.
struct ReplayState {
    var messages: [ChatMessage]
    var sequence = 0
    var modelCalls = 0
    var promptTokens = 0
    var completionTokens = 0
    /// Tool calls of the last model response that have no recorded result yet.
    var pendingCalls: [ToolCall] = []
    /// The last model response's text when it asked for no tool: the run is done.
    var finalOutput: String?

    init(agent: AgentDefinition, input: String, steps: [JournalStep]) throws {
        messages = [.system(agent.instructions), .user(input)]
        for step in steps {
            guard step.sequence == sequence + 1 else {
                throw JournalError("the journal skips from step \(sequence) to \(step.sequence)")
            }
            apply(step)
        }
    }

    mutating func apply(_ step: JournalStep) {
        sequence = step.sequence
        switch step.kind {
        case .modelResponse:
            guard let response = step.response else { return }
            messages.append(response.message)
            modelCalls += 1
            promptTokens += response.usage.promptTokens
            completionTokens += response.usage.completionTokens
            pendingCalls = response.message.toolCalls
            finalOutput = response.message.toolCalls.isEmpty ? (response.message.content ?? "") : nil
        case .toolResult:
            guard let result = step.toolResult else { return }
            messages.append(.tool(callID: result.callID, content: result.content))
            pendingCalls.removeAll { $0.id == result.callID }
        }
    }

    func summary(_ outcome: AgentOutcome) -> AgentRunSummary {
        AgentRunSummary(
            outcome: outcome, steps: sequence, modelCalls: modelCalls, promptTokens: promptTokens, completionTokens: completionTokens)
    }
}

/// A journal that cannot be replayed.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
