import Foundation
public import Store

/// Where the services that `scripts/test` started live.
public enum TestEnvironment {
    static func variable(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    static func required(_ name: String) throws -> String {
        guard let value = variable(name) else { throw TestEnvironmentError.missing(name) }
        return value
    }

    /// `redis://127.0.0.1:16380` when run through scripts/test.
    public static func redisURL() throws -> String { try required("TEST_REDIS_URL") }

    public static func adminDatabaseURL() throws -> DatabaseURL { try DatabaseURL(required("TEST_ADMIN_DATABASE_URL")) }
    public static func ownerDatabaseURL() throws -> DatabaseURL { try DatabaseURL(required("TEST_OWNER_DATABASE_URL")) }
    public static func runtimeDatabaseURL() throws -> DatabaseURL { try DatabaseURL(required("TEST_DATABASE_URL")) }

    /// The repository's `migrations/` directory.
    public static var migrationsDirectory: String {
        variable("MIGRATIONS_DIR") ?? repositoryRoot + "/migrations"
    }

    /// The checkout this test binary was built from.
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// A scratch directory for files a test writes (under .data/test when run through scripts/test).
    public static func scratchDirectory(_ name: String) throws -> String {
        let base = variable("TEST_DATA_DIR") ?? NSTemporaryDirectory()
        let path = base + "/scratch/" + name + "-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

public enum TestEnvironmentError: Error, CustomStringConvertible {
    case missing(String)

    public var description: String {
        switch self {
        case .missing(let name):
            return "\(name) is not set: run the tests through scripts/test, which starts Redis and PostgreSQL and sets it"
        }
    }
}
