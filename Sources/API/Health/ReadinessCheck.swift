/// One dependency `GET /ready` reports on (PostgreSQL, Redis, …).
///
/// The API does not know how each dependency is reached; the process that assembles it hands in
/// one check per dependency, each a closure that throws when the dependency cannot serve, and may
/// return figures about it (Redis's memory use) for the operations listener's report.
public struct ReadinessCheck: Sendable {
    public let name: String
    public let check: @Sendable () async throws -> [String: Double]

    public init(name: String, check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.check = {
            try await check()
            return [:]
        }
    }

    private init(reporting name: String, check: @escaping @Sendable () async throws -> [String: Double]) {
        self.name = name
        self.check = check
    }

    /// A check that also reports figures (shown only on the operations listener).
    public static func reporting(_ name: String, _ check: @escaping @Sendable () async throws -> [String: Double]) -> ReadinessCheck {
        ReadinessCheck(reporting: name, check: check)
    }
}
