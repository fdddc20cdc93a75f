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

/// `/health` and `/ready` on both listeners: the public one says up or down, the operations
/// listener adds latencies and errors.
struct HealthRoutesTests {
    struct Failure: Error, CustomStringConvertible { var description: String { "connection refused to 10.0.0.5:5432" } }

    static func operations(_ checks: [ReadinessCheck], timeout: Duration = .seconds(2)) -> some ApplicationProtocol {
        Application(router: APIApplication.operationsRouter(readiness: checks, metrics: nil, timeout: timeout))
    }

    @Test func healthAnswersWhileDependenciesAreDown() async throws {
        try await Self.operations([ReadinessCheck(name: "postgres") { throw Failure() }]).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
        }
    }

    @Test func operationsReadyReportsEachDependency() async throws {
        let checks = [
            ReadinessCheck(name: "postgres") {},
            ReadinessCheck(name: "redis") { throw Failure() },
            ReadinessCheck(name: "slow") { try await Task.sleep(for: .seconds(30)) },
        ]
        try await Self.operations(checks, timeout: .milliseconds(200)).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let report = try JSONDecoder().decode(ReadinessResponse.self, from: Data(response.body.readableBytesView))
                #expect(report.status == "unavailable")
                #expect(report.checks["postgres"]?.status == "up")
                #expect(report.checks["redis"] == DependencyStatus(status: "down", latencyMs: nil, error: "connection refused to 10.0.0.5:5432"))
                #expect(report.checks["slow"]?.status == "down")
                #expect(report.checks["slow"]?.error?.contains("no answer within") == true)
            }
        }
    }

    /// The public `/ready` says which dependency is down, never why (hosts, ports, messages).
    @Test func publicReadyIsRedacted() async throws {
        try await APIHarness.with { harness in
            var dependencies = harness.dependencies
            dependencies.readiness = [ReadinessCheck(name: "postgres") {}, ReadinessCheck(name: "redis") { throw Failure() }]
            try await Application(router: try APIApplication.router(dependencies), logger: APIHarness.logger).test(.router) { client in
                try await client.execute(uri: "/ready", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    let text = String(buffer: response.body)
                    #expect(text == #"{"checks":{"postgres":{"status":"up"},"redis":{"status":"down"}},"status":"unavailable"}"#)
                    #expect(!text.contains("10.0.0.5"))
                }
                // Operational endpoints are not on the public listener.
                #expect(try await client.execute(uri: "/metrics", method: .get) { $0.status } == .notFound)
            }
        }
    }

    @Test func readyWithRealPostgresAndRedis() async throws {
        let database = Database(url: try TestEnvironment.runtimeDatabaseURL(), logger: TestDatabase.logger)
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: TestDatabase.logger)
        let checks = [
            ReadinessCheck(name: "postgres") { try await database.ping() },
            .redis(redis),
        ]
        // A generous check timeout: this test is about real dependencies answering, not speed.
        let router = APIApplication.operationsRouter(readiness: checks, metrics: nil, timeout: .seconds(30))
        try await Application(router: router, services: [database, redis]).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                let report = try JSONDecoder().decode(ReadinessResponse.self, from: Data(response.body.readableBytesView))
                #expect(report.status == "ready")
                #expect(report.checks.keys.sorted() == ["postgres", "redis"])
                #expect(report.checks.values.allSatisfy { $0.status == "up" && $0.latencyMs != nil })
                // Redis's memory against the ceiling scripts/test gives it (maxmemory 1gb).
                let memory = try #require(report.checks["redis"]?.details)
                #expect((memory["usedMemoryBytes"] ?? 0) > 0)
                #expect(memory["maxMemoryBytes"] == 1_073_741_824)
                #expect(memory["memoryShare"].map { $0 > 0 && $0 < 1 } == true)
            }
        }
    }

    @Test func unknownRoutesUseTheErrorEnvelope() async throws {
        try await Self.operations([]).test(.router) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let body = try JSONDecoder().decode([String: String].self, from: Data(response.body.readableBytesView))
                #expect(body["error"]?.isEmpty == false)
            }
        }
    }
}
