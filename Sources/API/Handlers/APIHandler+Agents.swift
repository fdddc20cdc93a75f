import Domain
import Foundation
import Hummingbird
import Jobs
import OpenAPIRuntime
import Queue
import Store

/// `/api/agents` and `/api/agent-runs`: the tenant's AI agents and their asynchronous runs.
extension APIHandler {
    func listAgents(_ input: Operations.ListAgents.Input) async throws -> Operations.ListAgents.Output {
        let tenant = try tenant()
        let (limit, offset) = Self.page(limit: input.query.limit, offset: input.query.offset)
        let agents = try await database.withTenant(tenant) { tx in try await tx.agents(limit: limit, offset: offset) }
        return .ok(.init(body: .json(.init(agents: try agents.map(Components.Schemas.Agent.init)))))
    }

    func createAgent(_ input: Operations.CreateAgent.Input) async throws -> Operations.CreateAgent.Output {
        let tenant = try tenant(role: .admin)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        try checkModelAllowed(body.model)
        let agent = AgentRecord(
            id: UUID(), name: TextRules.trimmed(body.name), instructions: body.instructions ?? "", provider: body.provider.rawValue,
            model: body.model, tools: Self.toolNames(body.tools), maxSteps: body.maxSteps ?? 10, maxTokens: body.maxTokens ?? 20_000,
            timeoutSeconds: body.timeoutSeconds ?? 300)
        try await database.withTenant(tenant) { tx in try await tx.insertAgent(agent) }
        return .created(.init(body: .json(.init(agent: try .init(agent)))))
    }

    func getAgent(_ input: Operations.GetAgent.Input) async throws -> Operations.GetAgent.Output {
        let tenant = try tenant()
        return .ok(.init(body: .json(.init(agent: try .init(try await findAgent(try Self.uuid(input.path.id), tenant: tenant))))))
    }

    func updateAgent(_ input: Operations.UpdateAgent.Input) async throws -> Operations.UpdateAgent.Output {
        let tenant = try tenant(role: .admin)
        let id = try Self.uuid(input.path.id)
        guard case .json(let patch) = input.body else { throw HTTPError(.unsupportedMediaType) }
        var agent = try await findAgent(id, tenant: tenant)
        if let value = patch.name { agent.name = TextRules.trimmed(value) }
        if let value = patch.instructions { agent.instructions = value }
        if let value = patch.provider { agent.provider = value.rawValue }
        if let value = patch.model {
            try checkModelAllowed(value)
            agent.model = value
        }
        if let value = patch.tools { agent.tools = Self.toolNames(value) }
        if let value = patch.maxSteps { agent.maxSteps = value }
        if let value = patch.maxTokens { agent.maxTokens = value }
        if let value = patch.timeoutSeconds { agent.timeoutSeconds = value }
        let changed = agent
        guard try await database.withTenant(tenant, { tx in try await tx.updateAgent(changed) }) else {
            throw HTTPError(.notFound, message: "agent \(id) not found")
        }
        return .ok(.init(body: .json(.init(agent: try .init(changed)))))
    }

    func deleteAgent(_ input: Operations.DeleteAgent.Input) async throws -> Operations.DeleteAgent.Output {
        let tenant = try tenant(role: .admin)
        let id = try Self.uuid(input.path.id)
        guard try await database.withTenant(tenant, { tx in try await tx.deleteAgent(id) }) else {
            throw HTTPError(.notFound, message: "agent \(id) not found")
        }
        return .noContent(.init())
    }

    func startAgentRun(_ input: Operations.StartAgentRun.Input) async throws -> Operations.StartAgentRun.Output {
        let tenant = try tenant(role: .member)
        let identity = try context.requireIdentity()
        let agentID = try Self.uuid(input.path.id)
        guard case .json(let body) = input.body else { throw HTTPError(.unsupportedMediaType) }
        let prompt = TextRules.trimmed(body.prompt)
        let agent = try await findAgent(agentID, tenant: tenant)
        // An agent saved before the allow-list changed cannot spend on a model it no longer allows.
        try checkModelAllowed(agent.model)
        let runID = UUID.random()
        let jobID = "run-\(runID.lowercasedText)"
        let promised = try PromisedJob(AgentRunJob(tenantID: tenant, runID: runID), queue: try queue(.agentRuns), jobID: jobID)
        try await PromisedJob.admit([promised])
        // The run, its job id and the promise commit together: a 202 is never a run without a job.
        let run = try await database.withTenant(tenant) { tx in
            try await tx.insertAgentRun(id: runID, agentID: agentID, prompt: prompt, createdBy: identity.userID)
            try await tx.setAgentRunJob(runID, jobID: jobID)
            try await tx.enqueue(promised.outbox)
            return try await tx.agentRun(runID)
        }
        await promised.deliver(logger: dependencies.logger)
        guard let run else { throw HTTPError(.internalServerError, message: "the run vanished right after it was created") }
        let job = Components.Schemas.Job(enqueued: jobID, queue: .agentRuns, name: AgentRunJob.name, options: promised.options)
        return .accepted(.init(body: .json(.init(run: try .init(run), job: job))))
    }

