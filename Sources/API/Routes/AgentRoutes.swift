import Domain
import Foundation
public import Hummingbird
public import Queue
public import Store

/// `/api/agents` and `/api/agent-runs`: the tenant's AI agents and their asynchronous runs.
public struct AgentRoutes: Sendable {
    let database: Database
    let runs: Queue

    public init(database: Database, runs: Queue) {
        self.database = database
        self.runs = runs
    }

    /// Create and PATCH body; on PATCH only the fields present change.
    struct Input: Decodable {
        var name: String?
        var instructions: String?
        var provider: String?
        var model: String?
        var tools: [String]?
        var maxSteps: Int?
        var maxTokens: Int?
        var timeoutSeconds: Int?
    }

    struct RunInput: Decodable { var prompt: String }

    struct StepView: Encodable {
        let sequence: Int
        let kind: String
        let payload: JSONValue
        let promptTokens: Int
        let completionTokens: Int
        let startedAt: Date
        let finishedAt: Date
    }

    struct One: ResponseEncodable { let agent: AgentRecord }
    struct Many: ResponseEncodable { let agents: [AgentRecord] }
    struct Started: ResponseEncodable {
        let run: AgentRunRecord
        let job: JobView
    }
    struct RunDetail: ResponseEncodable {
        let run: AgentRunRecord
        let steps: [StepView]
    }
    struct RunOnly: ResponseEncodable { let run: AgentRunRecord }

