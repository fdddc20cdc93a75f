/// The server sent bytes that are not valid RESP, or a frame beyond the configured limits.
///
/// A framing error leaves the stream unsynchronised, so the connection that saw it is closed and
/// every command pending on it fails with this error.
public struct RESPParsingError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable, Equatable {
        case invalidTypeByte
        case invalidLength
        case invalidInteger
        case invalidBoolean
        case missingCRLF
        case lineTooLong
        case bulkTooLarge
        case aggregateTooLarge
        case tooDeep
    }

    public let code: Code
    /// Offset of the offending byte from the start of the frame.
    public let offset: Int

    public var description: String {
        "malformed RESP reply (\(code.rawValue) at byte \(offset) of the frame)"
    }
}
