/// What happens to a job's record once it has completed or failed (`removeOnComplete` / `removeOnFail`).
public enum KeepJobs: Sendable, Equatable, Codable {
    /// Keep every finished job (BullMQ's default, `false`).
    case all
    /// Delete the job as soon as it finishes (`true`).
    case none
    /// Keep the newest `n` finished jobs of the queue (`n`).
    case last(Int)
    /// Keep jobs younger than `age` seconds, and at most `count` of them (`{age, count}`);
    /// at most `limit` old jobs are deleted per finishing job.
    case age(seconds: Int, count: Int?, limit: Int?)

    /// The script's three arguments: count (-1 all, 0 none), age in seconds, deletion limit.
    var scriptArguments: (count: Int, age: Int, limit: Int) {
        switch self {
        case .all: return (-1, 0, 1000)
        case .none: return (0, 0, 1000)
        case .last(let count): return (max(0, count), 0, 1000)
        case .age(let seconds, let count, let limit): return (count ?? -1, seconds, limit ?? 1000)
        }
    }

    private enum CodingKeys: String, CodingKey { case age, count, limit }

    public init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let flag = try? single.decode(Bool.self) {
            self = flag ? .none : .all
        } else if let count = try? single.decode(Int.self) {
            self = .last(count)
        } else {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let age = try container.decodeIfPresent(Int.self, forKey: .age)
            let count = try container.decodeIfPresent(Int.self, forKey: .count)
            let limit = try container.decodeIfPresent(Int.self, forKey: .limit)
            if let age {
                self = .age(seconds: age, count: count, limit: limit)
            } else if let count {
                self = .last(count)
            } else {
                self = .all
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .all:
            var single = encoder.singleValueContainer()
            try single.encode(false)
        case .none:
            var single = encoder.singleValueContainer()
            try single.encode(true)
        case .last(let count):
            var single = encoder.singleValueContainer()
            try single.encode(count)
        case .age(let seconds, let count, let limit):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(seconds, forKey: .age)
            try container.encodeIfPresent(count, forKey: .count)
            try container.encodeIfPresent(limit, forKey: .limit)
        }
    }
}
