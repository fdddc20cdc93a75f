public import Foundation
public import Domain
import PostgresNIO

/// Agents, their runs and run journals, always within one tenant.
extension TenantTransaction {
    public func agents(limit: Int, offset: Int) async throws(StoreError) -> [AgentRecord] {
        let rows = try await query(
            "SELECT \(unescaped: AgentRecord.columns) FROM agent_app.agents ORDER BY name, id LIMIT \(limit) OFFSET \(offset)")
        return try rows.map { row throws(StoreError) in try AgentRecord(row: row) }
    }

    public func agent(_ id: UUID) async throws(StoreError) -> AgentRecord? {
        let rows = try await query("SELECT \(unescaped: AgentRecord.columns) FROM agent_app.agents WHERE id = \(id)")
        return try rows.first.map { row throws(StoreError) in try AgentRecord(row: row) }
    }

    public func insertAgent(_ agent: AgentRecord) async throws(StoreError) {
        try await query(
            """
            INSERT INTO agent_app.agents (id, tenant_id, name, instructions, provider, model, tools, max_steps, max_tokens, timeout_seconds)
            VALUES (\(agent.id), \(tenant.rawValue), \(agent.name), \(agent.instructions), \(agent.provider), \(agent.model),
                    \(agent.tools), \(agent.maxSteps), \(agent.maxTokens), \(agent.timeoutSeconds))
            """)
    }

    /// `false` when it does not exist.
    public func updateAgent(_ agent: AgentRecord) async throws(StoreError) -> Bool {
        try await !query(
            """
            UPDATE agent_app.agents SET name = \(agent.name), instructions = \(agent.instructions), provider = \(agent.provider),
                model = \(agent.model), tools = \(agent.tools), max_steps = \(agent.maxSteps), max_tokens = \(agent.maxTokens),
                timeout_seconds = \(agent.timeoutSeconds), updated_at = now()
            WHERE id = \(agent.id) RETURNING id
            """
        ).isEmpty
    }

    /// `false` when it does not exist (its runs go with it).
    public func deleteAgent(_ id: UUID) async throws(StoreError) -> Bool {
        try await !query("DELETE FROM agent_app.agents WHERE id = \(id) RETURNING id").isEmpty
    }

    public func insertAgentRun(id: UUID, agentID: UUID, prompt: String, createdBy: UUID?) async throws(StoreError) {
        try await query(
            """
            INSERT INTO agent_app.agent_runs (id, tenant_id, agent_id, input, created_by)
            VALUES (\(id), \(tenant.rawValue), \(agentID), jsonb_build_object('prompt', \(prompt)::text), \(createdBy))
            """)
    }

    public func setAgentRunJob(_ id: UUID, jobID: String) async throws(StoreError) {
        try await query("UPDATE agent_app.agent_runs SET job_id = \(jobID) WHERE id = \(id)")
    }

    public func agentRun(_ id: UUID) async throws(StoreError) -> AgentRunRecord? {
        let rows = try await query("SELECT \(unescaped: AgentRunRecord.columns) FROM agent_app.agent_runs WHERE id = \(id)")
        return try rows.first.map { row throws(StoreError) in try AgentRunRecord(row: row) }
    }

    /// Marks the run running (keeping its first start time, which its timeout counts from).
    public func markAgentRunRunning(_ id: UUID) async throws(StoreError) -> Date {
        let rows = try await query(
            """
            UPDATE agent_app.agent_runs SET status = 'running', started_at = COALESCE(started_at, now())
            WHERE id = \(id) RETURNING started_at
            """)
        do { return try rows.first?.decode(Date.self) ?? Date() } catch { throw StoreError(error) }
    }

    /// Records a request to cancel; `false` when the run is already over (or does not exist).
    public func requestAgentRunCancel(_ id: UUID) async throws(StoreError) -> Bool {
        try await !query(
            """
            UPDATE agent_app.agent_runs SET cancel_requested_at = COALESCE(cancel_requested_at, now())
            WHERE id = \(id) AND status IN ('queued', 'running') RETURNING id
            """
        ).isEmpty
    }

    public func agentRunCancelRequested(_ id: UUID) async throws(StoreError) -> Bool {
        let rows = try await query("SELECT cancel_requested_at IS NOT NULL FROM agent_app.agent_runs WHERE id = \(id)")
        do { return try rows.first?.decode(Bool.self) ?? false } catch { throw StoreError(error) }
    }

    /// Ends a run that did not finish its loop (cancelled, or failed for good) with `reason` and the
    /// totals its journal holds.
    public func endAgentRun(_ id: UUID, status: AgentRunStatus, reason: String) async throws(StoreError) {
        let steps = try await agentRunSteps(id)
        try await finishAgentRun(
            id, status: status, output: nil, error: reason, steps: steps.count, promptTokens: steps.reduce(0) { $0 + $1.promptTokens },
            completionTokens: steps.reduce(0) { $0 + $1.completionTokens })
    }

    /// The final status, output and totals of a run.
    public func finishAgentRun(
        _ id: UUID, status: AgentRunStatus, output: String?, error: String?, steps: Int, promptTokens: Int, completionTokens: Int
    ) async throws(StoreError) {
        try await query(
            """
            UPDATE agent_app.agent_runs SET status = \(status.rawValue), output = \(output), error = \(error), step_count = \(steps),
                prompt_tokens = \(promptTokens), completion_tokens = \(completionTokens), finished_at = now()
            WHERE id = \(id)
            """)
    }

    public func agentRunSteps(_ runID: UUID) async throws(StoreError) -> [AgentRunStepRecord] {
        let rows = try await query(
            """
            SELECT seq, kind, payload::text, prompt_tokens, completion_tokens, started_at, finished_at
            FROM agent_app.agent_run_steps WHERE run_id = \(runID) ORDER BY seq
            """)
        do {
            return try rows.map { row in
                let (seq, kind, payload, prompt, completion, started, finished) =
                    try row.decode((Int, String, String, Int, Int, Date, Date).self)
                return AgentRunStepRecord(
                    sequence: seq, kind: kind, payload: payload, promptTokens: prompt, completionTokens: completion,
                    startedAt: started, finishedAt: finished)
            }
        } catch {
            throw StoreError(error)
        }
    }

    /// Appends a journal step and the run's running totals; a step already recorded under this
    /// sequence number is a `uniqueViolation` (two workers on one run).
    public func appendAgentRunStep(_ runID: UUID, _ step: AgentRunStepRecord) async throws(StoreError) {
        try await query(
            """
            INSERT INTO agent_app.agent_run_steps
                (tenant_id, run_id, seq, kind, payload, prompt_tokens, completion_tokens, started_at, finished_at)
            VALUES (\(tenant.rawValue), \(runID), \(step.sequence), \(step.kind), \(step.payload)::jsonb, \(step.promptTokens),
                    \(step.completionTokens), \(step.startedAt), \(step.finishedAt))
            """)
        try await query(
            """
            UPDATE agent_app.agent_runs SET step_count = \(step.sequence), prompt_tokens = prompt_tokens + \(step.promptTokens),
                completion_tokens = completion_tokens + \(step.completionTokens)
            WHERE id = \(runID)
            """)
    }
}
