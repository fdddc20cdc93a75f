public import NIOCore

/// A Swift type that can be read from a RESP reply.
///
/// A server error reply decodes to a thrown ``RedisServerError`` whatever the target type, so an
/// error inside an aggregate (for example one command of a `MULTI`/`EXEC`) surfaces as such.
public protocol RESPDecodable: Sendable {
    init(fromRESP token: RESPToken) throws
}

/// A reply did not have the shape the caller asked for (for example a string where a number was expected).
public struct RESPDecodeError: Error, CustomStringConvertible, Sendable {
    public let expected: String
    public let token: RESPToken

    public var description: String {
        let shown = token.description
        return "expected \(expected) in Redis reply, got \(shown.count > 200 ? String(shown.prefix(200)) + "…" : shown)"
    }

    static func check(_ token: RESPToken, expected: String) throws -> Never {
        if let error = RedisServerError(token) { throw error }
        throw RESPDecodeError(expected: expected, token: token)
    }
}

extension RESPToken: RESPDecodable {
    public init(fromRESP token: RESPToken) throws {
        if let error = RedisServerError(token) { throw error }
        self = token
    }
}

extension ByteBuffer: RESPDecodable {
    public init(fromRESP token: RESPToken) throws {
        switch token.value {
        case .bulkString(let bytes), .simpleString(let bytes), .verbatimString(let bytes), .bigNumber(let bytes):
            self = bytes
        default:
            try RESPDecodeError.check(token, expected: "a string")
        }
    }
}

extension String: RESPDecodable {
    public init(fromRESP token: RESPToken) throws {
        switch token.value {
        case .bulkString(let bytes), .simpleString(let bytes), .bigNumber(let bytes):
            self = String(buffer: bytes)
        case .verbatimString(let bytes):
            // Drop the three-letter format and colon ("txt:").
            self = String(buffer: bytes.getSlice(at: bytes.readerIndex + 4, length: Swift.max(0, bytes.readableBytes - 4)) ?? bytes)
        case .number(let number):
            self = String(number)
        case .double(let double):
            self = String(double)
        default:
            try RESPDecodeError.check(token, expected: "a string")
        }
    }
}

extension Int: RESPDecodable {
    public init(fromRESP token: RESPToken) throws {
        switch token.value {
        case .number(let number):
            self = number
        case .bulkString(let bytes), .simpleString(let bytes):
            guard let number = RESPNumber.parseInteger(bytes, at: bytes.readerIndex, length: bytes.readableBytes) else {
                throw RESPDecodeError(expected: "an integer", token: token)
            }
            self = number
        case .boolean(let bool):
            self = bool ? 1 : 0
        default:
            try RESPDecodeError.check(token, expected: "an integer")
        }
    }
}

extension Double: RESPDecodable {
    public init(fromRESP token: RESPToken) throws {
        switch token.value {
        case .double(let double):
            self = double
        case .number(let number):
            self = Double(number)
        case .bulkString(let bytes), .simpleString(let bytes):
            guard let double = Double(String(buffer: bytes)) else {
                throw RESPDecodeError(expected: "a number", token: token)
            }
            self = double
        default:
            try RESPDecodeError.check(token, expected: "a number")
        }
    }
}

extension Bool: RESPDecodable {
    public init(fromRESP token: RESPToken) throws {
        switch token.value {
        case .boolean(let bool): self = bool
        case .number(let number): self = number != 0
        default: try RESPDecodeError.check(token, expected: "a boolean")
        }
    }
}

extension Optional: RESPDecodable where Wrapped: RESPDecodable {
    public init(fromRESP token: RESPToken) throws {
        if case .null = token.value {
            self = .none
        } else {
            self = .some(try Wrapped(fromRESP: token))
        }
    }
}

extension Array: RESPDecodable where Element: RESPDecodable {
    public init(fromRESP token: RESPToken) throws {
        switch token.value {
        case .array(let array), .set(let array), .push(let array), .map(let array):
            var result: [Element] = []
            result.reserveCapacity(array.count)
            for element in array { result.append(try Element(fromRESP: element)) }
            self = result
        case .null:
            self = []
        default:
            try RESPDecodeError.check(token, expected: "an array")
        }
    }
}

extension Dictionary: RESPDecodable where Key: RESPDecodable, Value: RESPDecodable {
    /// From a RESP3 map, or a RESP2 flat array of alternating keys and values (`HGETALL`).
    public init(fromRESP token: RESPToken) throws {
        switch token.value {
        case .map(let array), .array(let array):
            guard array.count % 2 == 0 else { throw RESPDecodeError(expected: "key/value pairs", token: token) }
            var result: [Key: Value] = [:]
            result.reserveCapacity(array.count / 2)
            var iterator = array.makeIterator()
            while let key = iterator.next(), let value = iterator.next() {
                result[try Key(fromRESP: key)] = try Value(fromRESP: value)
            }
            self = result
        case .null:
            self = [:]
        default:
            try RESPDecodeError.check(token, expected: "a map")
        }
    }
}
