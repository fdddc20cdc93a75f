import Foundation

/// A program the test runs (usually the `obotcall` binary), with its output captured.
public final class ChildProcess: Sendable {
    private let process: Process
    private let output = LockedBuffer()
    private let errors = LockedBuffer()
    private let pipes: (Pipe, Pipe)

    /// The `obotcall` executable built next to this test bundle.
    public static var obotcallPath: String {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test runner is `.build/<config>/<package>PackageTests.xctest`; products sit beside it.
        return directory.appendingPathComponent("obotcall").path
    }

    public init(_ executable: String = ChildProcess.obotcallPath, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        merged["LOG_LEVEL"] = merged["LOG_LEVEL"] ?? "info"
        process.environment = merged
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        self.process = process
        self.pipes = (stdout, stderr)
        let output = self.output, errors = self.errors
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.append(data)
        }
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            errors.append(data)
        }
        try process.run()
    }

    public var standardOutput: String { output.text }
    public var standardError: String { errors.text }
    public var isRunning: Bool { process.isRunning }
    public var processIdentifier: Int32 { process.processIdentifier }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the exit (polling, with a deadline); the exit status, or `nil` on timeout.
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Collect whatever is still in the pipes.
        for (pipe, buffer) in [(pipes.0, output), (pipes.1, errors)] {
            pipe.fileHandleForReading.readabilityHandler = nil
            let rest = pipe.fileHandleForReading.readDataToEndOfFile()
            buffer.append(rest)
        }
        return process.terminationStatus
    }

    /// Runs to completion and returns (status, stdout, stderr).
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: String, errors: String) {
        let child = try ChildProcess(obotcallPath, arguments, environment: environment)
        guard let status = try await child.waitForExit(timeout: timeout) else {
            child.signal(SIGKILL)
            throw ChildProcessError("\(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        return (status, child.standardOutput, child.standardError)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Bytes appended from pipe callbacks and read by the test.
final class LockedBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) {
        lock.lock()
        data.append(more)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
