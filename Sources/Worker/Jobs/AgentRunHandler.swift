import AgentRuntime
public import Domain
import Foundation
public import Jobs
public import Queue
public import Store

/// Runs an agent (queue `agent-runs`) with ``AgentRuntime``'s durable loop, its journal in
/// PostgreSQL and the built-in tools bound to the job's tenant.
///
/// A retried job (crash, outage, a provider that kept failing) resumes the run from its
/// journal. The run's status, output and token totals land on `agent_app.agent_runs` in the
/// same transaction as the job's result.
public struct AgentRunHandler: JobHandler {
    /// Enough for a run of up to its step limit of model and tool calls.
    public let defaultTimeout: Duration = .seconds(1800)
    /// Holds a provider's 429 may cause (runs that do not count as attempts) before a 429 fails
    /// the attempt like any retryable error.
    public static let maximumPostponements = 20
    let providers: AgentProviders
    /// Where `notify_intervention` enqueues (`nil`: that tool is unavailable).
    let notifications: Queue?
    /// Token budgets of tenants without their own (checked before every model call).
    let budgets: TokenBudgetDefaults
    /// Whether a response's several tool calls run in parallel as `agent-tools` jobs (children of
    /// the run's job, which waits for them without holding a worker); otherwise in turn, here.
    /// Some worker must serve `agent-tools` when this is on.
    let parallelTools: Bool

    /// Bounds the tenant label of `obotcall_tenant_tokens_total`.
    let tenantLabels: TenantMetricLabels

    public init(
        providers: AgentProviders, notifications: Queue?, budgets: TokenBudgetDefaults = .init(), parallelTools: Bool = false,
        tenantLabels: TenantMetricLabels = TenantMetricLabels()
    ) {
        self.tenantLabels = tenantLabels
        self.providers = providers
        self.notifications = notifications
        self.budgets = budgets
        self.parallelTools = parallelTools
    }

    /// The processor cancelled the run's attempt (`Queue.cancel`, which the cancel route uses) or
    /// it ran out of time with no attempt left: the run ends with that status, its totals from its
    /// journal, instead of staying "running".
    public func abandoned(_ payload: AgentRunJob, in job: JobRun, because error: any Error) -> TenantWrites? {
        let runID = payload.runID
        let status: AgentRunStatus
        let reason: String
        if error is JobCancelledError {
            (status, reason) = (.cancelled, "cancelled on request")
        } else if !job.job.willRetry(afterFailureUnrecoverable: false) {
            (status, reason) = (.failed, "\(error)")
        } else {
            return nil
        }
        return Self.finish(runID, status: status, reason: reason)
    }

    /// Ends a run that did not finish its loop, with the totals its journal holds.
    static func finish(_ runID: UUID, status: AgentRunStatus, reason: String) -> TenantWrites {
        { tx in try await tx.endAgentRun(runID, status: status, reason: reason) }
    }

    public func run(_ payload: AgentRunJob, in job: JobRun) async throws -> JobOutcome {
        let runID = payload.runID
        let found = try await job.database.withTenant(job.tenant) { (tx: TenantTransaction) async throws -> (AgentRunRecord, AgentRecord)? in
            guard let run = try await tx.agentRun(runID), let agent = try await tx.agent(run.agentID) else { return nil }
            return (run, agent)
        }
        guard let (run, agent) = found else {
            throw UnrecoverableJobError("agent run \(runID) does not exist for tenant \(job.tenant)")
        }
        if run.status.isFinished {
            return .completed(result: Self.result(status: run.status, steps: run.stepCount))
        }
        let startedAt = try await job.database.withTenant(job.tenant) { tx in try await tx.markAgentRunRunning(runID) }
        let definition = AgentDefinition(
            name: agent.name, instructions: agent.instructions, model: agent.model, maxSteps: agent.maxSteps,
            maxTokens: agent.maxTokens, timeout: .seconds(agent.timeoutSeconds))
        let summary: AgentRunSummary
        do {
            var loop = AgentLoop(
                agent: definition, provider: try providers.provider(for: agent),
                tools: TenantTools.make(agent.tools, tenant: job.tenant, database: job.database, notifications: notifications),
                journal: PostgresRunJournal(
                    database: job.database, tenant: job.tenant, runID: runID, context: job.context, budgets: budgets,
                    tenantLabels: tenantLabels),
                runID: runID.lowercasedText)
            // A run whose calls already run as jobs goes on reading them, whatever this worker serves.
            let hasChildren = parallelTools ? false : try await job.context.queue.hasChildren(job.job.id)
            if parallelTools || hasChildren {
                loop.toolDispatcher = FlowToolDispatcher(run: job, runID: runID)
            }
            summary = try await loop.run(input: run.input, deadline: startedAt.addingTimeInterval(TimeInterval(agent.timeoutSeconds)))
        } catch is AgentRunSuspended {
            // The run's tool calls run as child jobs; the run resumes from its journal after them.
            throw WaitForChildren()
        } catch let error as ModelProviderError
            where error.status == 429 && job.job.attemptsStarted - job.job.attemptsMade <= Self.maximumPostponements
        {
            // The provider is shared by every tenant's runs: hold the whole queue as it asked
            // (30 s without a Retry-After), and resume this run from its journal afterwards.
            throw RateLimitedError(retryAfter: error.retryAfter ?? .seconds(30), reason: error.description)
        } catch {
            // On the job's last attempt (or an error no attempt can fix) the run ends failed.
            let unrecoverable = error is UnrecoverableJobError || error is JournalError
            let final = !job.job.willRetry(afterFailureUnrecoverable: unrecoverable)
            let reason = "\(error)"
            guard final else { return .failed(reason: reason, retryable: !unrecoverable) }
            return .failed(reason: reason, retryable: !unrecoverable, writes: Self.finish(runID, status: .failed, reason: reason))
        }

        let (status, output, reason): (AgentRunStatus, String?, String?)
        switch summary.outcome {
        case .completed(let text): (status, output, reason) = (.completed, text, nil)
        case .cancelled: (status, output, reason) = (.cancelled, nil, "cancelled on request")
        case .limitReached(let why): (status, output, reason) = (.failed, nil, why)
        case .failed(let why): (status, output, reason) = (.failed, nil, why)
        }
        return .completed(result: Self.result(status: status, steps: summary.steps)) { tx in
            try await tx.finishAgentRun(
                runID, status: status, output: output, error: reason, steps: summary.steps,
                promptTokens: summary.promptTokens, completionTokens: summary.completionTokens)
        }
    }

    static func result(status: AgentRunStatus, steps: Int) -> String {
        #"{"status":"\#(status.rawValue)","steps":\#(steps)}"#
    }
}
