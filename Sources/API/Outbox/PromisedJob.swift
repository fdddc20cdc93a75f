import Domain
import Jobs
import Logging
import Queue
import Store

/// A job the API accepts: the outbox row that records the promise (written in the caller's
/// transaction) and the Redis add that normally delivers it at once.
///
/// The job is checked as Redis would check it before anything is written, so no promise is made
/// that the relay could never keep. The id is fixed up front, which makes the add and the relay's
/// later adds of the same row one job.
struct PromisedJob: Sendable {
    let outbox: OutboxJob
    let job: NewJob
    let queue: Queue
    /// The job's options (its kind's policy, its tenant and id), as the answer describes them.
    let options: JobOptions

    init<Job: TenantJob>(_ payload: Job, queue: Queue, jobID: String) throws {
        try queue.checkKind(Job.self)
        let job = try payload.newJob(jobID: jobID)
        try queue.validate(job)
        self.job = job
        self.queue = queue
        self.options = job.options
        self.outbox = OutboxJob(
            tenant: payload.tenantID, queue: queue.name, jobID: jobID, name: Job.name, data: job.data, options: job.options.storedJSON)
    }

    /// Adds the job to Redis after the promise committed. A failure is logged, not answered: the
    /// request was accepted, and the outbox relay adds the job within seconds.
    func deliver(logger: Logger) async {
        await Self.deliver([self], logger: logger)
    }

    /// Adds committed jobs of one queue to Redis in one script call (the batches of
    /// ``NotificationIntake``), logging a failure as ``deliver(logger:)`` does.
    static func deliver(_ jobs: [PromisedJob], logger: Logger) async {
        guard let queue = jobs.first?.queue else { return }
        do {
            _ = try await queue.addBulk(jobs.map(\.job))
        } catch {
            logger.warning(
                "accepted jobs could not be added to Redis now; the outbox relay will add them",
                metadata: ["queue": "\(queue.name)", "jobs": "\(jobs.map(\.outbox.jobID))", "error": "\(error)"])
        }
    }
}
