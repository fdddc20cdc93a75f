import Foundation
public import PostgresNIO
import NIOSSL

/// A PostgreSQL connection described by a `postgres://` URL, as in `DATABASE_URL`.
///
/// Accepted form: `postgres[ql]://user[:password]@host[:port]/database[?sslmode=disable|prefer|require&application_name=…&pool_max_conns=N&pool_min_conns=N&pool_keepalive_seconds=S&call_timeout_seconds=S&statement_timeout=MS&lock_timeout=MS&idle_in_transaction_session_timeout=MS]`.
/// A host that starts with `/` (percent-encoded, or given as `?host=/path`) is a unix socket directory,
/// as libpq does it.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    public var applicationName: String?
    public var unixSocketDirectory: String?
    /// Most connections the process's pool opens (`pool_max_conns`, as pgx names it); each one is
    /// a PostgreSQL backend process, so size `max_connections` for every process's maximum.
    public var maximumConnections: Int = DatabaseURL.defaultMaximumConnections
    public static let defaultMaximumConnections = 20
    /// Connections kept open even when idle (`pool_min_conns`). The pool arms an idle-timeout timer
    /// each time a connection above this number is returned, so a busy process does less work
    /// when this equals the maximum (a fixed-size pool).
    public var minimumConnections: Int = 0
    /// Seconds between keep-alive queries on an idle connection (`pool_keepalive_seconds`); `nil`
    /// (`0` in the URL) turns them off. They find connections a NAT or firewall dropped silently,
    /// but the pool arms a timer for them each time a connection is returned; inside one network
    /// (compose) a closed connection is noticed without them.
    public var keepAliveSeconds: Int? = 30
    /// The client-side deadline of one database call (`call_timeout_seconds`): see `Database.callTimeout`.
    public var callTimeout: Duration = .seconds(30)
    /// Server-side limits sent as session settings when a connection opens, in milliseconds
    /// (0: off): the longest statement, the longest wait for a lock, and the longest a session
    /// may sit idle inside a transaction before PostgreSQL ends it.
    public var statementTimeout = 15_000
    public var lockTimeout = 10_000
    public var idleInTransactionTimeout = 60_000

    public enum SSLMode: String, Sendable {
        case disable, prefer, require
    }

    public init(_ text: String) throws(DatabaseURLError) {
        guard let components = URLComponents(string: text) else {
            throw DatabaseURLError("DATABASE_URL is not a valid URL")
        }
        guard let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql" else {
            throw DatabaseURLError("DATABASE_URL must start with postgres:// or postgresql://")
        }
        guard let user = components.percentEncodedUser.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw DatabaseURLError("DATABASE_URL names no user (postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw DatabaseURLError("DATABASE_URL names no database (postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
        }
        self.username = user
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.database = database
        self.host = components.host.flatMap { $0.removingPercentEncoding } ?? "127.0.0.1"
        if self.host.isEmpty { self.host = "127.0.0.1" }
        self.port = components.port ?? 5432
        guard (1...65535).contains(self.port) else {
            throw DatabaseURLError("DATABASE_URL port \(self.port) is out of range")
        }
        self.sslMode = .prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value {
                case "disable", "allow": self.sslMode = .disable
                case "prefer": self.sslMode = .prefer
                case "require", "verify-ca", "verify-full": self.sslMode = .require
                default:
                    throw DatabaseURLError("DATABASE_URL sslmode '\(item.value ?? "")' is not one of disable, prefer, require")
                }
            case "application_name":
                self.applicationName = item.value
            case "host":
                if let value = item.value, value.hasPrefix("/") { self.unixSocketDirectory = value }
            case "pool_max_conns":
                guard let value = item.value.flatMap({ Int($0) }), (1...1_000).contains(value) else {
                    throw DatabaseURLError("DATABASE_URL pool_max_conns '\(item.value ?? "")' must be a number from 1 to 1000")
                }
                self.maximumConnections = value
            case "pool_min_conns":
                guard let value = item.value.flatMap({ Int($0) }), (0...1_000).contains(value) else {
                    throw DatabaseURLError("DATABASE_URL pool_min_conns '\(item.value ?? "")' must be a number from 0 to 1000")
                }
                self.minimumConnections = value
            case "pool_keepalive_seconds":
                guard let value = item.value.flatMap({ Int($0) }), (0...86_400).contains(value) else {
                    throw DatabaseURLError(
                        "DATABASE_URL pool_keepalive_seconds '\(item.value ?? "")' must be seconds from 0 (off) to 86400")
                }
                self.keepAliveSeconds = value == 0 ? nil : value
            case "call_timeout_seconds":
                guard let value = item.value.flatMap({ Int($0) }), (1...3_600).contains(value) else {
                    throw DatabaseURLError("DATABASE_URL call_timeout_seconds '\(item.value ?? "")' must be seconds from 1 to 3600")
                }
                self.callTimeout = .seconds(value)
            case "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout":
                guard let value = item.value.flatMap({ Int($0) }), (0...86_400_000).contains(value) else {
                    throw DatabaseURLError(
                        "DATABASE_URL \(item.name) '\(item.value ?? "")' must be milliseconds from 0 (off) to 86400000")
                }
                switch item.name {
                case "statement_timeout": self.statementTimeout = value
                case "lock_timeout": self.lockTimeout = value
                default: self.idleInTransactionTimeout = value
                }
            default:
                continue
            }
        }
        if self.host.hasPrefix("/") { self.unixSocketDirectory = self.host }
    }

    /// The URL with the password masked, safe for logs.
    public var description: String {
        let target = unixSocketDirectory ?? "\(host):\(port)"
        return "postgres://\(username)\(password == nil ? "" : ":***")@\(target)/\(database)"
    }

    /// The URL in full, password included: for handing to a child process, never for logs.
    public var absoluteString: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = unixSocketDirectory == nil ? host : "127.0.0.1"
        components.port = port
        components.path = "/" + database
        var query: [URLQueryItem] = [URLQueryItem(name: "sslmode", value: sslMode.rawValue)]
        if let applicationName { query.append(URLQueryItem(name: "application_name", value: applicationName)) }
        if let unixSocketDirectory { query.append(URLQueryItem(name: "host", value: unixSocketDirectory)) }
        if maximumConnections != Self.defaultMaximumConnections {
            query.append(URLQueryItem(name: "pool_max_conns", value: String(maximumConnections)))
        }
        if minimumConnections != 0 { query.append(URLQueryItem(name: "pool_min_conns", value: String(minimumConnections))) }
        if keepAliveSeconds != 30 {
            query.append(URLQueryItem(name: "pool_keepalive_seconds", value: String(keepAliveSeconds ?? 0)))
        }
        if callTimeout != .seconds(30) {
            query.append(URLQueryItem(name: "call_timeout_seconds", value: String(callTimeout.components.seconds)))
        }
        if statementTimeout != 15_000 { query.append(URLQueryItem(name: "statement_timeout", value: String(statementTimeout))) }
        if lockTimeout != 10_000 { query.append(URLQueryItem(name: "lock_timeout", value: String(lockTimeout))) }
        if idleInTransactionTimeout != 60_000 {
            query.append(URLQueryItem(name: "idle_in_transaction_session_timeout", value: String(idleInTransactionTimeout)))
        }
        components.queryItems = query
        return components.string ?? description
    }

    /// A client configuration for this URL.
    public func clientConfiguration() -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let directory = unixSocketDirectory {
            configuration = .init(
                unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch sslMode {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(.makeClientConfiguration())
            case .require: tls = .require(.makeClientConfiguration())
            }
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = min(minimumConnections, maximumConnections)
        configuration.options.keepAliveBehavior = keepAliveSeconds.map { .init(frequency: .seconds($0)) }
        if let applicationName {
            configuration.options.additionalStartupParameters.append(("application_name", applicationName))
        }
        configuration.options.additionalStartupParameters += [
            ("statement_timeout", String(statementTimeout)), ("lock_timeout", String(lockTimeout)),
            ("idle_in_transaction_session_timeout", String(idleInTransactionTimeout)),
        ]
        return configuration
    }
}

/// A `DATABASE_URL` that cannot be used, with what is wrong in it.
public struct DatabaseURLError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
