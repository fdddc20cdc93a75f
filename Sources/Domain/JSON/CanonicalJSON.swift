#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The platform's JSON coders, set up once: keys sorted and `/` left unescaped (the same value
/// always gives the same text, which signatures, journals and tests compare), dates as ISO 8601.
/// Both are safe to share between tasks; nobody reconfigures them.
///
/// Two places write JSON their own way on purpose: `Queue` (which may not import `Domain`) for
/// job data and options, and the API's answers (`APIJSON`, the generated server's RFC 3339 dates).
public enum CanonicalJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// `value` as JSON text.
    public static func text(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A value of `type` from JSON text.
    public static func decode<Value: Decodable>(_ type: Value.Type, from text: String) throws -> Value {
        try decoder.decode(Value.self, from: Data(text.utf8))
    }
}
