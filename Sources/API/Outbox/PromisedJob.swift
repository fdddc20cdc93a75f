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
        do {
            _ = try await queue.add(job)
        } catch {
            logger.warning(
                "an accepted job could not be added to Redis now; the outbox relay will add it",
                metadata: ["queue": "\(queue.name)", "job": "\(outbox.jobID)", "error": "\(error)"])
        }
    }
}
