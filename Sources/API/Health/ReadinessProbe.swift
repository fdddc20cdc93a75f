import Foundation

/// Runs the readiness checks (PostgreSQL, Redis, …) concurrently, each bounded by `timeout`.
///
/// The public `GET /ready` tells only up or down per dependency; the operations listener's
/// `GET /ready` adds each check's latency and error, which name hosts and ports and so stay off
/// the public listener.
public struct ReadinessProbe: Sendable {
    public let checks: [ReadinessCheck]
    /// How long one check may take before it counts as down.
    public let timeout: Duration

    public init(checks: [ReadinessCheck], timeout: Duration = .seconds(2)) {
        self.checks = checks
        self.timeout = timeout
    }

    public func run() async -> ReadinessResponse {
        let timeout = self.timeout
        let results = await withTaskGroup(of: (String, DependencyStatus).self) { group in
            for check in checks {
                group.addTask {
                    let start = ContinuousClock.now
                    let outcome = await Self.run(check.check, timeout: timeout)
                    let elapsed = ContinuousClock.now - start
                    let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
                    switch outcome {
                    case .none:
                        return (check.name, DependencyStatus(status: "up", latencyMs: (milliseconds * 100).rounded() / 100, error: nil))
                    case .some(let error):
                        return (check.name, DependencyStatus(status: "down", latencyMs: nil, error: error))
                    }
                }
            }
            var results: [String: DependencyStatus] = [:]
            for await (name, status) in group { results[name] = status }
            return results
        }
        let allUp = results.values.allSatisfy { $0.status == "up" }
        return ReadinessResponse(status: allUp ? "ready" : "unavailable", checks: results)
    }

    /// `nil` when the check passed, else a message.
    private static func run(_ check: @escaping @Sendable () async throws -> Void, timeout: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await check()
                    return nil
                } catch {
                    return String(describing: error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return "no answer within \(timeout)"
            }
            let first = await group.next() ?? "check did not run"
            group.cancelAll()
            return first
        }
    }
}

public struct HealthResponse: Codable, Sendable {
    public let status: String
}

public struct DependencyStatus: Codable, Sendable, Equatable {
    public let status: String
    public let latencyMs: Double?
    public let error: String?
}

public struct ReadinessResponse: Codable, Sendable {
    public let status: String
    public let checks: [String: DependencyStatus]
}
