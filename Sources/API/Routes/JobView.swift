public import Domain
public import Foundation
public import Queue

/// A job as the API shows it to its tenant.
public struct JobView: Codable, Sendable, Equatable {
    public let id: String
    public let queue: String
    public let name: String
    public let state: String
    public let progress: JSONValue?
    public let attemptsMade: Int
    public let returnValue: JSONValue?
    public let failedReason: String?
    public let createdAt: Date
    public let processedAt: Date?
    public let finishedAt: Date?

    /// A job just added with `options`, as of the moment it was added (no read back from Redis).
    public init(enqueued id: String, queue: String, name: String, options: JobOptions, at date: Date = Date()) {
        self.id = id
        self.queue = queue
        self.name = name
        if let delay = options.delay, delay > .zero {
            self.state = JobState.delayed.rawValue
        } else if let priority = options.priority, priority > 0 {
            self.state = JobState.prioritized.rawValue
        } else {
            self.state = JobState.waiting.rawValue
        }
        self.progress = nil
        self.attemptsMade = 0
        self.returnValue = nil
        self.failedReason = nil
        self.createdAt = date
        self.processedAt = nil
        self.finishedAt = nil
    }

    public init(_ job: Job, state: JobState) {
        self.id = job.id
        self.queue = job.queue
        self.name = job.name
        self.state = state.rawValue
        self.progress = job.progress.flatMap { JSONValue(text: $0) }
        self.attemptsMade = job.attemptsMade
        self.returnValue = job.returnValue.flatMap { JSONValue(text: $0) }
        self.failedReason = job.failedReason
        self.createdAt = Date(timeIntervalSince1970: Double(job.timestamp) / 1000)
        self.processedAt = job.processedOn.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        self.finishedAt = job.finishedOn.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }
}
