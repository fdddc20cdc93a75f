public import NIOCore

/// One complete RESP2/RESP3 reply, as the validated bytes the server sent.
///
/// A token is a slice of the inbound buffer: holding it costs no parsing and no copies. Its
/// ``value`` interprets the bytes on demand, and ``RESPDecodable`` types turn it into Swift values.
public struct RESPToken: Hashable, Sendable, CustomStringConvertible {
    /// The frame's bytes, type byte to final CRLF.
    public let base: ByteBuffer

    /// Wraps bytes the decoder has validated.
    init(validated base: ByteBuffer) {
        self.base = base
    }

    /// A reply's interpretation. Aggregates are lazily iterated views over the same bytes.
    public enum Value: Hashable, Sendable {
        case simpleString(ByteBuffer)
        case simpleError(ByteBuffer)
        case bulkString(ByteBuffer)
        case bulkError(ByteBuffer)
        /// The payload including its `xxx:` format prefix.
        case verbatimString(ByteBuffer)
        case number(Int)
        case double(Double)
        case boolean(Bool)
        case bigNumber(ByteBuffer)
        case null
        case array(Array)
        case set(Array)
        case push(Array)
        /// Keys and values alternate.
        case map(Array)
    }

    /// The elements of an aggregate reply, in order.
    public struct Array: Sequence, Hashable, Sendable {
        public let count: Int
        let elements: ByteBuffer

        public func makeIterator() -> Iterator { Iterator(buffer: elements) }

        public struct Iterator: IteratorProtocol {
            var buffer: ByteBuffer
            public mutating func next() -> RESPToken? {
                guard buffer.readableBytes > 0 else { return nil }
                let length = RESPToken.frameLength(buffer, at: buffer.readerIndex)
                guard length > 0, let slice = buffer.readSlice(length: length) else { return nil }
                return RESPToken(validated: slice)
            }
        }
    }

    public var value: Value {
        var buffer = base
        return RESPToken.value(of: &buffer)
    }

    /// Whether the reply is a server error (`-ERR …` or `!…`).
    public var isError: Bool {
        let type = base.getInteger(at: base.readerIndex, as: UInt8.self)
        return type == RESPTypeByte.simpleError || type == RESPTypeByte.bulkError
    }

    public var description: String {
        switch value {
        case .simpleString(let bytes), .bulkString(let bytes), .verbatimString(let bytes), .bigNumber(let bytes):
            return String(buffer: bytes)
        case .simpleError(let bytes), .bulkError(let bytes):
            return "(error) " + String(buffer: bytes)
        case .number(let number): return String(number)
        case .double(let double): return String(double)
        case .boolean(let bool): return String(bool)
        case .null: return "(nil)"
        case .array(let array), .set(let array), .push(let array), .map(let array):
            return "[" + array.map(\.description).joined(separator: ", ") + "]"
        }
    }

    // MARK: Interpreting validated bytes

    private static func value(of buffer: inout ByteBuffer) -> Value {
        while true {
            let start = buffer.readerIndex
            guard let type = buffer.readInteger(as: UInt8.self), let line = readLine(&buffer) else { return .null }
            switch type {
            case RESPTypeByte.simpleString: return .simpleString(line)
            case RESPTypeByte.simpleError: return .simpleError(line)
            case RESPTypeByte.bigNumber: return .bigNumber(line)
            case RESPTypeByte.integer:
                return .number(RESPNumber.parseInteger(line, at: line.readerIndex, length: line.readableBytes) ?? 0)
            case RESPTypeByte.double:
                return .double(parseDouble(line))
            case RESPTypeByte.boolean:
                return .boolean(line.getInteger(at: line.readerIndex, as: UInt8.self) == UInt8(ascii: "t"))
            case RESPTypeByte.null:
                return .null
            case RESPTypeByte.bulkString, RESPTypeByte.bulkError, RESPTypeByte.verbatimString:
                let length = RESPNumber.parseInteger(line, at: line.readerIndex, length: line.readableBytes) ?? -1
                guard length >= 0, let payload = buffer.readSlice(length: length) else { return .null }
                switch type {
                case RESPTypeByte.bulkError: return .bulkError(payload)
                case RESPTypeByte.verbatimString: return .verbatimString(payload)
                default: return .bulkString(payload)
                }
            case RESPTypeByte.attribute:
                // Skip the attribute map; the value it annotates follows.
                buffer.moveReaderIndex(to: start)
                let attributeLength = frameLength(buffer, at: start, skippingFinalValue: true)
                buffer.moveReaderIndex(forwardBy: attributeLength)
                continue
            default:
                let count = RESPNumber.parseInteger(line, at: line.readerIndex, length: line.readableBytes) ?? -1
                guard count >= 0 else { return .null }
                let elements = buffer.getSlice(at: buffer.readerIndex, length: buffer.readableBytes) ?? ByteBuffer()
                switch type {
                case RESPTypeByte.map: return .map(Array(count: count * 2, elements: elements))
                case RESPTypeByte.set: return .set(Array(count: count, elements: elements))
                case RESPTypeByte.push: return .push(Array(count: count, elements: elements))
                default: return .array(Array(count: count, elements: elements))
                }
            }
        }
    }

    /// Reads up to the next CRLF and returns the line without it.
    private static func readLine(_ buffer: inout ByteBuffer) -> ByteBuffer? {
        guard let index = RESPNumber.carriageReturn(in: buffer, from: buffer.readerIndex),
            let line = buffer.readSlice(length: index - buffer.readerIndex)
        else { return nil }
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    private static func parseDouble(_ line: ByteBuffer) -> Double {
        let text = String(buffer: line)
        switch text {
        case "inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default: return Double(text) ?? .nan
        }
    }

    /// Length in bytes of the validated frame starting at `index`.
    ///
    /// With `skippingFinalValue`, an attribute frame's length excludes the value it annotates.
    static func frameLength(_ buffer: ByteBuffer, at index: Int, skippingFinalValue: Bool = false) -> Int {
        var position = index
        var remaining = 1
        var first = true
        while remaining > 0 {
            guard let type = buffer.getInteger(at: position, as: UInt8.self),
                let carriageReturn = RESPNumber.carriageReturn(in: buffer, from: position + 1)
            else { return 0 }
            let lineLength = carriageReturn - (position + 1)
            let number = RESPNumber.parseInteger(buffer, at: position + 1, length: lineLength) ?? -1
            position += 1 + lineLength + 2
            remaining -= 1
            switch type {
            case RESPTypeByte.bulkString, RESPTypeByte.bulkError, RESPTypeByte.verbatimString:
                if number >= 0 { position += number + 2 }
            case RESPTypeByte.array, RESPTypeByte.set, RESPTypeByte.push:
                if number > 0 { remaining += number }
            case RESPTypeByte.map:
                if number > 0 { remaining += number * 2 }
            case RESPTypeByte.attribute:
                if number > 0 { remaining += number * 2 }
                if !(first && skippingFinalValue) { remaining += 1 }
            default:
                break
            }
            first = false
        }
        return position - index
    }
}
