public import AgentRuntime
public import Domain
public import Foundation
public import Queue
public import Store
import Metrics

/// A run's journal in `agent_app.agent_run_steps`, read and written under the run's tenant.
public struct PostgresRunJournal: RunJournal {
    let database: Database
    let tenant: TenantID
    let runID: UUID
    /// Where step progress goes (the job's progress, for the SSE stream); `nil` in tests.
    let context: JobContext?
    /// Budgets of tenants without their own.
    let budgets: TokenBudgetDefaults
    /// Bounds the tenant label of `obotcall_tenant_tokens_total`.
    let tenantLabels: TenantMetricLabels

    public init(
        database: Database, tenant: TenantID, runID: UUID, context: JobContext?, budgets: TokenBudgetDefaults = .init(),
        tenantLabels: TenantMetricLabels = TenantMetricLabels()
    ) {
        self.tenantLabels = tenantLabels
        self.database = database
        self.tenant = tenant
        self.runID = runID
        self.context = context
        self.budgets = budgets
    }

    public func steps() async throws -> [JournalStep] {
        let runID = self.runID
        let records = try await database.withTenant(tenant) { tx in try await tx.agentRunSteps(runID) }
        return try records.map { record in
            do {
                return try CanonicalJSON.decode(JournalStep.self, from: record.payload)
            } catch {
                throw UnrecoverableJobError("step \(record.sequence) of run \(runID) cannot be read back: \(error)")
            }
        }
    }

    public func append(_ step: JournalStep) async throws {
        let payload = try CanonicalJSON.text(step)
        let record = AgentRunStepRecord(
            sequence: step.sequence, kind: step.kind.rawValue, payload: payload,
            promptTokens: step.response?.usage.promptTokens ?? 0, completionTokens: step.response?.usage.completionTokens ?? 0,
            startedAt: step.startedAt ?? Date(), finishedAt: step.finishedAt ?? Date())
        let runID = self.runID
        // The tokens are counted in the transaction that journals the response: a replayed run
        // (which does not call the model again) counts nothing twice.
        let tokens = step.kind == .modelResponse ? min(record.promptTokens, 1 << 40) + min(record.completionTokens, 1 << 40) : 0
        try await database.withTenant(tenant) { tx in
            try await tx.appendAgentRunStep(runID, record)
            try await tx.recordTokens(tokens)
        }
        if tokens > 0 {
            Counter(label: "obotcall_tenant_tokens_total", dimensions: [("tenant", tenantLabels.label(for: tenant.description))])
                .increment(by: tokens)
        }
    }

    public func spendingRefusal() async throws -> String? {
        let usage = try await database.withTenant(tenant) { tx in try await tx.tokenUsage() }
        return budgets.refusal(for: usage)
    }

    public func cancellationRequested() async throws -> Bool {
        let runID = self.runID
        return try await database.withTenant(tenant) { tx in try await tx.agentRunCancelRequested(runID) }
    }

    public func progress(step: Int, of maximum: Int) async {
        try? await context?.updateProgress(["step": step, "maxSteps": maximum])
    }
}
