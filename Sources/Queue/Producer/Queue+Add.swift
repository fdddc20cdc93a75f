import Foundation
public import Redis

/// A job to add: what `addBulk` takes.
public struct NewJob: Sendable {
    public var name: String
    /// The payload, JSON text.
    public var data: String
    public var options: JobOptions

    public init(name: String, json data: String, options: JobOptions = .init()) {
        self.name = name
        self.data = data
        self.options = options
    }

    public init(name: String, data: some Encodable, options: JobOptions = .init()) throws(QueueError) {
        self.init(name: name, json: try NewJob.encode(data), options: options)
    }

    static func encode(_ value: some Encodable) throws(QueueError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
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
        let command = try addCommand(job, timestamp: Self.now())
        return try Self.added(try await redis.execute(command))
    }

    /// Adds many jobs in one round trip (one pipelined write); each add is atomic on its own.
    /// Validation happens for all jobs first, so an invalid one adds nothing.
    public func addBulk(_ jobs: [NewJob]) async throws -> [AddedJob] {
        let timestamp = Self.now()
        let commands = try jobs.map { job throws(QueueError) in try addCommand(job, timestamp: timestamp) }
        var results: [AddedJob] = []
        results.reserveCapacity(jobs.count)
        for reply in try await redis.pipeline(commands) {
            if let error = RedisServerError(reply) { throw error }
            results.append(try Self.added(reply))
        }
        return results
    }

    func addCommand(_ job: NewJob, timestamp: Int) throws(QueueError) -> RedisCommand {
        try job.options.validate()
        guard !job.name.isEmpty, job.name.utf8.count <= 256 else {
            throw QueueError(.invalidOption, "a job name must be 1 to 256 bytes long")
        }
        let size = job.data.utf8.count
        guard size <= options.maximumDataSize else {
            throw QueueError(.dataTooLarge, "job data is \(size) bytes; this queue accepts at most \(options.maximumDataSize)")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(job.data.utf8), options: [.fragmentsAllowed])) != nil else {
            throw QueueError(.invalidData, "job data is not valid JSON")
        }
        let stored = StoredJobOptions(job.options)
        let dedup = job.options.deduplication
        var keyList = keys.shared + [.string(keys.idCounter)]
        if let tenant = job.options.tenantID { keyList.append(.string(keys.tenantIndex(tenant))) }
        let arguments: [RedisArgument] = [
            .string(keys.base), .string(job.options.jobID ?? ""), .string(job.name), .int(timestamp),
            .string(job.data), .string(stored.json()), .int(job.options.delay?.milliseconds ?? 0),
            .int(job.options.priority ?? 0), job.options.lifo ? "1" : "0", .string(dedup?.id ?? ""),
            .int(dedup?.ttl?.milliseconds ?? 0), dedup?.extend == true ? "1" : "0", dedup?.replace == true ? "1" : "0",
            .string(job.options.tenantID ?? ""),
        ]
        return scripts.addJob.command(keys: keyList, arguments: arguments)
    }

    static func added(_ reply: RESPToken) throws -> AddedJob {
        let parts = try [String](fromRESP: reply)
        guard parts.count == 2, let outcome = AddedJob.Outcome(rawValue: parts[1]) else {
            throw QueueError(.unexpectedReply, "add returned \(reply)")
        }
        return AddedJob(id: parts[0], outcome: outcome)
    }
}
