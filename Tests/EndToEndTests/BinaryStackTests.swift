import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import NIOHTTP1
import Store
import Testing
import TestSupport
@testable import API

/// The real `obotcall` binary against the test services: what `scripts/dev` does, step by step.
struct BinaryStackTests {
    static let secret = "test-secret-of-at-least-thirty-two-bytes!!"

    @Test func migrateCreateTenantMintTokenAndServeReady() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let owner = database.ownerURL.absoluteString
            let first = try await ChildProcess.run(["migrate", "--database-url", owner])
            #expect(first.status == 0, "\(first.errors)")
            #expect(first.errors.contains("applied=4") || first.errors.contains("applied="), "\(first.errors)")
            let second = try await ChildProcess.run(["migrate", "--database-url", owner])
            #expect(second.status == 0)
            #expect(second.errors.contains("applied=0"), "\(second.errors)")

            let tenant = UUID().uuidString.lowercased(), user = UUID().uuidString.lowercased()
            let created = try await ChildProcess.run([
                "tenant", "create", "--database-url", owner, "--id", tenant, "--slug", "demo-\(tenant.prefix(6))",
                "--name", "Demo", "--user", user, "--role", "admin",
            ])
            #expect(created.status == 0, "\(created.errors)")
            #expect(created.output.trimmingCharacters(in: .whitespacesAndNewlines) == tenant)

            let minted = try await ChildProcess.run(["token", "--tenant", tenant, "--role", "admin", "--user", user, "--secret", Self.secret])
            #expect(minted.status == 0, "\(minted.errors)")
            let keys = JWTKeyCollection()
            await keys.add(hmac: HMACKey(from: Array(Self.secret.utf8)), digestAlgorithm: .sha256)
            let claims = try await keys.verify(minted.output.trimmingCharacters(in: .whitespacesAndNewlines), as: AccessTokenClaims.self)
            #expect(claims.effectiveTenantID == tenant)
            #expect(claims.appMetadata?.tenantRole == "admin")
            #expect(claims.sub.value == user)

            let port = try await Self.freePort()
            let opsPort = try await Self.freePort()
            let api = try ChildProcess(
                ChildProcess.obotcallPath, ["api", "--port", "\(port)", "--ops-port", "\(opsPort)"],
                environment: [
                    "DATABASE_URL": database.runtimeURL.absoluteString,
                    "REDIS_URL": try TestEnvironment.redisURL(),
                    "JWT_SECRET": Self.secret,
                    "QUEUE_PREFIX": "stack\(UUID().uuidString.prefix(6).lowercased())",
                ])
            let ready = try await Self.waitForReady(port: port)
            #expect(ready?.status == "ready", "api stderr: \(api.standardError)")
            #expect(ready?.checks["postgres"]?.status == "up")
            #expect(ready?.checks["redis"]?.status == "up")
            // The public answer names no latency or error; the operations listener has them, and the metrics.
            #expect(ready?.checks["postgres"]?.latencyMs == nil)
            let details = try await Self.waitForReady(port: opsPort)
            #expect(details?.checks["postgres"]?.latencyMs != nil)
            var metrics = HTTPClientRequest(url: "http://127.0.0.1:\(opsPort)/metrics")
            metrics.method = .GET
            let scraped = try await HTTPClient.shared.execute(metrics, timeout: .seconds(10))
            #expect(scraped.status == .ok)
            api.signal(SIGTERM)
            let status = try await api.waitForExit(timeout: .seconds(30))
            #expect(status == 0, "api did not stop cleanly on SIGTERM: \(api.standardError)")
        }
    }

    @Test func tokenRefusesAShortSecret() async throws {
        let result = try await ChildProcess.run(["token", "--tenant", UUID().uuidString, "--secret", "short"])
        #expect(result.status != 0)
        #expect(result.errors.contains("at least 32 bytes"))
    }

    @Test func migrateExplainsAMissingDatabase() async throws {
        let result = try await ChildProcess.run(["migrate"], environment: ["DATABASE_URL": "", "MIGRATION_DATABASE_URL": ""])
        #expect(result.status != 0)
        #expect(result.errors.contains("MIGRATION_DATABASE_URL"))
    }

    /// Starts `obotcall api` on free ports and waits until it is ready; returns it and its base URL.
    static func startAPI(environment: [String: String]) async throws -> (api: ChildProcess, base: String) {
        let port = try await freePort()
        let opsPort = try await freePort()
        let api = try ChildProcess(ChildProcess.obotcallPath, ["api", "--port", "\(port)", "--ops-port", "\(opsPort)"], environment: environment)
        guard try await waitForReady(port: port)?.status == "ready" else {
            api.signal(SIGKILL)
            throw ChildProcessError("the api did not become ready: \(api.standardError.suffix(2_000))")
        }
        return (api, "http://127.0.0.1:\(port)")
    }

    static func waitForReady(port: Int) async throws -> ReadinessResponse? {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/ready")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), response.status == .ok {
                let body = try await response.body.collect(upTo: 1 << 20)
                return try JSONDecoder().decode(ReadinessResponse.self, from: Data(body.readableBytesView))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    static func freePort() async throws -> Int {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        return server.port
    }
}
