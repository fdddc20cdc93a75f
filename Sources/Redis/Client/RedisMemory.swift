/// Redis's memory use against its ceiling (`maxmemory`), from `INFO memory`.
///
/// The platform runs Redis with `maxmemory-policy noeviction` (a queue must not lose jobs to make
/// room), so at the ceiling every write, enqueues included, fails with an OOM error: this is
/// what operators watch to see it coming.
public struct RedisMemory: Sendable, Equatable {
    /// `used_memory`.
    public let usedBytes: Int
    /// `maxmemory`; `nil` when no ceiling is set.
    public let maximumBytes: Int?

    /// Used memory as a share of the ceiling (0…1, more once over it); `nil` without a ceiling.
    public var share: Double? {
        guard let maximumBytes, maximumBytes > 0 else { return nil }
        return Double(usedBytes) / Double(maximumBytes)
    }

    public init(usedBytes: Int, maximumBytes: Int?) {
        self.usedBytes = usedBytes
        self.maximumBytes = maximumBytes
    }

    /// Reads `INFO memory` text; `nil` when it has no `used_memory` line.
    public init?(info: String) {
        var used: Int?
        var maximum: Int?
        for line in info.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = Int(line[line.index(after: colon)...])
            switch line[..<colon] {
            case "used_memory": used = value
            case "maxmemory": maximum = value
            default: break
            }
        }
        guard let used, used >= 0 else { return nil }
        self.init(usedBytes: used, maximumBytes: maximum.flatMap { $0 > 0 ? $0 : nil })
    }

    /// Asks the server.
    public static func read(from client: RedisClient) async throws -> RedisMemory {
        let text = try await client.execute(RedisCommand("INFO", ["memory"]), as: String.self)
        guard let memory = RedisMemory(info: text) else {
            throw RedisClientError(.unexpectedReply, "INFO memory has no used_memory line")
        }
        return memory
    }
}
