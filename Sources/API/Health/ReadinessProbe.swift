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
                    case .success(let details):
                        return (
                            check.name,
                            DependencyStatus(
                                status: "up", latencyMs: (milliseconds * 100).rounded() / 100, error: nil, details: details.isEmpty ? nil : details)
                        )
                    case .failure(let error):
                        return (check.name, DependencyStatus(status: "down", latencyMs: nil, error: error.message))
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

    /// The check's figures when it passed, else a message.
    private static func run(
        _ check: @escaping @Sendable () async throws -> [String: Double], timeout: Duration
    ) async -> Result<[String: Double], CheckFailure> {
        await withTaskGroup(of: Result<[String: Double], CheckFailure>.self) { group in
            group.addTask {
                do {
                    return .success(try await check())
                } catch {
                    return .failure(CheckFailure(message: String(describing: error)))
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .failure(CheckFailure(message: "no answer within \(timeout)"))
            }
            let first = await group.next() ?? .failure(CheckFailure(message: "check did not run"))
            group.cancelAll()
            return first
        }
    }

    private struct CheckFailure: Error {
        let message: String
    }
}

public struct HealthResponse: Codable, Sendable {
    public let status: String
}

public struct DependencyStatus: Codable, Sendable, Equatable {
    public let status: String
    public let latencyMs: Double?
    public let error: String?
    /// Figures the check reported (Redis: `usedMemoryBytes`, `maxMemoryBytes`, `memoryShare`).
    public let details: [String: Double]?

    public init(status: String, latencyMs: Double?, error: String?, details: [String: Double]? = nil) {
        self.status = status
        self.latencyMs = latencyMs
        self.error = error
        self.details = details
    }
}

public struct ReadinessResponse: Codable, Sendable {
    public let status: String
    public let checks: [String: DependencyStatus]
}
