/// One dependency `GET /ready` reports on (PostgreSQL, Redis, …).
///
/// The API does not know how each dependency is reached; the process that assembles it hands in
/// one check per dependency, each a closure that throws when the dependency cannot serve.
public struct ReadinessCheck: Sendable {
    public let name: String
    public let check: @Sendable () async throws -> Void

    public init(name: String, check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.check = check
    }
}
