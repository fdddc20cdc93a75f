import ArgumentParser
import Foundation
import Logging

/// Reads the process environment, with the names the README and compose.yml document.
struct ProcessEnvironment {
    let values: [String: String]

    init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    subscript(name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    func require(_ name: String, hint: String) throws -> String {
        guard let value = self[name] else {
            throw ValidationError("\(name) is not set: \(hint)")
        }
        return value
    }
}

enum LogSetup {
    /// swift-log may be bootstrapped once per process; a lazy static runs this exactly once.
    private static let bootstrapped: Void = {
        let level = ProcessEnvironment()["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }()

    /// A logger for `label`; `LOG_LEVEL` (trace … critical) sets the level.
    static func logger(label: String) -> Logger {
        _ = bootstrapped
        return Logger(label: label)
    }
}
