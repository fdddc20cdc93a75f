public import Foundation

/// A job as stored in its Redis hash, whoever added it (this platform or a BullMQ client).
public struct Job: Sendable, Equatable, Identifiable {
    public let id: String
    public let queue: String
    public let name: String
    /// The payload, JSON text.
    public let data: String
    public let options: JobOptions
    /// The stored `opts` JSON, as written by the producer.
    public let rawOptions: String
    /// Milliseconds since 1970: created, last started, finished.
    public let timestamp: Int
    public let processedOn: Int?
    public let finishedOn: Int?
    /// The requested delay in milliseconds (0 once promoted).
    public let delay: Int
    public let priority: Int
    /// The handler's result, JSON text.
    public let returnValue: String?
    public let failedReason: String?
    public let stacktrace: [String]
    public let attemptsMade: Int
    public let attemptsStarted: Int
    public let stalledCount: Int
    /// Progress, JSON text (a number or an object).
    public let progress: String?
    /// A failure decided while the job was not running (stalled too often); the next worker to
    /// fetch the job fails it with this reason instead of running it.
    public let deferredFailure: String?
    public let tenantID: String?
    public let processedBy: String?
    /// Set on jobs created by a BullMQ job scheduler (repeatable job).
    public let schedulerID: String?
    /// A scheduler's job: its schedule and run number, from `opts.repeat`.
    let storedRepeat: StoredRepeat?
    /// Someone cancelled the job while it ran (`Queue.cancel`): the next worker to take it fails
    /// it as cancelled instead of running it.
    public let cancelRequested: Bool
    /// The flow parent this job is a child of (its `parent` field), if any.
    public let parent: JobParent?

    /// Builds a job from the field/value pairs of its hash; `nil` when the hash is empty.
    public init?(id: String, queue: String, fields: [String: String]) {
        guard let name = fields["name"] else { return nil }
        self.id = id
        self.queue = queue
        self.name = name
        self.data = fields["data"] ?? "{}"
        self.rawOptions = fields["opts"] ?? "{}"
        let stored = StoredJobOptions(json: rawOptions)
        var options = stored.jobOptions
        options.tenantID = fields["tid"]
        self.storedRepeat = fields["rjk"] == nil ? nil : stored.repeat
        self.options = options
        self.timestamp = fields["timestamp"].flatMap(Self.integer) ?? 0
        self.processedOn = fields["processedOn"].flatMap(Self.integer)
        self.finishedOn = fields["finishedOn"].flatMap(Self.integer)
        self.delay = fields["delay"].flatMap(Self.integer) ?? 0
        self.priority = fields["priority"].flatMap(Self.integer) ?? 0
        self.returnValue = fields["returnvalue"]
        self.failedReason = fields["failedReason"]
        self.stacktrace =
            fields["stacktrace"].flatMap { text in
                (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String]
            } ?? []
        self.attemptsMade = (fields["attemptsMade"] ?? fields["atm"]).flatMap(Self.integer) ?? 0
        self.attemptsStarted = fields["ats"].flatMap(Self.integer) ?? 0
        self.stalledCount = fields["stc"].flatMap(Self.integer) ?? 0
        self.progress = fields["progress"]
        self.deferredFailure = fields["defa"]
        self.tenantID = fields["tid"]
        self.processedBy = fields["pb"]
        self.schedulerID = fields["rjk"]
        self.cancelRequested = fields["cxl"] == "1"
        self.parent = fields["parent"].flatMap(JobParent.init(json:))
    }

    /// Builds a job from `HGETALL`'s flat list of fields and values.
    init?(id: String, queue: String, flat: [String]) {
        var fields: [String: String] = [:]
        fields.reserveCapacity(flat.count / 2)
        var index = 0
        while index + 1 < flat.count {
            fields[flat[index]] = flat[index + 1]
            index += 2
        }
        self.init(id: id, queue: queue, fields: fields)
    }

    /// Decodes the payload.
    public func decodeData<T: Decodable>(_ type: T.Type = T.self, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        try decoder.decode(T.self, from: Data(data.utf8))
    }

    /// Lua and other clients may write integers as `1.7e12` or `12.0`. Any client may write
    /// anything, so values beyond ±2^53 (the integers Lua and JavaScript hold exactly) are not
    /// numbers here: arithmetic on a job's fields (`attemptsMade + 1`) can then never trap.
    static func integer(_ text: String) -> Int? {
        let limit = 1 << 53
        if let value = Int(text) { return (-limit...limit).contains(value) ? value : nil }
        if let value = Double(text), value.isFinite, abs(value) <= Double(limit) { return Int(value) }
        return nil
    }
}
