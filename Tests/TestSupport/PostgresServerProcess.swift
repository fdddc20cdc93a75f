import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of a test's own (to stop and restart it), with the platform's roles, a
/// database and the migrations applied. Runs as the `postgres` user when the tests run as root.
public final class PostgresServerProcess: Sendable {
    public let port: Int
    public let directory: String
    let binaries: String

    private init(port: Int, directory: String, binaries: String) {
        self.port = port
        self.directory = directory
        self.binaries = binaries
    }

    public var ownerURL: String { "postgres://obotcall_owner:owner@127.0.0.1:\(port)/obotcall?sslmode=disable" }
    public var runtimeURL: String { "postgres://obotcall_app:app@127.0.0.1:\(port)/obotcall?sslmode=disable" }

    /// Initialises, starts and prepares a server (roles and database; migrations are the caller's).
    public static func start() async throws -> PostgresServerProcess {
        let binaries = try findBinaries()
        let directory = try TestEnvironment.scratchDirectory("pg")
        var server = PostgresServerProcess(port: try RedisServerProcess.freePort(), directory: directory, binaries: binaries)
        if getuid() == 0 { try run("/bin/chown", ["postgres", directory]) }
        try server.asPostgres(
            "\(binaries)/initdb",
            [
                "-D", directory + "/data", "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                "--locale=C.UTF-8", "--no-sync",
            ])
        // A free port can be taken by a server another test starts between the check and the
        // bind: try a few.
        for attempt in 1...5 {
            do {
                try server.startServer()
                break
            } catch  where attempt < 5 {
                server = PostgresServerProcess(port: try RedisServerProcess.freePort(), directory: directory, binaries: binaries)
            }
        }
        try run(
            "/usr/bin/psql",
            [
                "-X", "-q", "-h", "127.0.0.1", "-p", "\(server.port)", "-U", "postgres", "-d", "postgres",
                "-v", "ON_ERROR_STOP=1", "-v", "owner_password=owner", "-v", "app_password=app", "-v", "database=obotcall",
                "-f", TestEnvironment.repositoryRoot + "/deploy/postgres-roles.sql",
            ])
        return server
    }

    /// Starts the (stopped) server again on the same port and data.
    public func startServer() throws {
        try asPostgres(
            "\(binaries)/pg_ctl",
            [
                "-D", directory + "/data", "-l", directory + "/postgres.log", "-w", "-t", "60", "-o",
                "-c listen_addresses=127.0.0.1 -p \(port) -c unix_socket_directories=\(directory) -c fsync=off", "start",
            ])
    }

    /// Stops the server: `fast` terminates every session (57P01) and shuts down cleanly;
    /// `immediate` kills the server processes at once, as a crash would.
    public func stopServer(mode: String = "fast") throws {
        try asPostgres("\(binaries)/pg_ctl", ["-D", directory + "/data", "-m", mode, "-w", "stop"])
    }

    public func stop() {
        try? stopServer()
    }

    private func asPostgres(_ tool: String, _ arguments: [String]) throws {
        if getuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", tool] + arguments)
        } else {
            try Self.run(tool, arguments)
        }
    }

    /// Runs a tool to completion with `posix_spawn` and `waitpid`. Not `Process`: `pg_ctl start`
    /// leaves the server running with descriptors `Process` watches to see its child end, so
    /// `waitUntilExit` would never return. Error output goes to a file.
    static func run(_ executable: String, _ arguments: [String]) throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("obotcall-tool-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ChildProcessError("cannot start \(executable): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw ChildProcessError("\(executable) \(arguments.first ?? "") failed (status \(status)): \(text)")
        }
    }

    static func findBinaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for version in versions.sorted(by: >) where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        throw ChildProcessError("no PostgreSQL server binaries under \(root); scripts/test installs them")
    }
}
