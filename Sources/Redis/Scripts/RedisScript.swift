import Crypto

/// A Lua script and its SHA1, called with `EVALSHA` so only the digest crosses the network.
///
/// When the server answers `NOSCRIPT` (restart, `SCRIPT FLUSH`, failover), ``RedisClient`` sends
/// the call once more as `EVAL` with the source, which also caches the script; callers never see
/// the difference.
public struct RedisScript: Sendable, Hashable, CustomStringConvertible {
    /// A short name for logs and errors.
    public let name: String
    public let source: String
    /// Lower-case hex SHA1 of `source`, as `SCRIPT LOAD` returns it.
    public let sha1: String

    public init(name: String, source: String) {
        self.name = name
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The `EVALSHA` command running this script with `keys` and `arguments`.
    public func command(keys: [RedisArgument], arguments: [RedisArgument] = []) -> RedisCommand {
        RedisCommand(
            "EVALSHA", [.string(sha1), .int(keys.count)] + keys + arguments,
            keyArguments: 2..<(2 + keys.count), script: self)
    }

    /// `EVAL` with the full source, for a server that does not know the script: it runs the
    /// script and caches it, in one step no concurrent `SCRIPT FLUSH` can split.
    func evalCommand(for command: RedisCommand) -> RedisCommand {
        let arguments = command.arguments
        return RedisCommand(
            "EVAL", [.string(source)] + arguments.dropFirst().map { .bytes($0) },
            keyArguments: command.keyArguments, blockingTimeout: command.blockingTimeout, script: self)
    }

    public var description: String { "script \(name) (\(sha1.prefix(12)))" }
}