    public func register<Group: RouterMethods<APIRequestContext>>(on routes: RouteRegistrar<Group>) {
        routes.get("/agents", "List the tenant's agents (limit, offset)", use: list)
        routes.post("/agents", "Create an agent", status: 201, use: create)
        routes.get("/agents/:id", "Read an agent", use: read)
        routes.patch("/agents/:id", "Change an agent", use: update)
        routes.delete("/agents/:id", "Delete an agent and its runs", use: delete)
        routes.post("/agents/:id/runs", "Start a run of an agent (202: run and job)", status: 202, use: start)
        routes.get("/agent-runs/:id", "A run with its journal of steps", use: readRun)
        routes.post("/agent-runs/:id/cancel", "Ask a run to stop (observed between steps and during model calls)", status: 202, use: cancel)
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> Many {
        let tenant = try context.requireTenant()
        let (limit, offset) = try request.pagination()
        return Many(agents: try await database.withTenant(tenant) { tx in try await tx.agents(limit: limit, offset: offset) })
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<One> {
        let tenant = try context.requireTenant(role: .admin)
        let input = try await request.decodeInput(Input.self, context: context)
        let agent = try Self.validate(input, over: nil, id: UUID())
        try await database.withTenant(tenant) { tx in try await tx.insertAgent(agent) }
        return EditedResponse(status: .created, response: One(agent: agent))
    }

    @Sendable func read(_ request: Request, context: APIRequestContext) async throws -> One {
        let tenant = try context.requireTenant()
        return One(agent: try await find(try context.parameters.require("id", as: UUID.self), tenant: tenant))
    }

    @Sendable func update(_ request: Request, context: APIRequestContext) async throws -> One {
        let tenant = try context.requireTenant(role: .admin)
        let id = try context.parameters.require("id", as: UUID.self)
        let input = try await request.decodeInput(Input.self, context: context)
        let agent = try Self.validate(input, over: try await find(id, tenant: tenant), id: id)
        guard try await database.withTenant(tenant, { tx in try await tx.updateAgent(agent) }) else {
            throw HTTPError(.notFound, message: "agent \(id) not found")
        }
        return One(agent: agent)
    }

    @Sendable func delete(_ request: Request, context: APIRequestContext) async throws -> HTTPResponse.Status {
        let tenant = try context.requireTenant(role: .admin)
        let id = try context.parameters.require("id", as: UUID.self)
        guard try await database.withTenant(tenant, { tx in try await tx.deleteAgent(id) }) else {
            throw HTTPError(.notFound, message: "agent \(id) not found")
        }
        return .noContent
    }

    @Sendable func start(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<Started> {
        let tenant = try context.requireTenant(role: .member)
        let identity = try context.requireIdentity()
        let agentID = try context.parameters.require("id", as: UUID.self)
        let input = try await request.decodeInput(RunInput.self, context: context)
        let prompt = input.prompt.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...20_000).contains(prompt.count) else { throw invalid("prompt", "must be 1 to 20000 characters") }
        _ = try await find(agentID, tenant: tenant)
        let runID = UUID()
        try await database.withTenant(tenant) { tx in
            try await tx.insertAgentRun(id: runID, agentID: agentID, prompt: prompt, createdBy: identity.userID)
        }
        let jobID = "run-\(runID.uuidString.lowercased())"
        let options = JobOptions(
            jobID: jobID, attempts: 3, backoff: .exponential(.seconds(10), jitter: 0.2),
            removeOnComplete: .age(seconds: 7 * 86_400, count: 10_000, limit: nil), tenantID: tenant.description)
        _ = try await runs.add(AgentRunJob.name, data: AgentRunJob(tenantID: tenant, runID: runID), options: options)
        let run = try await database.withTenant(tenant) { tx in
            try await tx.setAgentRunJob(runID, jobID: jobID)
            return try await tx.agentRun(runID)
        }
        guard let run else { throw HTTPError(.internalServerError, message: "the run vanished right after it was created") }
        let view = JobView(enqueued: jobID, queue: runs.name, name: AgentRunJob.name, options: options)
        return EditedResponse(status: .accepted, response: Started(run: run, job: view))
    }

    @Sendable func readRun(_ request: Request, context: APIRequestContext) async throws -> RunDetail {
        let tenant = try context.requireTenant()
        let id = try context.parameters.require("id", as: UUID.self)
        let (run, steps) = try await database.withTenant(tenant) { tx in (try await tx.agentRun(id), try await tx.agentRunSteps(id)) }
        guard let run else { throw HTTPError(.notFound, message: "agent run \(id) not found") }
        let views = steps.map { step in
            StepView(
                sequence: step.sequence, kind: step.kind, payload: JSONValue(text: step.payload) ?? .null,
                promptTokens: step.promptTokens, completionTokens: step.completionTokens, startedAt: step.startedAt,
                finishedAt: step.finishedAt)
        }
        return RunDetail(run: run, steps: views)
    }

    @Sendable func cancel(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<RunOnly> {
        let tenant = try context.requireTenant(role: .member)
        let id = try context.parameters.require("id", as: UUID.self)
        let (accepted, run) = try await database.withTenant(tenant) { tx in
            (try await tx.requestAgentRunCancel(id), try await tx.agentRun(id))
        }
        guard let run else { throw HTTPError(.notFound, message: "agent run \(id) not found") }
        guard accepted else { throw HTTPError(.conflict, message: "agent run \(id) is already \(run.status)") }
        return EditedResponse(status: .accepted, response: RunOnly(run: run))
    }

    private func find(_ id: UUID, tenant: TenantID) async throws -> AgentRecord {
        guard let found = try await database.withTenant(tenant, { tx in try await tx.agent(id) }) else {
            throw HTTPError(.notFound, message: "agent \(id) not found")
        }
        return found
    }

    /// The input laid over `current` (create: over defaults), checked field by field.
    static func validate(_ input: Input, over current: AgentRecord?, id: UUID) throws -> AgentRecord {
        guard let name = (input.name ?? current?.name)?.trimmingCharacters(in: .whitespacesAndNewlines) else { throw invalid("name", "is required") }
        guard (1...200).contains(name.count) else { throw invalid("name", "must be 1 to 200 characters") }
        let instructions = input.instructions ?? current?.instructions ?? ""
        guard instructions.count <= 20_000 else { throw invalid("instructions", "must be at most 20000 characters") }
        guard let provider = input.provider ?? current?.provider else { throw invalid("provider", "is required") }
        guard AgentToolName.providers.contains(provider) else {
            throw invalid("provider", "must be one of \(AgentToolName.providers.joined(separator: ", "))")
        }
        guard let model = input.model ?? current?.model else { throw invalid("model", "is required") }
        guard (1...200).contains(model.count) else { throw invalid("model", "must be 1 to 200 characters") }
        let tools = input.tools ?? current?.tools ?? []
        for tool in tools where !AgentToolName.all.contains(tool) {
            throw invalid("tools", "'\(tool)' is not a tool; available: \(AgentToolName.all.joined(separator: ", "))")
        }
        let maxSteps = input.maxSteps ?? current?.maxSteps ?? 10
        guard (1...200).contains(maxSteps) else { throw invalid("maxSteps", "must be between 1 and 200") }
        let maxTokens = input.maxTokens ?? current?.maxTokens ?? 20_000
        guard (1...10_000_000).contains(maxTokens) else { throw invalid("maxTokens", "must be between 1 and 10000000") }
        let timeout = input.timeoutSeconds ?? current?.timeoutSeconds ?? 300
        guard (1...86_400).contains(timeout) else { throw invalid("timeoutSeconds", "must be between 1 and 86400") }
        return AgentRecord(
            id: id, name: name, instructions: instructions, provider: provider, model: model, tools: Array(Set(tools)).sorted(),
            maxSteps: maxSteps, maxTokens: maxTokens, timeoutSeconds: timeout)
    }
}
