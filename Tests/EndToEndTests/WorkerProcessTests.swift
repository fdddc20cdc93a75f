import AsyncHTTPClient
import Domain
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Queue
import Redis
import Store
import Testing
import TestSupport

/// The real `obotcall worker` process: graceful shutdown with a job in flight, metrics endpoint.
struct WorkerProcessTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.e2e")
        logger.logLevel = .error
        return logger
    }()

    @Test func sigtermLetsTheRunningJobFinishAndMetricsCountIt() async throws {
        try await TestDatabase.with { database in
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "e2e-\(tenant.description.prefix(6))", name: "E2E")
            // The endpoint answers after 1.5 s, so the job is still running when SIGTERM arrives.
            let receiver = try await WebhookReceiver.start(delay: .milliseconds(1_500))
            defer { receiver.stop() }
            let intervention = UUID()
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertIntervention(.init(id: intervention, reference: "E2E-1", title: "Inspection"))
                try await tx.insertWebhookEndpoint(url: receiver.url)
            }
            let prefix = "e2e\(UUID().uuidString.prefix(6).lowercased())"
            let metricsPort = try await Self.freePort()
            let worker = try ChildProcess(
                ChildProcess.obotcallPath,
                [
                    "worker", "--queue", "\(QueueName.notifications):2", "--metrics-port", "\(metricsPort)", "--metrics-host", "127.0.0.1",
                    "--queue-prefix", prefix, "--grace-period", "20",
                ],
                environment: [
                    "DATABASE_URL": database.runtimeURL.absoluteString, "REDIS_URL": try TestEnvironment.redisURL(),
                    "WEBHOOK_ALLOW_PRIVATE": "1",
                ])

            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await redis.run() }
                defer { group.cancelAll() }
                let queue = try Queue(name: QueueName.notifications, redis: redis, options: .init(prefix: prefix), logger: Self.logger)
                let id = try await queue.add(
                    NotificationJob.name,
                    data: NotificationJob(
                        tenantID: tenant, interventionID: intervention, event: .scheduled), options: .init(tenantID: tenant.description)
                ).id

                #expect(try await Self.eventually { try await queue.state(of: id) == .active })
                // The running worker is "seen" by admins (its heartbeat comes with its stalled checks,
                // which start beside its first fetch, not before it), and forgotten once it stops.
                #expect(try await Self.eventually { try await queue.workersSeen().count == 1 })
                worker.signal(SIGTERM)
                let status = try await worker.waitForExit(timeout: .seconds(40))
                #expect(status == 0, "worker exited with \(String(describing: status)): \(worker.standardError)")
                #expect(try await queue.state(of: id) == .completed)
                #expect(receiver.deliveries.count == 1)
                let result = try await database.runtime.withTenant(tenant) { tx in
                    try await tx.jobResult(queue: QueueName.notifications, jobID: id)
                }
                #expect(result?.state == .completed)
                #expect(worker.standardError.contains("worker stopped"))
                #expect(try await queue.workersSeen().isEmpty)
                await redis.shutdown()
            }
        }
    }

    @Test func metricsEndpointExportsJobCounters() async throws {
        try await TestDatabase.with { database in
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "m-\(tenant.description.prefix(6))", name: "M")
            let receiver = try await WebhookReceiver.start()
            defer { receiver.stop() }
            let intervention = UUID()
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertIntervention(.init(id: intervention, reference: "M-1", title: "Check"))
                try await tx.insertWebhookEndpoint(url: receiver.url)
            }
            let prefix = "m\(UUID().uuidString.prefix(6).lowercased())"
            let port = try await Self.freePort()
            let worker = try ChildProcess(
                ChildProcess.obotcallPath,
                [
                    "worker", "--metrics-port", "\(port)", "--metrics-host", "127.0.0.1", "--queue-prefix", prefix,
                ],
                environment: [
                    "DATABASE_URL": database.runtimeURL.absoluteString, "REDIS_URL": try TestEnvironment.redisURL(),
                    "WEBHOOK_ALLOW_PRIVATE": "1",
                ])
            defer { worker.signal(SIGKILL) }
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await redis.run() }
                defer { group.cancelAll() }
                let queue = try Queue(name: QueueName.notifications, redis: redis, options: .init(prefix: prefix), logger: Self.logger)
                let id = try await queue.add(
                    NotificationJob.name,
                    data: NotificationJob(
                        tenantID: tenant, interventionID: intervention, event: .completed), options: .init(tenantID: tenant.description)
                ).id
                #expect(try await Self.eventually { try await queue.state(of: id) == .completed })
                #expect(
                    try await Self.eventually {
                        let metrics = try await Self.get("http://127.0.0.1:\(port)/metrics")
                        return metrics.split(separator: "\n").contains { line in
                            line.hasPrefix("obotcall_jobs_processed_total{") && line.contains(#"name="intervention-notification""#)
                                && line.contains(#"queue="inter-notifications""#) && line.hasSuffix(" 1")
                        }
                    })
                let metrics = try await Self.get("http://127.0.0.1:\(port)/metrics")
                // Per tenant, under the tenant's own label (one of the first 100 seen).
                let tenantLines = metrics.split(separator: "\n").filter { $0.hasPrefix("obotcall_tenant_jobs_completed_total{") }
                #expect(tenantLines.contains { $0.contains(#"tenant="\#(tenant)""#) && $0.hasSuffix(" 1") }, "\(tenantLines)")
                #expect(metrics.contains("obotcall_tenant_processing_milliseconds_total{"))
                // The notifications queue is fair by default.
                #expect(try await queue.isFair())
                #expect(metrics.contains("obotcall_job_duration_seconds"))
                #expect(metrics.contains("obotcall_jobs_in_flight"))
                #expect(try await Self.get("http://127.0.0.1:\(port)/health") == "ok")
                await redis.shutdown()
            }
        }
    }

    static func get(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        return String(buffer: try await response.body.collect(upTo: 4 << 20))
    }

    static func eventually(timeout: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    static func freePort() async throws -> Int {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        return server.port
    }
}
