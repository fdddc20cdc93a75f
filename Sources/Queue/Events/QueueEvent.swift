public import Redis

/// One entry of a queue's events stream (`added`, `waiting`, `active`, `progress`, `completed`,
/// `failed`, `delayed`, `stalled`, `removed`, `paused`, …), as BullMQ's `QueueEvents` reads it.
public struct QueueEvent: Sendable, Equatable {
    /// The stream entry id (`<ms>-<seq>`); resume reading after it.
    public let id: String
    public let name: String
    public let fields: [String: String]

    public var jobID: String? { fields["jobId"] }

    /// Parses an `XREAD` reply (RESP3 map or RESP2 array) into the events of its one stream.
    static func parse(xread reply: RESPToken) throws -> [QueueEvent] {
        let entriesToken: RESPToken
        switch reply.value {
        case .null:
            return []
        case .map(let pairs):
            let items = Array(pairs)
            guard items.count >= 2 else { return [] }
            entriesToken = items[1]
        case .array(let streams):
            guard let first = streams.first(where: { _ in true }), case .array(let pair) = first.value else { return [] }
            let items = Array(pair)
            guard items.count >= 2 else { return [] }
            entriesToken = items[1]
        default:
            throw QueueError(.unexpectedReply, "XREAD returned \(reply)")
        }
        guard case .array(let entries) = entriesToken.value else { return [] }
        return try entries.map { entry in
            guard case .array(let parts) = entry.value else { throw QueueError(.unexpectedReply, "stream entry \(entry)") }
            let items = Array(parts)
            guard items.count == 2 else { throw QueueError(.unexpectedReply, "stream entry \(entry)") }
            let id = try String(fromRESP: items[0])
            let flat = try [String](fromRESP: items[1])
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < flat.count {
                fields[flat[index]] = flat[index + 1]
                index += 2
            }
            let name = fields.removeValue(forKey: "event") ?? ""
            return QueueEvent(id: id, name: name, fields: fields)
        }
    }
}

extension Queue {
    /// Reads events after `id` (`"$"`: only new ones), blocking up to `block` for the first one
    /// (`nil`: do not block). An empty result means the wait timed out.
    public func readEvents(after id: String, count: Int = 100, block: Duration? = .seconds(5)) async throws -> [QueueEvent] {
        let command: RedisCommand
        if let block {
            command = .xreadBlocking(streams: [(keys.events, id)], count: count, timeout: block)
        } else {
            command = RedisCommand("XREAD", ["COUNT", .int(count), "STREAMS", .string(keys.events), .string(id)], keyArguments: 3..<4)
        }
        return try QueueEvent.parse(xread: try await redis.execute(command))
    }

    /// The id of the newest event (`"0-0"` when there is none).
    public func lastEventID() async throws -> String {
        let reply = try await redis.execute(
            RedisCommand("XREVRANGE", [.string(keys.events), "+", "-", "COUNT", 1], keyArguments: 0..<1))
        guard case .array(let entries) = reply.value, let entry = entries.first(where: { _ in true }),
            case .array(let parts) = entry.value, let id = parts.first(where: { _ in true })
        else { return "0-0" }
        return try String(fromRESP: id)
    }

    /// Follows the events stream from `id` (`"$"`: from now) until the consuming task is cancelled.
    /// Each `XREAD BLOCK` holds a leased connection, so following never delays other commands.
    public func events(after id: String = "$", block: Duration = .seconds(5)) -> QueueEventStream {
        QueueEventStream(queue: self, start: id, block: block)
    }
}

/// An endless sequence of a queue's events; see ``Queue/events(after:block:)``.
public struct QueueEventStream: AsyncSequence, Sendable {
    public typealias Element = QueueEvent
    let queue: Queue
    let start: String
    let block: Duration

    public func makeAsyncIterator() -> Iterator {
        Iterator(queue: queue, lastID: start, block: block)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let queue: Queue
        var lastID: String
        let block: Duration
        var buffer: [QueueEvent] = []

        public mutating func next() async throws -> QueueEvent? {
            if lastID == "$" {
                // Pin "now" once, so events between two reads are not skipped.
                lastID = try await queue.lastEventID()
            }
            while buffer.isEmpty {
                try Task.checkCancellation()
                buffer = try await queue.readEvents(after: lastID, count: 100, block: block)
                if let last = buffer.last { lastID = last.id }
            }
            return buffer.removeFirst()
        }
    }
}
