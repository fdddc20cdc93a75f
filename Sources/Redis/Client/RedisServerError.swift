import NIOCore

/// An error reply from the server (`-ERR …`, `-WRONGTYPE …`, `-NOSCRIPT …`, a script's `error_reply`).
///
/// It fails only the command it answers; the connection stays usable.
public struct RedisServerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The whole message the server sent, e.g. `WRONGTYPE Operation against a key holding the wrong kind of value`.
    public let message: String

    public init(message: String) {
        self.message = message
    }

    /// The error's leading upper-case word (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `BUSY`, …).
    public var code: String {
        let word = message.prefix { $0 != " " }
        return word.allSatisfy({ $0.isUppercase || $0 == "_" }) ? String(word) : ""
    }

    public var description: String { "Redis error: \(message)" }

    /// The error a reply carries, or `nil` when the reply is not an error.
    public init?(_ token: RESPToken) {
        switch token.value {
        case .simpleError(let bytes), .bulkError(let bytes):
            self.message = String(buffer: bytes)
        default:
            return nil
        }
    }
}
