public import NIOCore

/// One Redis command, encoded once as the RESP array the server receives.
///
/// A command knows which of its arguments are keys (so it can be routed to the right Redis
/// Cluster node and checked against a queue's hash tag) and whether it blocks the connection
/// (`BZPOPMIN`, `BLMOVE`, `XREAD BLOCK`), which the client sends on a dedicated connection with a
/// timeout that covers the blocking time.
public struct RedisCommand: Sendable, CustomStringConvertible {
    /// The command name as sent, e.g. `GET` or `EVALSHA`.
    public let name: String
    /// The RESP encoding, ready to be written.
    public let encoded: ByteBuffer
    /// Positions (0 = first argument after the name) of the arguments that are keys.
    public let keyArguments: Range<Int>
    /// For a blocking command, how long the server may block before answering (`nil`: not
    /// blocking; `.zero`: until data arrives).
    public let blockingTimeout: Duration?
    /// For `EVALSHA`, the script it calls, so a server that lost its script cache can be given
    /// the source again (``RedisClient`` does this on `NOSCRIPT`).
    public let script: RedisScript?

    public init(
        _ name: String, _ arguments: [RedisArgument] = [], keyArguments: Range<Int> = 0..<0,
        blockingTimeout: Duration? = nil, script: RedisScript? = nil
    ) {
        precondition(keyArguments.lowerBound >= 0 && keyArguments.upperBound <= arguments.count, "key positions out of range")
        var buffer = ByteBufferAllocator().buffer(capacity: arguments.reduce(name.utf8.count + 24) { $0 + $1.estimatedSize })
        buffer.writeInteger(RESPTypeByte.array)
        buffer.writeString(String(arguments.count + 1))
        buffer.writeStaticString("\r\n")
        RedisArgument.string(name).encode(into: &buffer)
        for argument in arguments { argument.encode(into: &buffer) }
        self.name = name
        self.encoded = buffer
        self.keyArguments = keyArguments
        self.blockingTimeout = blockingTimeout
        self.script = script
    }

    public var isBlocking: Bool { blockingTimeout != nil }

    /// The arguments after the name, decoded back from the encoding (for routing, checks and logs).
    public var arguments: [ByteBuffer] {
        var buffer = encoded
        guard buffer.readInteger(as: UInt8.self) == RESPTypeByte.array,
            let countEnd = RESPNumber.carriageReturn(in: buffer, from: buffer.readerIndex),
            let count = RESPNumber.parseInteger(buffer, at: buffer.readerIndex, length: countEnd - buffer.readerIndex)
        else { return [] }
        buffer.moveReaderIndex(to: countEnd + 2)
        var result: [ByteBuffer] = []
        result.reserveCapacity(max(0, count - 1))
        for index in 0..<count {
            guard buffer.readInteger(as: UInt8.self) == RESPTypeByte.bulkString,
                let lengthEnd = RESPNumber.carriageReturn(in: buffer, from: buffer.readerIndex),
                let length = RESPNumber.parseInteger(buffer, at: buffer.readerIndex, length: lengthEnd - buffer.readerIndex)
            else { return result }
            buffer.moveReaderIndex(to: lengthEnd + 2)
            guard let payload = buffer.readSlice(length: length) else { return result }
            buffer.moveReaderIndex(forwardBy: 2)
            if index > 0 { result.append(payload) }
        }
        return result
    }

    /// The keys this command touches.
    public var keys: [ByteBuffer] {
        guard !keyArguments.isEmpty else { return [] }
        return Array(arguments[keyArguments])
    }

    /// The name and arguments, with long arguments shortened; for logs and error messages.
    public var description: String {
        ([name]
            + arguments.map { argument in
                let text = String(buffer: argument)
                return text.count > 64 ? String(text.prefix(61)) + "…" : text
            }).joined(separator: " ")
    }
}
