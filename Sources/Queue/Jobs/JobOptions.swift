import Foundation

/// Options of one job, as a producer sets them.
///
/// They are stored in the job hash's `opts` field under BullMQ's names, so BullMQ workers running
/// the job honour its attempts, backoff and removal policy, and jobs BullMQ producers add are
/// read back into this type.
public struct JobOptions: Sendable, Equatable {
    /// A custom id: adding a job whose id exists does nothing and returns the existing job.
    public var jobID: String?
    /// Run no earlier than this long after the add.
    public var delay: Duration?
    /// 1 (highest) … 2,097,151; jobs without priority run before prioritized ones.
    public var priority: Int?
    /// Run before the jobs already waiting.
    public var lifo: Bool
    /// Total attempts, the first one included (1: never retry).
    public var attempts: Int
    public var backoff: Backoff?
    public var removeOnComplete: KeepJobs?
    public var removeOnFail: KeepJobs?
    public var deduplication: Deduplication?
    /// Lines of log kept for the job (`kl`); `nil`: all.
    public var keepLogs: Int?
    /// How long one attempt may run before the worker abandons it (our extension; BullMQ keeps the field).
    public var timeout: Duration?
    /// The tenant the job belongs to, indexed for per-tenant listing (stored in the job hash, not in `opts`).
    public var tenantID: String?

    /// Ignore adds that repeat an id while the first job is pending (and, with a `ttl`, for that long).
    public struct Deduplication: Sendable, Equatable {
        public var id: String
        /// Throttle window; `nil`: until the owning job finishes.
        public var ttl: Duration?
        /// Each ignored add restarts the window.
        public var extend: Bool
        /// A later add replaces the owner while the owner is still delayed (debounce).
        public var replace: Bool

        public init(id: String, ttl: Duration? = nil, extend: Bool = false, replace: Bool = false) {
            self.id = id
            self.ttl = ttl
            self.extend = extend
            self.replace = replace
        }
    }

    public init(
        jobID: String? = nil, delay: Duration? = nil, priority: Int? = nil, lifo: Bool = false, attempts: Int = 1,
        backoff: Backoff? = nil, removeOnComplete: KeepJobs? = nil, removeOnFail: KeepJobs? = nil,
        deduplication: Deduplication? = nil, keepLogs: Int? = nil, timeout: Duration? = nil, tenantID: String? = nil
    ) {
        self.jobID = jobID
        self.delay = delay
        self.priority = priority
        self.lifo = lifo
        self.attempts = attempts
        self.backoff = backoff
        self.removeOnComplete = removeOnComplete
        self.removeOnFail = removeOnFail
        self.deduplication = deduplication
        self.keepLogs = keepLogs
        self.timeout = timeout
        self.tenantID = tenantID
    }

    static let maximumPriority = 2_097_151

    /// The options as they are stored on a job (`opts`, BullMQ's names), JSON text: what an
    /// outbox row keeps so that the job can be added again exactly as first meant.
    public var storedJSON: String { StoredJobOptions(self).json() }

    /// Options read back from ``storedJSON`` (the tenant is not part of `opts`).
    public init(storedJSON: String, tenantID: String?) {
        self = StoredJobOptions(json: storedJSON).jobOptions
        self.tenantID = tenantID
    }

    /// Checks the options before anything reaches Redis.
    func validate() throws(QueueError) {
        if let jobID {
            guard !jobID.isEmpty, jobID.utf8.count <= 256 else {
                throw QueueError(.invalidJobID, "a custom job id must be 1 to 256 bytes long")
            }
            guard !jobID.allSatisfy(\.isNumber) else {
                throw QueueError(.invalidJobID, "custom job id '\(jobID)' is all digits; those are reserved for generated ids")
            }
            guard !jobID.contains(":") else {
                throw QueueError(.invalidJobID, "custom job id '\(jobID)' contains ':', which separates Redis key parts")
            }
        }
        if let priority, !(0...Self.maximumPriority).contains(priority) {
            throw QueueError(.invalidOption, "priority must be between 0 and \(Self.maximumPriority), got \(priority)")
        }
        if let delay, delay < .zero { throw QueueError(.invalidOption, "delay must not be negative") }
        guard (1...100_000).contains(attempts) else {
            throw QueueError(.invalidOption, "attempts must be between 1 and 100000, got \(attempts)")
        }
        if let backoff {
            guard backoff.delay >= 0 else { throw QueueError(.invalidOption, "backoff delay must not be negative") }
            if let jitter = backoff.jitter, !(0...1).contains(jitter) {
                throw QueueError(.invalidOption, "backoff jitter must be between 0 and 1, got \(jitter)")
            }
        }
        if let deduplication {
            guard !deduplication.id.isEmpty, deduplication.id.utf8.count <= 256 else {
                throw QueueError(.invalidOption, "a deduplication id must be 1 to 256 bytes long")
            }
            if let ttl = deduplication.ttl, ttl <= .zero {
                throw QueueError(.invalidOption, "deduplication ttl must be positive")
            }
        }
        if let tenantID {
            // Byte-wise (any non-ASCII byte counts as a space): tenant ids are UUIDs or slugs, and
            // this runs on every add.
            guard !tenantID.isEmpty, tenantID.utf8.count <= 64,
                !tenantID.utf8.contains(where: { $0 == UInt8(ascii: ":") || $0 <= 0x20 || $0 >= 0x7F })
            else {
                throw QueueError(.invalidOption, "tenant id '\(tenantID)' must be 1 to 64 printable ASCII characters without ':' or spaces")
            }
        }
        if let timeout, timeout <= .zero { throw QueueError(.invalidOption, "timeout must be positive") }
    }
}

