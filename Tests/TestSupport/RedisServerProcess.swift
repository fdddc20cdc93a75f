import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A redis-server of a test's own (for passwords, TLS, restarts: things a shared server cannot do),
/// on a free loopback port with its data in a scratch directory.
public final class RedisServerProcess: Sendable {
    public let port: Int
    public let directory: String
    public let extraConfiguration: [String]
    private let process = Mutex<Process?>(nil)

    private init(port: Int, directory: String, extraConfiguration: [String]) {
        self.port = port
        self.directory = directory
        self.extraConfiguration = extraConfiguration
    }

    /// Starts a server; `configuration` lines are appended to its config file.
    public static func start(configuration: [String] = [], port: Int? = nil) async throws -> RedisServerProcess {
        let server = RedisServerProcess(
            port: try port ?? freePort(), directory: try TestEnvironment.scratchDirectory("redis"),
            extraConfiguration: configuration)
        try await server.launch()
        return server
    }

    /// `redis://127.0.0.1:<port>`, plus `suffix` (credentials go through `url(password:)`).
    public var url: String { "redis://127.0.0.1:\(port)" }

    public func launch() async throws {
        let config =
            [
                "bind 127.0.0.1", "port \(port)", "daemonize no", "dir \(directory)", "save \"\"", "appendonly no",
                "logfile \(directory)/redis.log", "unixsocket \(directory)/redis.sock", "unixsocketperm 700",
            ] + extraConfiguration
        try config.joined(separator: "\n").write(toFile: directory + "/redis.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.which("redis-server"))
        process.arguments = [directory + "/redis.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process.withLock { $0 = process }
        try await waitUntilAccepting()
    }

    /// Stops the server (SIGKILL: no goodbye to clients, as in a crash).
    public func kill() {
        process.withLock { process in
            guard let running = process else { return }
            if running.isRunning {
                running.interrupt()
                Foundation.kill(running.processIdentifier, SIGKILL)
                running.waitUntilExit()
            }
            process = nil
        }
    }

    public func stop() { kill() }

    /// Waits (with a deadline) until the port accepts connections.
    private func waitUntilAccepting() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            // Ready when the TCP port accepts (or, with `port 0`, not at all) and the unix socket exists.
            let socketReady = FileManager.default.fileExists(atPath: directory + "/redis.sock")
            if socketReady,
                let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: port).get()
            {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let log = (try? String(contentsOfFile: directory + "/redis.log", encoding: .utf8)) ?? ""
        throw RedisServerProcessError("redis-server did not start on port \(port); log:\n\(log.suffix(2000))")
    }

    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        guard let port = channel.localAddress?.port else { throw RedisServerProcessError("no free port") }
        return port
    }

    static func which(_ name: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw RedisServerProcessError("\(name) is not on PATH; scripts/test installs it")
    }

    deinit {
        kill()
    }
}

public struct RedisServerProcessError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
