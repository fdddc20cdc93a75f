/// A job payload that cannot be run: retrying would not help.
public struct PayloadError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The offending field, as named in the payload.
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
