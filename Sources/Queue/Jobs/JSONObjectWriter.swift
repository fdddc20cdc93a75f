/// Writes one flat JSON object field by field, for the small fixed-shape documents written on every
/// add (a job's `opts`), where Foundation's `JSONEncoder` cost more than the Redis call itself.
///
/// Fields are written in the order given; callers list them sorted so the text matches what
/// `JSONEncoder` with `.sortedKeys` produced before.
struct JSONObjectWriter {
    private(set) var text: String
    private var first = true

    init() {
        text = "{"
        text.reserveCapacity(192)
    }

    mutating func field(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        text += String(value)
    }

    mutating func field(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        text += value ? "true" : "false"
    }

    /// Finite numbers only; a non-finite value is left out (JSON cannot carry it).
    mutating func field(_ name: StaticString, _ value: Double?) {
        guard let value, value.isFinite else { return }
        key(name)
        if value == value.rounded(), abs(value) < 1e15 {
            text += String(Int64(value))
        } else {
            text += String(value)
        }
    }

    mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        Self.appendQuoted(value, to: &text)
    }

    /// A nested value already written as JSON.
    mutating func field(_ name: StaticString, json: String?) {
        guard let json else { return }
        key(name)
        text += json
    }

    func finished() -> String { text + "}" }

    /// Names are the writer's own literals (plain ASCII, nothing to escape).
    private mutating func key(_ name: StaticString) {
        text += first ? "\"" : ",\""
        first = false
        name.withUTF8Buffer { text += String(decoding: $0, as: UTF8.self) }
        text += "\":"
    }

    static func appendQuoted(_ value: String, to text: inout String) {
        text += "\""
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            text += value
            text += "\""
            return
        }
        var start = value.startIndex
        for index in value.unicodeScalars.indices {
            let scalar = value.unicodeScalars[index]
            let escape: String?
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escape = nil
            }
            guard let escape else { continue }
            text.unicodeScalars.append(contentsOf: value.unicodeScalars[start..<index])
            text += escape
            start = value.unicodeScalars.index(after: index)
        }
        text.unicodeScalars.append(contentsOf: value.unicodeScalars[start...])
        text += "\""
    }
}
