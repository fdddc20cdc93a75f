import AgentRuntime
import Domain
import Foundation
import Jobs
import Queue

/// Runs a model response's tool calls in parallel as child jobs of the run's job (a flow): the
/// first time it adds one `agent-tools` job per call (ids fixed by the run and the journal
/// sequence) and the run's job waits for them without holding a worker; when they have all
/// finished the run resumes, replays its journal and gets their results from the children's
/// return values. A call whose job failed for good (its policy is `ignore`) comes back as an
/// error result the model reads, as a tool's own refusal would.
struct FlowToolDispatcher: ToolDispatcher {
    let run: JobRun
    let runID: UUID

    func dispatch(_ calls: [DispatchedCall]) async throws -> [JournalStep.ToolResult]? {
        let queue = run.context.queue
        let parent = run.job
        let tools = QueueKeys(prefix: queue.keys.prefix, queue: QueueName.agentTools)
        let values = try await queue.childrenValues(of: parent.id)
        let failed = try await queue.failedChildren(of: parent.id)
        var results: [JournalStep.ToolResult] = []
        var missing: [DispatchedCall] = []
        for item in calls {
            let key = tools.job(AgentToolJob.jobID(run: runID, sequence: item.context.sequence))
            if let value = values[key], let result = try? JSONDecoder().decode(JournalStep.ToolResult.self, from: Data(value.utf8)) {
                results.append(result)
            } else if let reason = failed[key] {
                results.append(
                    JournalStep.ToolResult(
                        callID: item.call.id, name: item.call.name, content: "error: the tool call failed: \(reason)", isError: true))
            } else {
                missing.append(item)
            }
        }
        if missing.isEmpty { return results }
        let children = try missing.map { item in
            FlowJob(
                queue: QueueName.agentTools,
                job: try AgentToolJob(
                    tenantID: run.tenant, runID: runID, sequence: item.context.sequence, callID: item.call.id, tool: item.call.name,
                    arguments: item.call.arguments
                ).newJob(jobID: AgentToolJob.jobID(run: runID, sequence: item.context.sequence)),
                onFailure: .ignore)
        }
        do {
            try await queue.addChildren(children, to: parent, token: run.context.token)
        } catch let error as QueueError where error.code == .wrongState {
            // An earlier attempt added them. Still running: wait for them. Otherwise (the run's
            // records of them are gone — its job was removed and added again) read each call's
            // own job, so the run does not wait for children it no longer has.
            guard try await queue.pendingChildren(of: parent.id).isEmpty else { return nil }
            return try await Self.results(of: calls, known: results, runID: runID, queue: queue)
        }
        return nil
    }

    /// Every call's result from its job: the ones already known, then each job's return value or
    /// failure; a call whose job is gone or unfinished comes back as an error result.
    static func results(
        of calls: [DispatchedCall], known: [JournalStep.ToolResult], runID: UUID, queue: Queue
    ) async throws -> [JournalStep.ToolResult] {
        let tools = try Queue(name: QueueName.agentTools, redis: queue.redis, options: queue.options, logger: queue.logger)
        var results: [JournalStep.ToolResult] = []
        for item in calls {
            if let result = known.first(where: { $0.callID == item.call.id && $0.name == item.call.name }) {
                results.append(result)
                continue
            }
            let job = try await tools.job(AgentToolJob.jobID(run: runID, sequence: item.context.sequence))
            if let value = job?.returnValue, let result = try? JSONDecoder().decode(JournalStep.ToolResult.self, from: Data(value.utf8)) {
                results.append(result)
            } else {
                let reason = job?.failedReason ?? "its job is gone"
                results.append(
                    JournalStep.ToolResult(
                        callID: item.call.id, name: item.call.name, content: "error: the tool call failed: \(reason)", isError: true))
            }
        }
        return results
    }
}
