import Foundation
public import PostgresNIO
import NIOSSL

/// A PostgreSQL connection described by a `postgres://` URL, as in `DATABASE_URL`.
///
/// Accepted form: `postgres[ql]://user[:password]@host[:port]/database[?sslmode=disable|prefer|require&application_name=…&pool_max_conns=N]`.
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
    /// Most connections the process's pool opens (`pool_max_conns`, as pgx names it). PostgreSQL
    /// runs one process per connection, so on a small machine a few busy connections beat many
    /// half-idle ones.
    public var maximumConnections: Int = DatabaseURL.defaultMaximumConnections
    public static let defaultMaximumConnections = 20

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
        if let applicationName {
            configuration.options.additionalStartupParameters.append(("application_name", applicationName))
        }
        return configuration
    }
}

/// A `DATABASE_URL` that cannot be used, with what is wrong in it.
public struct DatabaseURLError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
