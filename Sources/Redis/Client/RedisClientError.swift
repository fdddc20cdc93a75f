/// A failure of the client or the connection, as opposed to an error reply from the server.
///
/// When a command fails with one of these, it may or may not have run on the server (the reply was
/// lost); retry only what is safe to run twice.
public struct RedisClientError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String {
            case connectionClosed, connectionClosedDueToCancellation, commandTimeout, protocolError
            case connectFailed, clientShutDown, invalidConfiguration, handshakeFailed, unexpectedReply
        }
        let base: Base
        public var description: String { base.rawValue }

        /// The connection closed (server restart, network failure) before the reply arrived.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// Another command on the same connection was cancelled; RESP cannot cancel one reply,
        /// so the connection was closed and every command pending on it failed.
        public static let connectionClosedDueToCancellation = Code(base: .connectionClosedDueToCancellation)
        /// No reply within the command timeout; the connection was closed.
        public static let commandTimeout = Code(base: .commandTimeout)
        /// The server sent malformed RESP; the connection was closed.
        public static let protocolError = Code(base: .protocolError)
        /// No connection could be made within the connect timeout.
        public static let connectFailed = Code(base: .connectFailed)
        /// The client is shutting down and takes no more commands.
        public static let clientShutDown = Code(base: .clientShutDown)
        /// The URL or configuration cannot be used.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// The server refused the connection set-up (AUTH, SELECT, HELLO).
        public static let handshakeFailed = Code(base: .handshakeFailed)
        /// A reply arrived that no command was waiting for.
        public static let unexpectedReply = Code(base: .unexpectedReply)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "Redis client error (\(code)): \(message)" }
}
