/// A `pattern` of the document, compiled with Swift Regex to behave as JSON Schema specifies:
/// searched anywhere in the string (not anchored unless the pattern says so), one Unicode code
/// point per character (not grapheme clusters), and with ECMA-262 meanings for what the document
/// uses (`\x00`, `\t`, `\n`, `\r`, classes, anchors; `\v` and `\f` are avoided in the document
/// because Swift reads `\v` as every vertical space).
struct PatternMatcher: @unchecked Sendable {  // Regex is an immutable value, read only
    let pattern: String
    let message: String
    private let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws {
        self.pattern = pattern
        self.regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
        self.message = Self.messages[pattern] ?? "must match the pattern \(pattern)"
    }

    func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }

    /// Plain words for the document's patterns.
    static let messages: [String: String] = [
        #"^[^\x00]*$"#: "must not contain NUL characters",
        #"^[^\x00]*[^\x00\t\n\x0b\x0c\r ][^\x00]*$"#: "must contain a character other than spaces, and no NUL characters",
        #"^[A-Za-z -]*[0-9][A-Za-z0-9 -]*$"#: "must be letters, digits, spaces or dashes, with at least one digit",
        #"^[^\x00/]+$"#: "must not contain / or NUL characters",
        #"^[0-9]{1,20}-[0-9]{1,20}$"#: "must be an event id such as 1700000000000-0",
        #"^([0-9]{4}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|[0-9]{4}-(0[469]|11)-(0[1-9]|[12][0-9]|30)|[0-9]{4}-02-(0[1-9]|1[0-9]|2[0-8])|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"#:
            "must be an RFC 3339 date-time such as 2026-12-01T09:00:00Z",
        #"^\uFEFF?([^\n]*[,;])?[ \t"]*([Ee][Xx][Tt][Ee][Rr][Nn][Aa][Ll][_-]?[Rr][Ee][Ff]|[Rr][Ee][Ff]|[Rr][Ee][Ff][Ee][Rr][Ee][Nn][Cc][Ee])[ \t"]*([,;\r\n]|$)"#:
            "must start with a header row naming an external_ref column",
    ]
}
