import Foundation
public import Redis

/// A job to add: what `addBulk` takes.
public struct NewJob: Sendable {
    public var name: String
    /// The payload, JSON text.
    public var data: String
    public var options: JobOptions
    /// Set when the data came from `JSONEncoder`, so it need not be parsed again to be checked.
    let isEncodedJSON: Bool

    public init(name: String, json data: String, options: JobOptions = .init()) {
        self.name = name
        self.data = data
        self.options = options
        self.isEncodedJSON = false
    }

    public init(name: String, data: some Encodable, options: JobOptions = .init()) throws(QueueError) {
        self.name = name
        self.data = try NewJob.encode(data)
        self.options = options
        self.isEncodedJSON = true
    }

    /// Shared: safe for concurrent use, and never reconfigured.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func encode(_ value: some Encodable) throws(QueueError) -> String {
        do {
            return String(decoding: try Self.encoder.encode(value), as: UTF8.self)
        } catch {
            throw QueueError(.invalidData, "the job data cannot be encoded as JSON: \(error)")
        }
    }
}

/// What an add did.
public struct AddedJob: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// A new job was created.
        case added
        /// A job with this custom id exists; it was left as it is.
        case duplicated
        /// A job holding the deduplication id is pending; this add was ignored.
        case deduplicated
    }

    /// The new job's id, or the existing job's for `duplicated` / `deduplicated`.
    public let id: String
    public let outcome: Outcome
}

extension Queue {
    /// Adds one job. Refuses, before touching Redis, data over the size limit, invalid JSON and
    /// invalid options.
    @discardableResult
    public func add(_ name: String, data: some Encodable, options: JobOptions = .init()) async throws -> AddedJob {
        try await add(NewJob(name: name, data: data, options: options))
    }

    @discardableResult
    public func add(_ name: String, json: String, options: JobOptions = .init()) async throws -> AddedJob {
        try await add(NewJob(name: name, json: json, options: options))
    }

    @discardableResult
    public func add(_ job: NewJob) async throws -> AddedJob {
        let command = try addCommand([job], timestamp: Self.now())
        guard let added = try Self.added(try await redis.execute(command)).first else {
            throw QueueError(.unexpectedReply, "add returned no job id")
        }
        return added
    }

    /// Adds many jobs in one round trip: batches of `addBulkBatchSize` jobs, one script call each
    /// (atomic per batch), all written at once. Validation happens for all jobs first, so an
    /// invalid one adds nothing.
    public func addBulk(_ jobs: [NewJob]) async throws -> [AddedJob] {
        let timestamp = Self.now()
        var commands: [RedisCommand] = []
        for start in stride(from: 0, to: jobs.count, by: Self.addBulkBatchSize) {
            commands.append(try addCommand(Array(jobs[start..<min(jobs.count, start + Self.addBulkBatchSize)]), timestamp: timestamp))
        }
        var results: [AddedJob] = []
        results.reserveCapacity(jobs.count)
        for reply in try await redis.pipeline(commands) {
            if let error = RedisServerError(reply) { throw error }
            results += try Self.added(reply)
        }
        return results
    }

    /// Jobs per script call in `addBulk`: large enough to amortise the call, small enough that
    /// Redis is never blocked for long by one batch.
    static let addBulkBatchSize = 500

    func addCommand(_ jobs: [NewJob], timestamp: Int) throws(QueueError) -> RedisCommand {
        var entries: [AddJobsCall.Entry] = []
        entries.reserveCapacity(jobs.count)
        // Bulk adds usually share their options: encode each distinct set once.
        var lastOptions: (options: JobOptions, json: String)?
        for job in jobs {
            try validate(job)
            let optionsJSON: String
            if let last = lastOptions, last.options == job.options {
                optionsJSON = last.json
            } else {
                optionsJSON = StoredJobOptions(job.options).json()
                lastOptions = (job.options, optionsJSON)
            }
            entries.append(AddJobsCall.Entry(job: job, optionsJSON: optionsJSON))
        }
        return AddJobsCall(timestamp: timestamp, entries: entries).command(keys, scripts: scripts)
    }

    /// Checks a job as an add would, without adding it: for producers that record the job
    /// elsewhere first (an outbox) and must not promise one Redis would refuse.
    public func validate(_ job: NewJob) throws(QueueError) {
        try job.options.validate()
        guard !job.name.isEmpty, job.name.utf8.count <= 256 else {
            throw QueueError(.invalidOption, "a job name must be 1 to 256 bytes long")
        }
        let size = job.data.utf8.count
        guard size <= options.maximumDataSize else {
            throw QueueError(.dataTooLarge, "job data is \(size) bytes; this queue accepts at most \(options.maximumDataSize)")
        }
        guard job.isEncodedJSON || (try? JSONSerialization.jsonObject(with: Data(job.data.utf8), options: [.fragmentsAllowed])) != nil else {
            throw QueueError(.invalidData, "job data is not valid JSON")
        }
    }

    static func added(_ reply: RESPToken) throws -> [AddedJob] {
        let parts = try [String](fromRESP: reply)
        guard parts.count % 2 == 0 else { throw QueueError(.unexpectedReply, "add returned \(reply)") }
        return try stride(from: 0, to: parts.count, by: 2).map { index in
            guard let outcome = AddedJob.Outcome(rawValue: parts[index + 1]) else {
                throw QueueError(.unexpectedReply, "add returned \(reply)")
            }
            return AddedJob(id: parts[index], outcome: outcome)
        }
    }
}
