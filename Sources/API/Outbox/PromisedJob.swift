import Domain
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

    init(tenant: TenantID, queue: Queue, name: String, data: some Encodable, options: JobOptions) throws {
        guard let jobID = options.jobID else { throw QueueError(.invalidOption, "a promised job needs a fixed id") }
        var options = options
        options.tenantID = tenant.description
        let job = try NewJob(name: name, data: data, options: options)
        try queue.validate(job)
        self.job = job
        self.queue = queue
        self.outbox = OutboxJob(
            tenant: tenant, queue: queue.name, jobID: jobID, name: name, data: job.data, options: options.storedJSON)
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
