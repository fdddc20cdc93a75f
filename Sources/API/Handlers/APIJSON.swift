import Foundation

/// JSON as the generated server writes it (sorted keys, `/` unescaped, RFC 3339 dates), for the
/// few answers written outside it: the upload's 202 and the SSE `state` event.
enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.format(date))
        }
        return encoder
    }()
}
