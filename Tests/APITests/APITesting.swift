import Domain
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import JWTKit
import Logging
import Prometheus
import Queue
import Redis
import Store
import TestSupport
@testable import API

/// An API wired to a fresh database, the test Redis (queues under a prefix of their own) and a
/// known JWT secret, plus token minting for two tenants.
struct APIHarness: Sendable {
    static let secret = "api-test-secret-that-is-long-enough-0123456789"
    static let logger: Logger = {
        var logger = Logger(label: "test.api")
        logger.logLevel = .error
        return logger
    }()

    let database: TestDatabase
    let redis: RedisClient
    let queues: [Queue]
    let dependencies: APIDependencies
    let tenantA: TenantID
    let tenantB: TenantID

    static func with(_ body: @Sendable (APIHarness) async throws -> Void) async throws {
        try await TestDatabase.with { database in
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
            let prefix = "api\(UUID().uuidString.prefix(6).lowercased())"
            let queues = try QueueName.all.map { try Queue(name: $0, redis: redis, options: .init(prefix: prefix), logger: logger) }
            let tenantA = TenantID(UUID()), tenantB = TenantID(UUID())
            let tenants = TenantStore(database: database.owner)
            try await tenants.createTenant(id: tenantA, slug: "a-\(tenantA.description.prefix(6))", name: "A")
            try await tenants.createTenant(id: tenantB, slug: "b-\(tenantB.description.prefix(6))", name: "B")
            let dependencies = APIDependencies(
                database: database.runtime, verifier: try await TokenVerifier(secret: secret), queues: queues, readiness: [])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await redis.run() }
                defer { group.cancelAll() }
                try await body(
                    APIHarness(
                        database: database, redis: redis, queues: queues, dependencies: dependencies, tenantA: tenantA, tenantB: tenantB))
                let keys = try await redis.execute(RedisCommand("KEYS", [.string(prefix + ":*")]), as: [String].self)
                if !keys.isEmpty { try await redis.execute(.del(keys)) }
                await redis.shutdown()
            }
        }
    }

    func app() throws -> some ApplicationProtocol {
        Application(router: try APIApplication.router(dependencies), logger: Self.logger)
    }

    /// The app with other request-handling options; `rateLimited` shares the test Redis.
    func app(
        options: APIOptions, rateLimited: Bool = false, metrics: PrometheusCollectorRegistry? = nil
    ) throws -> some ApplicationProtocol {
        var dependencies = self.dependencies
        dependencies.options = options
        dependencies.redis = rateLimited ? redis : nil
        dependencies.metrics = metrics
        return Application(router: try APIApplication.router(dependencies), logger: Self.logger)
    }

    func queue(_ name: String) -> Queue { queues.first { $0.name == name }! }

    /// A token as Supabase would sign it, with the given claims changed.
    static func token(
        tenant: TenantID?, role: String? = "admin", user: UUID = UUID(), audience: String? = "authenticated",
        expiresIn: TimeInterval = 3_600, notBefore: Date? = nil, serviceRole: Bool = false, secret: String = secret
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Array(secret.utf8)), digestAlgorithm: .sha256)
        var claims = AccessTokenClaims(
            subject: user.uuidString.lowercased(), role: serviceRole ? "service_role" : "authenticated", audience: audience,
            expiresAt: Date().addingTimeInterval(expiresIn), issuedAt: Date(), tenantID: tenant?.description, tenantRole: role)
        claims.nbf = notBefore.map { NotBeforeClaim(value: $0) }
        return try await keys.sign(claims)
    }
}

extension TestClientProtocol {
    /// Sends a JSON request with a bearer token and returns status and decoded JSON object.
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String?, json: String? = nil
    ) async throws -> (status: HTTPResponse.Status, body: [String: Any]) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
            return (response.status, object)
        }
    }
}
