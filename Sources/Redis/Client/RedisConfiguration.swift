import Foundation
public import NIOSSL

/// How to reach and talk to a Redis server, usually read from a `REDIS_URL`.
///
/// URL forms: `redis://[user:password@]host[:port][/db]`, `rediss://…` for TLS, and
/// `unix:///path/to/redis.sock[?db=N&password=…]`. Query parameters `name` (client name),
/// `protocol` (`2` to skip `HELLO 3`), `ca` (PEM file to trust for TLS) and `verify=none`
/// (TLS without certificate checks; development only) are accepted on every form.
public struct RedisConfiguration: Sendable {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public enum ProtocolVersion: Int, Sendable {
        case resp2 = 2
        case resp3 = 3
    }

    public var address: Address
    public var username: String?
    public var password: String?
    public var database: Int
    /// Sent with `CLIENT SETNAME`, visible in `CLIENT LIST`.
    public var clientName: String?
    /// `nil`: plain TCP.
    public var tls: TLSConfiguration?
    /// The protocol asked for; a server that refuses `HELLO 3` gets RESP2.
    public var preferredProtocol: ProtocolVersion

    public var connectTimeout: Duration
    /// How long a command may wait for its reply before the connection is declared dead.
    public var commandTimeout: Duration
    /// Added to a blocking command's own timeout to form its deadline.
    public var blockingCommandGrace: Duration
    public var decoderLimits: RESPTokenDecoder.Limits
    public var pool: PoolOptions

    /// Sizes and timers of the client's connections.
    ///
    /// Ordinary commands are multiplexed (pipelined) over `multiplexedConnections` shared
    /// connections; blocking commands and explicit leases (`withConnection`) take a connection of
    /// their own, up to `maximumConnections` in all.
    public struct PoolOptions: Sendable {
        public var multiplexedConnections: Int
        /// Connections kept open (and re-opened) even when idle.
        public var minimumConnections: Int
        public var maximumConnections: Int
        /// A leased connection idle this long is closed (down to `minimumConnections`).
        public var idleTimeout: Duration
        /// Idle connections are checked with `PING` this often.
        public var keepAliveInterval: Duration
        /// How long a caller waits for a leased connection when all are in use.
        public var leaseTimeout: Duration
        /// Reconnect back-off: first delay and ceiling, doubling in between.
        public var reconnectBackoff: (initial: Duration, maximum: Duration)

        public init(
            multiplexedConnections: Int = 2,
            minimumConnections: Int = 1,
            maximumConnections: Int = 64,
            idleTimeout: Duration = .seconds(60),
            keepAliveInterval: Duration = .seconds(30),
            leaseTimeout: Duration = .seconds(10),
            reconnectBackoff: (initial: Duration, maximum: Duration) = (.milliseconds(50), .seconds(5))
        ) {
            self.multiplexedConnections = multiplexedConnections
            self.minimumConnections = minimumConnections
            self.maximumConnections = maximumConnections
            self.idleTimeout = idleTimeout
            self.keepAliveInterval = keepAliveInterval
            self.leaseTimeout = leaseTimeout
            self.reconnectBackoff = reconnectBackoff
        }
    }

    public init(
        address: Address,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        clientName: String? = nil,
        tls: TLSConfiguration? = nil,
        preferredProtocol: ProtocolVersion = .resp3,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(30),
        blockingCommandGrace: Duration = .seconds(10),
        decoderLimits: RESPTokenDecoder.Limits = .init(),
        pool: PoolOptions = .init()
    ) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
        self.clientName = clientName
        self.tls = tls
        self.preferredProtocol = preferredProtocol
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.blockingCommandGrace = blockingCommandGrace
        self.decoderLimits = decoderLimits
        self.pool = pool
    }

    /// Reads a `redis://`, `rediss://` or `unix://` URL.
    public init(url text: String) throws(RedisClientError) {
        func invalid(_ reason: String) -> RedisClientError {
            RedisClientError(.invalidConfiguration, "REDIS_URL \(reason) (expected redis://[user:password@]host:port/db, rediss://… or unix:///path)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw invalid("is not a URL")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }

        switch scheme {
        case "redis", "rediss":
            let host = components.host.flatMap { $0.removingPercentEncoding } ?? ""
            let port = components.port ?? 6379
            guard (1...65535).contains(port) else { throw invalid("has port \(port) out of range") }
            self.init(address: .tcp(host: host.isEmpty ? "127.0.0.1" : host, port: port))
            let path = components.path.drop { $0 == "/" }
            if !path.isEmpty {
                guard let database = Int(path), database >= 0 else { throw invalid("has database '\(path)', not a number") }
                self.database = database
            }
            if scheme == "rediss" { self.tls = .makeClientConfiguration() }
        case "unix", "redis+unix":
            guard !components.path.isEmpty else { throw invalid("names no socket path") }
            self.init(address: .unixSocket(path: components.path))
        default:
            throw invalid("has scheme '\(scheme)'")
        }
        // Redis's `requirepass` is a password without user name: redis://:secret@host.
        self.username = (user?.isEmpty ?? true) ? nil : user
        self.password = password ?? query["password"]
        if let database = query["db"] {
            guard let number = Int(database), number >= 0 else { throw invalid("has db '\(database)', not a number") }
            self.database = number
        }
        if let name = query["name"] { self.clientName = name }
        if let version = query["protocol"] {
            guard let number = Int(version), let parsed = ProtocolVersion(rawValue: number) else {
                throw invalid("has protocol '\(version)' (2 or 3)")
            }
            self.preferredProtocol = parsed
        }
        if var tls = self.tls {
            if let ca = query["ca"] {
                do {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
                } catch {
                    throw invalid("names CA file '\(ca)' that cannot be read as PEM: \(error)")
                }
            }
            if query["verify"] == "none" { tls.certificateVerification = .none }
            self.tls = tls
        }
    }

    /// The URL without its password, for logs.
    public var redactedDescription: String {
        let credentials = password == nil ? "" : "\(username ?? ""):***@"
        switch address {
        case .tcp(let host, let port):
            return "\(tls == nil ? "redis" : "rediss")://\(credentials)\(host):\(port)/\(database)"
        case .unixSocket(let path):
            return "unix://\(path)?db=\(database)"
        }
    }
}
