import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Logging
import Redis
import Store
import Testing
import TestSupport
@testable import API

struct HealthRoutesTests {
    struct Failure: Error, CustomStringConvertible { var description: String { "connection refused" } }

    static func app(_ checks: [ReadinessCheck]) -> some ApplicationProtocol {
        Application(router: APIApplication.healthRouter(readiness: checks))
    }

    @Test func healthAnswersWhileDependenciesAreDown() async throws {
        try await Self.app([ReadinessCheck(name: "postgres") { throw Failure() }]).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
        }
    }

    @Test func readyReportsEachDependency() async throws {
        let checks = [
            ReadinessCheck(name: "postgres") {},
            ReadinessCheck(name: "redis") { throw Failure() },
            ReadinessCheck(name: "slow") { try await Task.sleep(for: .seconds(30)) },
        ]
        let app = Application(router: {
            let router = Router(context: APIRequestContext.self)
            HealthRoutes<APIRequestContext>(checks: checks, timeout: .milliseconds(200)).register(on: router)
            return router
        }())
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let report = try JSONDecoder().decode(ReadinessResponse.self, from: Data(response.body.readableBytesView))
                #expect(report.status == "unavailable")
                #expect(report.checks["postgres"]?.status == "up")
                #expect(report.checks["redis"] == DependencyStatus(status: "down", latencyMs: nil, error: "connection refused"))
                #expect(report.checks["slow"]?.status == "down")
                #expect(report.checks["slow"]?.error?.contains("no answer within") == true)
            }
        }
    }

    @Test func readyWithRealPostgresAndRedis() async throws {
        let database = Database(url: try TestEnvironment.runtimeDatabaseURL(), logger: TestDatabase.logger)
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: TestDatabase.logger)
        let checks = [
            ReadinessCheck(name: "postgres") { try await database.ping() },
            ReadinessCheck(name: "redis") { try await redis.execute(.ping()) },
        ]
        // A generous check timeout: this test is about real dependencies answering, not speed.
        let router = APIApplication.healthRouter(readiness: checks, timeout: .seconds(30))
        try await Application(router: router, services: [database, redis]).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                let report = try JSONDecoder().decode(ReadinessResponse.self, from: Data(response.body.readableBytesView))
                #expect(report.status == "ready")
                #expect(report.checks.keys.sorted() == ["postgres", "redis"])
                #expect(report.checks.values.allSatisfy { $0.status == "up" && $0.latencyMs != nil })
            }
        }
    }

    @Test func unknownRoutesUseTheErrorEnvelope() async throws {
        try await Self.app([]).test(.router) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let body = try JSONDecoder().decode([String: String].self, from: Data(response.body.readableBytesView))
                #expect(body["error"]?.isEmpty == false)
            }
        }
    }
}
