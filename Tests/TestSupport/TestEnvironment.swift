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

extension TestEnvironment {
    /// The virtualenv Python with bullmq 3.4.4 that scripts/test prepares.
    public static func python() throws -> String { try required("TEST_PYTHON") }
}

/// Runs Tests/Interop/bullmq_peer.py (the real Python bullmq) and decodes its JSON output.
public enum BullMQPeer {
    public static func run<T: Decodable>(
        _ arguments: [String], as type: T.Type, timeout: Duration = .seconds(120)
    ) async throws -> T {
        let script = TestEnvironment.repositoryRoot + "/Tests/Interop/bullmq_peer.py"
        let child = try ChildProcess(try TestEnvironment.python(), [script] + arguments)
        guard let status = try await child.waitForExit(timeout: timeout) else {
            child.signal(SIGKILL)
            throw ChildProcessError("bullmq_peer.py \(arguments.first ?? "") did not finish within \(timeout)")
        }
        guard status == 0 else {
            throw ChildProcessError("bullmq_peer.py \(arguments.first ?? "") exited with \(status): \(child.standardError)")
        }
        let output = child.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
        do {
            return try JSONDecoder().decode(T.self, from: Data(output.utf8))
        } catch {
            throw ChildProcessError("bullmq_peer.py printed \(output.debugDescription); stderr: \(child.standardError)")
        }
    }

    /// Starts the peer without waiting (for workers and listeners that run beside the Swift side).
    public static func start(_ arguments: [String]) throws -> ChildProcess {
        let script = TestEnvironment.repositoryRoot + "/Tests/Interop/bullmq_peer.py"
        return try ChildProcess(try TestEnvironment.python(), [script] + arguments)
    }

    public static func output<T: Decodable>(of child: ChildProcess, as type: T.Type, timeout: Duration = .seconds(120)) async throws -> T {
        guard let status = try await child.waitForExit(timeout: timeout) else {
            child.signal(SIGKILL)
            throw ChildProcessError("bullmq_peer.py did not finish within \(timeout)")
        }
        let output = child.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
        guard status == 0, let data = output.data(using: .utf8) else {
            throw ChildProcessError("bullmq_peer.py exited with \(status): \(child.standardError)")
        }
        return try JSONDecoder().decode(T.self, from: data)
    }
}
