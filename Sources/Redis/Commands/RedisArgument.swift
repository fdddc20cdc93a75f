public import NIOCore

/// One argument of a Redis command: every argument travels as a RESP bulk string.
public enum RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case bytes(ByteBuffer)
    case int(Int)
    case double(Double)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }

    /// Appends `$<length>\r\n<bytes>\r\n`.
    func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .string(let string):
            RedisArgument.writeBulk(utf8Count: string.utf8.count, into: &buffer) { $0.writeString(string) }
        case .bytes(let bytes):
            RedisArgument.writeBulk(utf8Count: bytes.readableBytes, into: &buffer) { $0.writeImmutableBuffer(bytes) }
        case .int(let int):
            let text = String(int)
            RedisArgument.writeBulk(utf8Count: text.utf8.count, into: &buffer) { $0.writeString(text) }
        case .double(let double):
            let text = double.isFinite ? String(double) : (double > 0 ? "+inf" : double < 0 ? "-inf" : "nan")
            RedisArgument.writeBulk(utf8Count: text.utf8.count, into: &buffer) { $0.writeString(text) }
        }
    }

    var estimatedSize: Int {
        switch self {
        case .string(let string): return string.utf8.count + 16
        case .bytes(let bytes): return bytes.readableBytes + 16
        case .int, .double: return 40
        }
    }

    private static func writeBulk(utf8Count: Int, into buffer: inout ByteBuffer, payload: (inout ByteBuffer) -> Void) {
        buffer.writeInteger(RESPTypeByte.bulkString)
        buffer.writeString(String(utf8Count))
        buffer.writeStaticString("\r\n")
        payload(&buffer)
        buffer.writeStaticString("\r\n")
    }
}

extension RedisArgument: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension RedisArgument: CustomStringConvertible {
    public var description: String {
        switch self {
        case .string(let string): return string
        case .bytes(let bytes): return String(buffer: bytes)
        case .int(let int): return String(int)
        case .double(let double): return String(double)
        }
    }
}