/// The `opts` JSON of a job hash, under BullMQ's (short) names.
struct StoredJobOptions: Codable, Equatable {
    var attempts: Int?
    var delay: Int?
    var priority: Int?
    var lifo: Bool?
    var backoff: Backoff?
    var removeOnComplete: KeepJobs?
    var removeOnFail: KeepJobs?
    var jobId: String?
    var de: StoredDeduplication?
    var kl: Int?
    var timeout: Int?
    /// Set on a scheduler's jobs: the schedule and the run's number.
    var `repeat`: StoredRepeat?
    /// Set on a scheduler's jobs: the scheduler's id.
    var repeatJobKey: String?
    /// Set on a scheduler's jobs: the run's time, ms.
    var prevMillis: Int?

    struct StoredDeduplication: Codable, Equatable {
        var id: String
        var ttl: Int?
        var extend: Bool?
        var replace: Bool?
    }

    init(_ options: JobOptions) {
        attempts = options.attempts
        delay = options.delay?.milliseconds ?? 0
        priority = (options.priority ?? 0) > 0 ? options.priority : nil
        lifo = options.lifo ? true : nil
        backoff = options.backoff
        removeOnComplete = options.removeOnComplete
        removeOnFail = options.removeOnFail
        jobId = options.jobID
        de = options.deduplication.map {
            StoredDeduplication(id: $0.id, ttl: $0.ttl?.milliseconds, extend: $0.extend ? true : nil, replace: $0.replace ? true : nil)
        }
        kl = options.keepLogs
        timeout = options.timeout?.milliseconds
    }

    /// Reads stored options leniently: a field of an unexpected shape is ignored, not fatal, since
    /// other clients write this JSON too.
    init(json: String) {
        let data = Data(json.utf8)
        if let decoded = try? JSONDecoder().decode(StoredJobOptions.self, from: data) {
            self = decoded
            return
        }
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        attempts = object["attempts"] as? Int
        delay = object["delay"] as? Int
        priority = object["priority"] as? Int
        lifo = object["lifo"] as? Bool
        jobId = object["jobId"] as? String
        kl = object["kl"] as? Int
        timeout = object["timeout"] as? Int
        repeatJobKey = object["repeatJobKey"] as? String
        prevMillis = object["prevMillis"] as? Int
        if let nested = object["repeat"], JSONSerialization.isValidJSONObject(nested),
            let text = try? JSONSerialization.data(withJSONObject: nested)
        {
            `repeat` = try? JSONDecoder().decode(StoredRepeat.self, from: text)
        }
    }

    var jobOptions: JobOptions {
        JobOptions(
            jobID: jobId, delay: delay.flatMap { $0 > 0 ? .milliseconds($0) : nil }, priority: priority,
            lifo: lifo ?? false, attempts: max(1, attempts ?? 1), backoff: backoff,
            removeOnComplete: removeOnComplete, removeOnFail: removeOnFail,
            deduplication: de.map {
                .init(id: $0.id, ttl: $0.ttl.map { .milliseconds($0) }, extend: $0.extend ?? false, replace: $0.replace ?? false)
            },
            keepLogs: kl, timeout: timeout.map { .milliseconds($0) })
    }

    /// The `opts` text, keys sorted; written by hand since it is built on every add.
    func json() -> String {
        var writer = JSONObjectWriter()
        writer.field("attempts", attempts)
        writer.field("backoff", json: backoff.map(Self.json(of:)))
        writer.field("de", json: de.map(Self.json(of:)))
        writer.field("delay", delay)
        writer.field("jobId", jobId)
        writer.field("kl", kl)
        writer.field("lifo", lifo)
        writer.field("prevMillis", prevMillis)
        writer.field("priority", priority)
        writer.field("removeOnComplete", json: removeOnComplete.map(Self.json(of:)))
        writer.field("removeOnFail", json: removeOnFail.map(Self.json(of:)))
        writer.field("repeat", json: `repeat`?.json())
        writer.field("repeatJobKey", repeatJobKey)
        writer.field("timeout", timeout)
        return writer.finished()
    }

    static func json(of backoff: Backoff) -> String {
        var writer = JSONObjectWriter()
        writer.field("delay", backoff.delay)
        writer.field("jitter", backoff.jitter)
        writer.field("type", backoff.type.rawValue)
        return writer.finished()
    }

    static func json(of deduplication: StoredDeduplication) -> String {
        var writer = JSONObjectWriter()
        writer.field("extend", deduplication.extend)
        writer.field("id", deduplication.id)
        writer.field("replace", deduplication.replace)
        writer.field("ttl", deduplication.ttl)
        return writer.finished()
    }

    static func json(of keep: KeepJobs) -> String {
        switch keep {
        case .all: return "false"
        case .none: return "true"
        case .last(let count): return String(count)
        case .age(let seconds, let count, let limit):
            var writer = JSONObjectWriter()
            writer.field("age", seconds)
            writer.field("count", count)
            writer.field("limit", limit)
            return writer.finished()
        }
    }
}
