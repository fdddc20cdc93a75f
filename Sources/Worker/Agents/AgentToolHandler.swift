import AgentRuntime
public import Domain
import Foundation
public import Jobs
public import Queue
import Store

/// Runs one tool call of an agent run as a job (queue `agent-tools`): a child of the run's job,
/// added when a model response asked for several calls (``FlowToolDispatcher``). The call runs
/// with the agent's enabled tools bound to the job's tenant, through the same ``ToolRunner`` the
/// run's loop uses, so its result (the job's return value) is what the loop would have journaled.
public struct AgentToolHandler: JobHandler {
    /// One tool call: a database query or an enqueue.
    public let defaultTimeout: Duration = .seconds(120)
    /// Where `notify_intervention` enqueues (`nil`: that tool is unavailable).
    let notifications: Queue?

    public init(notifications: Queue?) {
        self.notifications = notifications
    }

    public func run(_ payload: AgentToolJob, in job: JobRun) async throws -> JobOutcome {
        let runID = payload.runID
        let agent = try await job.database.withTenant(job.tenant) { (tx: TenantTransaction) async throws -> AgentRecord? in
            guard let run = try await tx.agentRun(runID) else { return nil }
            return try await tx.agent(run.agentID)
        }
        guard let agent else { throw UnrecoverableJobError("agent run \(runID) does not exist for tenant \(job.tenant)") }
        let runner = ToolRunner(
            tools: TenantTools.make(agent.tools, tenant: job.tenant, database: job.database, notifications: notifications))
        let result = try await runner.execute(
            ToolCall(id: payload.callID, name: payload.tool, arguments: payload.arguments),
            context: ToolContext(runID: runID.lowercasedText, sequence: payload.sequence, callID: payload.callID))
        return .completed(result: String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
    }
}
