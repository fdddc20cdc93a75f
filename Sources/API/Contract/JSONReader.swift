import Domain

/// Reads a JSON text (RFC 8259) into a ``JSONValue`` for the contract check: one pass over the
/// bytes, depth-limited, without Foundation's decoder (whose `try?`-per-type probing makes
/// every string cost three thrown errors).
struct JSONReader {
    private var scanner: JSONScanner

    static func parse(_ bytes: [UInt8]) throws(JSONScanner.Failure) -> JSONValue {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw JSONScanner.Failure(reason: "not UTF-8") }
        var reader = JSONReader(scanner: JSONScanner(bytes: bytes))
        let value = try reader.value(depth: 1)
        reader.scanner.skipSpace()
        guard reader.scanner.peek == nil else { throw JSONScanner.Failure(reason: "text follows the value") }
        return value
    }

    private mutating func value(depth: Int) throws(JSONScanner.Failure) -> JSONValue {
        guard depth <= JSONScanner.maximumDepth else { throw JSONScanner.Failure(reason: "nested deeper than \(JSONScanner.maximumDepth) levels") }
        scanner.skipSpace()
        guard let byte = scanner.peek else { throw JSONScanner.Failure(reason: "a value is missing") }
        switch byte {
        case UInt8(ascii: "{"):
            scanner.index += 1
            var object: [String: JSONValue] = [:]
            scanner.skipSpace()
            if scanner.peek == UInt8(ascii: "}") { scanner.index += 1; return .object(object) }
            while true {
                scanner.skipSpace()
                guard scanner.peek == UInt8(ascii: "\"") else { throw JSONScanner.Failure(reason: "an object key must be a string") }
                let key = try string()
                scanner.skipSpace()
                guard scanner.peek == UInt8(ascii: ":") else { throw JSONScanner.Failure(reason: "expected : after a key") }
                scanner.index += 1
                object[key] = try value(depth: depth + 1)
                scanner.skipSpace()
                if scanner.peek == UInt8(ascii: ",") { scanner.index += 1; continue }
                guard scanner.peek == UInt8(ascii: "}") else { throw JSONScanner.Failure(reason: "expected , or } in an object") }
                scanner.index += 1
                return .object(object)
            }
        case UInt8(ascii: "["):
            scanner.index += 1
            var array: [JSONValue] = []
            scanner.skipSpace()
            if scanner.peek == UInt8(ascii: "]") { scanner.index += 1; return .array(array) }
            while true {
                array.append(try value(depth: depth + 1))
                scanner.skipSpace()
                if scanner.peek == UInt8(ascii: ",") { scanner.index += 1; continue }
                guard scanner.peek == UInt8(ascii: "]") else { throw JSONScanner.Failure(reason: "expected , or ] in an array") }
                scanner.index += 1
                return .array(array)
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try scanner.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try scanner.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try scanner.literal("null")
            return .null
        default:
            let start = scanner.index
            try scanner.number()
            // The scanner checked the grammar; Double reads it (±inf beyond its range).
            guard let number = Double(String(decoding: scanner.bytes[start..<scanner.index], as: UTF8.self)) else {
                throw JSONScanner.Failure(reason: "not a JSON value")
            }
            return .number(number)
        }
    }

    /// A string's value, escapes decoded (a lone surrogate becomes U+FFFD).
    private mutating func string() throws(JSONScanner.Failure) -> String {
        let start = scanner.index
        try scanner.string()
        let raw = scanner.bytes[(start + 1)..<(scanner.index - 1)]
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        var bytes: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars)
            bytes.removeAll(keepingCapacity: true)
        }
        var index = raw.startIndex
        func hex4(_ at: Int) -> UInt32 {
            raw[at..<(at + 4)].reduce(UInt32(0)) { value, byte in
                let digit: UInt8 = byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x61 + 10
                return value << 4 | UInt32(digit)
            }
        }
        while index < raw.endIndex {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                bytes.append(byte)
                index += 1
                continue
            }
            flush()
            let escaped = raw[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): scalars.append("\u{8}")
            case UInt8(ascii: "f"): scalars.append("\u{C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = hex4(index)
                index += 4
                if (0xD800...0xDBFF).contains(code), index + 6 <= raw.endIndex, raw[index] == UInt8(ascii: "\\"),
                    raw[index + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(index + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                scalars.append(Unicode.Scalar(escaped))
            }
        }
        flush()
        return String(scalars)
    }
}
