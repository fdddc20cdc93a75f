import Crypto
public import Domain
import Foundation
public import Jobs
import Logging
public import Queue
import Store

/// Runs a schedule's trigger jobs (one handler per kind, as a kind's queue has its own trigger):
/// reads the schedule under the job's tenant and starts the run it describes — a new import of
/// the stored source, a new agent run, or the intervention's notification — as that kind's own
/// job, promised in `public.job_outbox` in the same transaction as the run's rows and then added
/// to Redis. The run gets the same ids however often the trigger is retried (they derive from the
/// trigger job's id), so a retried trigger starts one run.
///
/// A trigger whose schedule is gone (deleted, or its import, agent or intervention deleted with
/// it) removes its scheduler from Redis and completes without a run.
public struct ScheduleRunHandler<Marker: ScheduleKindMarker>: JobHandler {
    public typealias Payload = ScheduleTrigger<Marker>

    public init() {}

    public var defaultTimeout: Duration { .seconds(60) }

    public func run(_ payload: Payload, in run: JobRun) async throws -> JobOutcome {
        let runID = Self.runID(schedule: payload.scheduleID, trigger: run.job.id)
        let tenant = run.tenant
        let started: NewJob? = try await run.database.withTenant(tenant) { tx in
            guard let schedule = try await tx.schedule(payload.scheduleID), schedule.kind == Payload.kind else { return nil }
            let job: NewJob
            switch schedule.definition.action {
            case .propertyImport(let source):
                let jobID = "import-\(runID.lowercasedText)"
                guard try await tx.copyPropertyImport(from: source, to: runID, jobID: jobID, createdBy: schedule.createdBy) else {
                    return nil
                }
                job = try PropertyImportJob(tenantID: tenant, importID: runID).newJob(jobID: jobID)
            case .agentRun(let agentID, let prompt):
                let jobID = "run-\(runID.lowercasedText)"
                if try await tx.agentRun(runID) == nil {
                    try await tx.insertAgentRun(id: runID, agentID: agentID, prompt: prompt, createdBy: schedule.createdBy)
                    try await tx.setAgentRunJob(runID, jobID: jobID)
                }
                job = try AgentRunJob(tenantID: tenant, runID: runID).newJob(jobID: jobID)
            case .notification(let interventionID, let event, let channels):
                let payload = NotificationJob(tenantID: tenant, interventionID: interventionID, event: event, channels: channels)
                job = try payload.newJob(jobID: "notify-\(runID.lowercasedText)")
            }
            try await tx.enqueue(
                OutboxJob(
                    tenant: tenant, queue: Payload.queue, jobID: job.options.jobID ?? "", name: job.name, data: job.data,
                    options: job.options.storedJSON))
            return job
        }
        guard let started else {
            // A schedule is written to Redis before PostgreSQL: a first run taken within moments
            // of its creation may not see the row yet. Only an older trigger means it is gone.
            let age = Date().timeIntervalSince1970 * 1_000 - Double(run.job.timestamp)
            if age < Self.rowGrace {
                throw DelayJobError(delay: .seconds(5), reason: "schedule \(payload.scheduleID) is not visible yet")
            }
            try await run.context.queue.removeSchedule(payload.scheduleID)
            return .completed(result: #"{"started":null,"reason":"the schedule no longer exists"}"#)
        }
        // The promise is committed; an add that fails here is retried with the trigger, and the
        // API's outbox relay adds the job in any case.
        try await run.context.queue.add(started)
        let jobID = started.options.jobID ?? ""
        return .completed(result: #"{"started":{"queue":"\#(Payload.queue)","jobId":"\#(jobID)","name":"\#(started.name)"}}"#)
    }

    /// How long after a trigger was created a missing schedule row may still be on its way (ms).
    static var rowGrace: Double { 30_000 }

    /// The id of the run a trigger starts: a name-based UUID (version 8, from SHA-256) of the
    /// schedule and the trigger job, the same on every attempt of that trigger.
    static func runID(schedule: UUID, trigger jobID: String) -> UUID {
        UUID(version: 8, bytes: Array(SHA256.hash(data: Array("\(schedule.lowercasedText)/\(jobID)".utf8))))
    }
}
