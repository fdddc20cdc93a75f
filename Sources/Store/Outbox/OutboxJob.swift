public import Domain
public import Foundation

/// A job the platform has promised to run: one row of `public.job_outbox` (migration 0009),
/// written in the same transaction as the rows that made the promise and read back by the relay
/// that makes sure Redis has it. Data and options are the JSON texts that go to Redis as they are.
public struct OutboxJob: Sendable, Equatable {
    public var tenant: TenantID
    public var queue: String
    /// Fixed before the job reaches Redis, so adding it again is a no-op.
    public var jobID: String
    public var name: String
    /// The job's data, JSON text.
    public var data: String
    /// The job's BullMQ options (`opts`), JSON text.
    public var options: String

    public init(tenant: TenantID, queue: String, jobID: String, name: String, data: String, options: String) {
        self.tenant = tenant
        self.queue = queue
        self.jobID = jobID
        self.name = name
        self.data = data
        self.options = options
    }
}

/// A row a relay claimed: the job, and whether it had been checked before (a job Redis lost
/// since, when the relay finds it missing now).
public struct ClaimedOutboxJob: Sendable, Equatable {
    public var job: OutboxJob
    public var rechecked: Bool

    public init(job: OutboxJob, rechecked: Bool) {
        self.job = job
        self.rechecked = rechecked
    }
}

/// A notification the API is about to promise: its outbox job, and the tenant's intervention it
/// is about, which must exist for the job to be recorded.
public struct NotificationPromise: Sendable, Equatable {
    public var job: OutboxJob
    public var interventionID: UUID

    public init(job: OutboxJob, interventionID: UUID) {
        self.job = job
        self.interventionID = interventionID
    }
}
