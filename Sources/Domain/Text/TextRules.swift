/// How the platform measures and cleans text, the way PostgreSQL will store it: lengths in Unicode
/// code points (PostgreSQL's `length()`, JSON Schema's `maxLength`), not grapheme clusters
/// (Swift's `count`, where "e\u{301}" is one character but two code points); NUL refused (a
/// `text` column cannot hold it); blanks are the six ASCII spaces (`\t \n \u{B} \u{C} \r` and
/// space) — the same set the API document's patterns name.
public enum TextRules {
    public static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20: return true
        default: return false
        }
    }

    /// Code points, as PostgreSQL's `length()` counts them.
    public static func length(_ text: some StringProtocol) -> Int { text.unicodeScalars.count }

    public static func containsNUL(_ text: some StringProtocol) -> Bool { text.unicodeScalars.contains("\u{0}") }

    /// `true` when every code point is a blank (or there are none).
    public static func isBlank(_ text: some StringProtocol) -> Bool { text.unicodeScalars.allSatisfy(isBlank) }

    /// The text without leading and trailing blanks (code point by code point, so "\r\n" is two).
    public static func trimmed(_ text: some StringProtocol) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlank($0) }), let last = scalars.lastIndex(where: { !isBlank($0) })
        else { return "" }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[first...last])
        return String(result)
    }
}
