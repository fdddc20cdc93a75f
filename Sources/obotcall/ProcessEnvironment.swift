import ArgumentParser
import Foundation
import Logging
import Store
import Worker

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

    /// `AGENT_MODELS`: the models agents may use, comma-separated; `nil` (unset) allows any.
    var agentModels: Set<String>? {
        guard let text = self["AGENT_MODELS"] else { return nil }
        return Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// `AGENT_DAILY_TOKEN_BUDGET` and `AGENT_MONTHLY_TOKEN_BUDGET`: model tokens a tenant without
    /// budgets of its own may use per UTC day and month; unset means no limit.
    func tokenBudgets() throws -> TokenBudgetDefaults {
        func budget(_ name: String) throws -> Int? {
            guard let text = self[name] else { return nil }
            guard let value = Int(text), (0...1_000_000_000_000).contains(value) else {
                throw ValidationError("\(name) '\(text)' must be a whole number of tokens between 0 and 1000000000000")
            }
            return value
        }
        return TokenBudgetDefaults(daily: try budget("AGENT_DAILY_TOKEN_BUDGET"), monthly: try budget("AGENT_MONTHLY_TOKEN_BUDGET"))
    }
}

extension ProcessEnvironment {
    /// `WEBHOOK_ALLOW_PRIVATE` (1/true: tenant webhooks may reach private addresses, for
    /// development) and `WEBHOOK_ALLOWED_HOSTS` (comma-separated host names allowed whatever
    /// they resolve to).
    func webhookPolicy() throws -> WebhookDestinationPolicy {
        var allowPrivate = false
        if let text = self["WEBHOOK_ALLOW_PRIVATE"] {
            switch text.lowercased() {
            case "1", "true", "yes": allowPrivate = true
            case "0", "false", "no": allowPrivate = false
            default: throw ValidationError("WEBHOOK_ALLOW_PRIVATE '\(text)' must be 1 or 0")
            }
        }
        let hosts = (self["WEBHOOK_ALLOWED_HOSTS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        return WebhookDestinationPolicy(allowPrivate: allowPrivate, allowedHosts: Set(hosts))
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
