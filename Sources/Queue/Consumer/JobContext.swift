/// What a handler gets: the job, and ways to report on it while it runs.
public struct JobContext: Sendable {
    public let job: Job
    public let queue: Queue
    /// This worker's lock token on the job.
    public let token: String

    /// Records progress (a number or an object, as JSON) and emits a `progress` event.
    public func updateProgress(_ value: some Encodable & Sendable) async throws {
        try await queue.updateProgress(job.id, value)
    }

    /// Appends a line to the job's log.
    public func log(_ line: String) async throws {
        try await queue.addLog(job.id, line, keep: job.options.keepLogs)
    }
}

/// Thrown by a handler when retrying cannot help (a malformed payload, a permanent refusal):
/// the job fails at once, whatever attempts it has left.
public struct UnrecoverableJobError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Thrown by the processor when a handler runs longer than the job's timeout.
public struct JobTimeoutError: Error, CustomStringConvertible, Sendable {
    public let timeout: Duration
    public var description: String { "job timed out after \(timeout)" }
}

/// Thrown by a handler to run the job again later without counting an attempt — for example
/// when a dependency (the database) is briefly unavailable.
public struct DelayJobError: Error, CustomStringConvertible, Sendable {
    public let delay: Duration
    public let reason: String
    public init(delay: Duration, reason: String) {
        self.delay = delay
        self.reason = reason
    }
    public var description: String { "delayed by \(delay): \(reason)" }
}
