/// Checks an uploaded import before it is stored, without building it in memory: a CSV is UTF-8
/// text with something other than blanks and at most `maxRows` data rows (records after the
/// header, quotes respected); a JSON source is well-formed JSON whose top level is a non-empty
/// array of at most `maxRows` objects (what the document's schema for the upload says).
struct ImportSourceCheck {
    enum Problem: Error, Equatable {
        case empty
        case notUTF8
        case notJSON(String)
        case notArrayOfObjects
        case tooManyRows(Int)
    }

    let maxRows: Int

    /// The number of data rows.
    func check(_ bytes: [UInt8], format: String) throws(Problem) -> Int {
        guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else { throw .empty }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .notUTF8 }
        return format == "json" ? try jsonRows(bytes) : try csvRows(bytes)
    }

    /// Records after the header: line ends outside quotes, ignoring blank trailing lines.
    func csvRows(_ bytes: [UInt8]) throws(Problem) -> Int {
        var records = 0
        var quoted = false
        var recordHasContent = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""):
                quoted.toggle()
                recordHasContent = true
            case UInt8(ascii: "\n") where !quoted:
                if recordHasContent { records += 1 }
                recordHasContent = false
            case UInt8(ascii: "\r") where !quoted:
                break
            default:
                recordHasContent = true
            }
        }
        if recordHasContent { records += 1 }
        let rows = max(0, records - 1)
        guard rows <= maxRows else { throw .tooManyRows(rows) }
        return rows
    }

    /// Elements of the top-level array, each checked to be an object; the whole text must be JSON.
    func jsonRows(_ bytes: [UInt8]) throws(Problem) -> Int {
        var scanner = JSONScanner(bytes: bytes)
        scanner.skipBOM()
        scanner.skipSpace()
        guard scanner.peek == UInt8(ascii: "[") else { throw .notArrayOfObjects }
        scanner.index += 1
        var rows = 0
        scanner.skipSpace()
        if scanner.peek == UInt8(ascii: "]") { throw .notArrayOfObjects }
        while true {
            scanner.skipSpace()
            guard scanner.peek == UInt8(ascii: "{") else {
                if scanner.peek == nil { throw .notJSON(scanner.describe("the array is not closed")) }
                throw .notArrayOfObjects
            }
            do { try scanner.value(depth: 1) } catch { throw .notJSON(scanner.describe(error.reason)) }
            rows += 1
            guard rows <= maxRows else { throw .tooManyRows(rows) }
            scanner.skipSpace()
            switch scanner.peek {
            case UInt8(ascii: ","): scanner.index += 1
            case UInt8(ascii: "]"):
                scanner.index += 1
                scanner.skipSpace()
                guard scanner.peek == nil else { throw .notJSON(scanner.describe("text follows the array")) }
                return rows
            default:
                throw .notJSON(scanner.describe("expected , or ] after an element"))
            }
        }
    }
}

/// A validating JSON scanner over bytes (RFC 8259), allocation-free, depth-limited.
struct JSONScanner {
    struct Failure: Error { let reason: String }

    let bytes: [UInt8]
    var index = 0
    static let maximumDepth = 64

    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipBOM() {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    func describe(_ reason: String) -> String { "\(reason) (byte \(index))" }

    mutating func value(depth: Int) throws(Failure) {
        guard depth <= Self.maximumDepth else { throw Failure(reason: "nested deeper than \(Self.maximumDepth) levels") }
        skipSpace()
        guard let byte = peek else { throw Failure(reason: "a value is missing") }
        switch byte {
        case UInt8(ascii: "{"):
            index += 1
            skipSpace()
            if peek == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipSpace()
                guard peek == UInt8(ascii: "\"") else { throw Failure(reason: "an object key must be a string") }
                try string()
                skipSpace()
                guard peek == UInt8(ascii: ":") else { throw Failure(reason: "expected : after a key") }
                index += 1
                try value(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                guard peek == UInt8(ascii: "}") else { throw Failure(reason: "expected , or } in an object") }
                index += 1
                return
            }
        case UInt8(ascii: "["):
            index += 1
            skipSpace()
            if peek == UInt8(ascii: "]") { index += 1; return }
            while true {
                try value(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                guard peek == UInt8(ascii: "]") else { throw Failure(reason: "expected , or ] in an array") }
                index += 1
                return
            }
        case UInt8(ascii: "\""):
            try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            try number()
        }
    }

    mutating func literal(_ word: StaticString) throws(Failure) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - index >= expected.count, bytes[index..<(index + expected.count)].elementsEqual(expected) else {
            throw Failure(reason: "not a JSON value")
        }
        index += expected.count
    }

    mutating func string() throws(Failure) {
        index += 1
        while let byte = peek {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return
            case UInt8(ascii: "\\"):
                guard let escaped = peek else { throw Failure(reason: "a string is not closed") }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    for _ in 0..<4 {
                        guard let hex = peek, (0x30...0x39).contains(hex) || (0x41...0x46).contains(hex) || (0x61...0x66).contains(hex) else {
                            throw Failure(reason: "a \\u escape needs four hex digits")
                        }
                        index += 1
                    }
                default:
                    throw Failure(reason: "an unknown escape in a string")
                }
            case 0x00..<0x20:
                throw Failure(reason: "a control character inside a string")
            default:
                continue
            }
        }
        throw Failure(reason: "a string is not closed")
    }

    mutating func number() throws(Failure) {
        func digits() -> Int {
            let start = index
            while let byte = peek, (0x30...0x39).contains(byte) { index += 1 }
            return index - start
        }
        if peek == UInt8(ascii: "-") { index += 1 }
        if peek == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits() > 0 else { throw Failure(reason: "not a JSON value") }
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw Failure(reason: "a number needs digits after its point") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw Failure(reason: "a number needs digits in its exponent") }
        }
    }
}
