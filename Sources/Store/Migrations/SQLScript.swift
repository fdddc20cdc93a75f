/// Splits a SQL script into statements the extended query protocol can run one at a time.
///
/// PostgreSQL's extended protocol (the one with bind parameters) accepts a single statement per
/// query, while migration files hold many. Semicolons inside string literals, quoted identifiers,
/// dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`) and comments do not end a statement.
public enum SQLScript {
    public static func statements(in script: String) -> [String] {
        var statements: [String] = []
        let bytes = Array(script.utf8)
        var start = 0
        var index = 0
        var hasContent = false

        func flush(upTo end: Int) {
            if hasContent {
                let text = String(decoding: bytes[start..<end], as: UTF8.self)
                    .trimmingWhitespace()
                if !text.isEmpty { statements.append(text) }
            }
            hasContent = false
        }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                var depth = 1
                index += 2
                while index < bytes.count && depth > 0 {
                    if bytes[index] == UInt8(ascii: "/") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*") {
                        depth += 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: "*") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "/") {
                        depth -= 1
                        index += 2
                    } else {
                        index += 1
                    }
                }
                continue
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                hasContent = true
                index = skipQuoted(bytes, from: index, quote: byte)
                continue
            case UInt8(ascii: "$"):
                hasContent = true
                if let tagEnd = dollarTagEnd(bytes, from: index) {
                    let tag = bytes[index...tagEnd]
                    var search = tagEnd + 1
                    var closed = false
                    while search + tag.count <= bytes.count {
                        if bytes[search] == UInt8(ascii: "$") && bytes[search..<(search + tag.count)].elementsEqual(tag) {
                            index = search + tag.count
                            closed = true
                            break
                        }
                        search += 1
                    }
                    if !closed { index = bytes.count }
                    continue
                }
                index += 1
                continue
            case UInt8(ascii: ";"):
                flush(upTo: index)
                index += 1
                start = index
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
                continue
            default:
                hasContent = true
                index += 1
            }
        }
        flush(upTo: bytes.count)
        return statements
    }

    /// Index just past the closing quote; a doubled quote is an escaped one.
    private static func skipQuoted(_ bytes: [UInt8], from start: Int, quote: UInt8) -> Int {
        var index = start + 1
        while index < bytes.count {
            if bytes[index] == quote {
                if index + 1 < bytes.count && bytes[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return index
    }

    /// For `$tag$` or `$$` starting at `start`, the index of the tag's closing `$`; `nil` for a
    /// positional parameter such as `$1`.
    private static func dollarTagEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "$") { return index }
            let isLetter = (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95 || byte >= 128
            let isDigit = byte >= 48 && byte <= 57
            if isLetter || (isDigit && index > start + 1) {
                index += 1
                continue
            }
            return nil
        }
        return nil
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
