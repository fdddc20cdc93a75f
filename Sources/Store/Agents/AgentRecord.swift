public import Domain
public import Foundation
import PostgresNIO

/// An agent as stored in `agent_app.agents`.
public struct AgentRecord: Sendable, Equatable, Codable {
    public var id: UUID
    public var name: String
    public var instructions: String
    /// `openai` (any OpenAI-compatible server) or `scripted`.
    public var provider: String
    public var model: String
    public var tools: [String]
    public var maxSteps: Int
    public var maxTokens: Int
    public var timeoutSeconds: Int

    public init(
        id: UUID, name: String, instructions: String, provider: String, model: String, tools: [String], maxSteps: Int,
        maxTokens: Int, timeoutSeconds: Int
    ) {
        self.id = id
        self.name = name
        self.instructions = instructions
        self.provider = provider
        self.model = model
        self.tools = tools
        self.maxSteps = maxSteps
        self.maxTokens = maxTokens
        self.timeoutSeconds = timeoutSeconds
    }

    static let columns = "id, name, instructions, provider, model, tools, max_steps, max_tokens, timeout_seconds"

    init(row: PostgresRow) throws(StoreError) {
        do {
            let (id, name, instructions, provider, model, tools, steps, tokens, timeout) =
                try row.decode((UUID, String, String, String, String, [String], Int, Int, Int).self)
            self.init(
                id: id, name: name, instructions: instructions, provider: provider, model: model, tools: tools, maxSteps: steps,
                maxTokens: tokens, timeoutSeconds: timeout)
        } catch {
            throw StoreError(error)
        }
    }
}

/// A run as stored in `agent_app.agent_runs`.
public struct AgentRunRecord: Sendable, Equatable, Codable {
    public var id: UUID
    public var agentID: UUID
    public var status: AgentRunStatus
    /// The prompt the run was started with.
    public var input: String
    public var output: String?
    public var error: String?
    public var stepCount: Int
    public var promptTokens: Int
    public var completionTokens: Int
    public var jobID: String?
    public var cancelRequestedAt: Date?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    static let columns = """
        id, agent_id, status, input->>'prompt', output, error, step_count, prompt_tokens, completion_tokens, job_id,
        cancel_requested_at, created_at, started_at, finished_at
        """

    init(row: PostgresRow) throws(StoreError) {
        do {
            let (id, agent, status, input, output, error, steps, prompt, completion, job, cancel, created, started, finished) =
                try row.decode((UUID, UUID, String, String?, String?, String?, Int, Int, Int, String?, Date?, Date, Date?, Date?).self)
            self.id = id
            self.agentID = agent
            self.status = try stored(status, as: AgentRunStatus.self, column: "agent_app.agent_runs.status")
            self.input = input ?? ""
            self.output = output
            self.error = error
            self.stepCount = steps
            self.promptTokens = prompt
            self.completionTokens = completion
            self.jobID = job
            self.cancelRequestedAt = cancel
            self.createdAt = created
            self.startedAt = started
            self.finishedAt = finished
        } catch {
            throw StoreError(error)
        }
    }
}

/// One journal entry of a run, as stored in `agent_app.agent_run_steps`.
public struct AgentRunStepRecord: Sendable, Equatable, Codable {
    public var sequence: Int
    public var kind: String
    /// The step as JSON text.
    public var payload: String
    public var promptTokens: Int
    public var completionTokens: Int
    public var startedAt: Date
    public var finishedAt: Date

    public init(
        sequence: Int, kind: String, payload: String, promptTokens: Int, completionTokens: Int, startedAt: Date = Date(),
        finishedAt: Date = Date()
    ) {
        self.sequence = sequence
        self.kind = kind
        self.payload = payload
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}