    func getAgentRun(_ input: Operations.GetAgentRun.Input) async throws -> Operations.GetAgentRun.Output {
        let tenant = try tenant()
        let id = try Self.uuid(input.path.id)
        let (run, steps) = try await database.withTenant(tenant) { tx in (try await tx.agentRun(id), try await tx.agentRunSteps(id)) }
        guard let run else { throw HTTPError(.notFound, message: "agent run \(id) not found") }
        return .ok(.init(body: .json(.init(run: try .init(run), steps: try steps.map(Components.Schemas.AgentRunStep.init)))))
    }

    func cancelAgentRun(_ input: Operations.CancelAgentRun.Input) async throws -> Operations.CancelAgentRun.Output {
        let tenant = try tenant(role: .member)
        let id = try Self.uuid(input.path.id)
        let (accepted, run) = try await database.withTenant(tenant) { tx in
            (try await tx.requestAgentRunCancel(id), try await tx.agentRun(id))
        }
        guard var run else { throw HTTPError(.notFound, message: "agent run \(id) not found") }
        guard accepted else { throw HTTPError(.conflict, message: "agent run \(id) is already \(run.status)") }
        // The queue's cancel, as for any job: a run that has not started leaves the queue and ends
        // here; a running one's handler is cancelled by its worker (which ends the run). The
        // recorded request stays the fallback the run's loop also watches.
        if let jobID = run.jobID, let queue = try? self.queue(.agentRuns), let job = try? await queue.job(jobID),
            case .removed? = try? await queue.cancel(jobID)
        {
            try await recordCancelledBeforeStart(job, queue: queue.name)
            run = try await database.withTenant(tenant) { tx in try await tx.agentRun(id) } ?? run
        }
        return .accepted(.init(body: .json(.init(run: try .init(run)))))
    }

    private func findAgent(_ id: UUID, tenant: TenantID) async throws -> AgentRecord {
        guard let found = try await database.withTenant(tenant, { tx in try await tx.agent(id) }) else {
            throw HTTPError(.notFound, message: "agent \(id) not found")
        }
        return found
    }

    /// 403 for a model outside the deployment's allow-list (`AGENT_MODELS`); any model when unset.
    private func checkModelAllowed(_ model: String) throws {
        guard let allowed = dependencies.options.agentModels, !allowed.contains(model) else { return }
        throw HTTPError(
            .forbidden, message: "model: '\(model)' is not allowed in this deployment (allowed: \(allowed.sorted().joined(separator: ", ")))")
    }

    static func toolNames(_ tools: [Components.Schemas.AgentToolName]?) -> [String] {
        Array(Set((tools ?? []).map(\.rawValue))).sorted()
    }
}

extension Components.Schemas.Agent {
    init(_ record: AgentRecord) throws {
        self.init(
            id: record.id.lowercasedText, name: record.name, instructions: record.instructions,
            provider: try stored(record.provider, as: Components.Schemas.AgentProvider.self, "provider"), model: record.model,
            tools: try record.tools.map { try stored($0, as: Components.Schemas.AgentToolName.self, "tool") },
            maxSteps: record.maxSteps, maxTokens: record.maxTokens, timeoutSeconds: record.timeoutSeconds)
    }
}

extension Components.Schemas.AgentRun {
    init(_ run: AgentRunRecord) throws {
        self.init(
            id: run.id.lowercasedText, agentId: run.agentID.lowercasedText,
            status: try stored(run.status.rawValue, as: StatusPayload.self, "run status"), input: run.input, output: run.output, error: run.error,
            stepCount: run.stepCount, promptTokens: run.promptTokens, completionTokens: run.completionTokens, jobId: run.jobID,
            cancelRequestedAt: run.cancelRequestedAt, createdAt: run.createdAt, startedAt: run.startedAt, finishedAt: run.finishedAt)
    }
}

extension Components.Schemas.AgentRunStep {
    init(_ step: AgentRunStepRecord) throws {
        self.init(
            sequence: step.sequence, kind: try stored(step.kind, as: KindPayload.self, "step kind"),
            payload: OpenAPIValueContainer(jsonText: step.payload) ?? nil, promptTokens: step.promptTokens,
            completionTokens: step.completionTokens, startedAt: step.startedAt, finishedAt: step.finishedAt)
    }
}
