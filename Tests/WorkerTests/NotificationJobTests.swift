import AsyncHTTPClient
import Domain
import Foundation
import Logging
import Store
import Queue
import Redis
import Store
import Testing
import TestSupport
@testable import Worker

/// Webhook notifications end to end: real Redis, real PostgreSQL, a local HTTP receiver.
@Suite struct NotificationJobTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.worker")
        logger.logLevel = .error
        return logger
    }()

    struct Fixture: Sendable {
        let database: TestDatabase
        let tenant: TenantID
        let intervention: UUID
        let receiver: WebhookReceiver
    }

    /// A migrated database with a tenant, an intervention and one endpoint at a local receiver.
    static func withFixture(
        statuses: [Int], urlSuffix: String = "", retryAfter: String? = nil, _ body: @Sendable (Fixture) async throws -> Void
    ) async throws {
        try await TestDatabase.with { database in
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "t-\(tenant.description.prefix(8))", name: "T")
            let receiver = try await WebhookReceiver.start(statuses: statuses, retryAfter: retryAfter)
            defer { receiver.stop() }
            let intervention = UUID()
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertIntervention(.init(id: intervention, reference: "INT-1", title: "Boiler repair", technician: "Ada"))
                try await tx.insertWebhookEndpoint(url: receiver.url + urlSuffix)
            }
            try await body(Fixture(database: database, tenant: tenant, intervention: intervention, receiver: receiver))
        }
    }

    /// Runs a worker (notification handler only) on a queue namespace of its own during `body`.
    static func withWorker(
        _ fixture: Fixture, policy: WebhookDestinationPolicy = .init(allowPrivate: true), _ body: @Sendable (Queue) async throws -> Void
    ) async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let prefix = "w\(UUID().uuidString.prefix(8).lowercased())"
        let service = WorkerService(
            configuration: WorkerConfiguration(
                queues: [QueueName.notifications: 4], processor: .init(lockDuration: .seconds(10)), workerID: "test-worker",
                queueOptions: QueueOptions(prefix: prefix)),
            redis: redis, database: fixture.database.runtime, handlers: [NotificationHandler(policy: policy)], logger: logger)
        let processors = try service.processors()
        let queue = processors[0].queue
        do {
            try await run(processors, redis: redis, queue: queue, prefix: prefix, body)
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// Runs `processors` (and the client) during `body`, then stops them and deletes the keys
    /// under `prefix`.
    static func run(
        _ processors: [QueueProcessor], redis: RedisClient, queue: Queue, prefix: String, _ body: @Sendable (Queue) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            for processor in processors { group.addTask { try await processor.run() } }
            defer { group.cancelAll() }
            do {
                try await body(queue)
            } catch {
                for processor in processors { processor.stop() }
                throw error
            }
            for processor in processors { processor.stop() }
            let keys = try await redis.execute(RedisCommand("KEYS", [.string(prefix + ":*")]), as: [String].self)
            if !keys.isEmpty { try await redis.execute(.del(keys)) }
        }
    }

    static func enqueue(_ queue: Queue, _ fixture: Fixture, attempts: Int = 3) async throws -> String {
        let payload = NotificationJob(tenantID: fixture.tenant, interventionID: fixture.intervention, event: .enRoute)
        return try await queue.add(
            NotificationJob.name, data: payload,
            options: .init(
                attempts: attempts, backoff: .fixed(.milliseconds(50)), tenantID: fixture.tenant.description)
        ).id
    }

    /// The job's state once it is completed or failed (or whatever it is after 30 s).
    static func finished(_ queue: Queue, _ id: String) async throws -> JobState {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let state = try await queue.state(of: id)
            if state == .completed || state == .failed || ContinuousClock.now > deadline { return state }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func deliversASignedWebhookAndRecordsIt() async throws {
        try await Self.withFixture(statuses: [200]) { fixture in
            try await Self.withWorker(fixture) { queue in
                let id = try await Self.enqueue(queue, fixture)
                #expect(try await Self.finished(queue, id) == .completed)
                let delivery = try #require(fixture.receiver.deliveries.first)
                #expect(fixture.receiver.deliveries.count == 1)
                #expect(delivery.headers["idempotency-key"] == "\(QueueName.notifications):\(id)")
                let secret = try await fixture.database.runtime.withTenant(fixture.tenant) { tx in try await tx.webhookSecret() }
                let signature = try #require(delivery.headers[WebhookSignature.header.lowercased()])
                #expect(WebhookSignature.verify(header: signature, body: delivery.body, secret: secret))
                #expect(!WebhookSignature.verify(header: signature, body: delivery.body + [32], secret: secret))
                #expect(!WebhookSignature.verify(header: signature, body: delivery.body, secret: "another-tenant-secret"))
                let json = try JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any]
                #expect(json?["event"] as? String == "en_route")
                #expect((json?["message"] as? String)?.contains("Ada is on the way") == true)

                let (rows, result) = try await fixture.database.runtime.withTenant(fixture.tenant) { tx in
                    (
                        try await tx.notifications(interventionID: fixture.intervention),
                        try await tx.jobResult(queue: QueueName.notifications, jobID: id)
                    )
                }
                #expect(rows.count == 1)
                #expect(rows.first?.status == .delivered)
                #expect(rows.first?.responseCode == 200)
                #expect(rows.first?.deliveredAt != nil)
                #expect(result?.state == .completed)
                #expect(result?.workerID == "test-worker")
            }
        }
    }

    @Test func retriesA503ThenSucceeds() async throws {
        try await Self.withFixture(statuses: [503, 200]) { fixture in
            try await Self.withWorker(fixture) { queue in
                let id = try await Self.enqueue(queue, fixture)
                #expect(try await Self.finished(queue, id) == .completed)
                #expect(fixture.receiver.deliveries.count == 2)
                #expect(try await queue.job(id)?.attemptsMade == 2)
                let rows = try await fixture.database.runtime.withTenant(fixture.tenant) { tx in
                    try await tx.notifications(interventionID: fixture.intervention)
                }
                #expect(rows.count == 1)
                #expect(rows.first?.attempts == 2)
                #expect(rows.first?.status == .delivered)
            }
        }
    }

    @Test func a429WaitsAsAskedWithoutUsingAnAttempt() async throws {
        try await Self.withFixture(statuses: [429, 200], retryAfter: "1") { fixture in
            try await Self.withWorker(fixture) { queue in
                // One attempt only: had the 429 used it, the job would have failed.
                let id = try await Self.enqueue(queue, fixture, attempts: 1)
                #expect(try await Self.finished(queue, id) == .completed)
                #expect(fixture.receiver.deliveries.count == 2)
                let job = try #require(try await queue.job(id))
                #expect(job.attemptsMade == 1 && job.attemptsStarted == 2)
                let rows = try await fixture.database.runtime.withTenant(fixture.tenant) { tx in
                    try await tx.notifications(interventionID: fixture.intervention)
                }
                #expect(rows.map(\.status) == [.delivered])
            }
        }
    }

    @Test func anEndpointThatAskedToWaitIsNotCalledByOtherJobsMeanwhile() async throws {
        try await Self.withFixture(statuses: [429], retryAfter: "3") { fixture in
            try await Self.withWorker(fixture) { queue in
                let first = try await Self.enqueue(queue, fixture)
                #expect(try await TestSupport.eventually(timeout: .seconds(30)) { try await queue.state(of: first) == .delayed })
                // A second job for the same endpoint waits for the hold without calling it.
                let second = try await Self.enqueue(queue, fixture)
                #expect(try await TestSupport.eventually(timeout: .seconds(30)) { try await queue.state(of: second) == .delayed })
                #expect(fixture.receiver.deliveries.count == 1)
                #expect(try await queue.job(second)?.attemptsMade == 0)
                // Once the hold is over both are delivered.
                #expect(try await Self.finished(queue, first) == .completed)
                #expect(try await Self.finished(queue, second) == .completed)
                #expect(fixture.receiver.deliveries.count == 3)
            }
        }
    }

    /// The issue's case: a receiver answers 429 with `Retry-After: 2`; two workers share the
    /// queue; no attempt is used, nobody calls the endpoint for 2 s, then everything is delivered.
    @Test func a429HoldsTheEndpointForEveryWorkerUntilItsRetryAfter() async throws {
        try await Self.withFixture(statuses: [429], retryAfter: "2") { fixture in
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: Self.logger)
            let prefix = "w\(UUID().uuidString.prefix(8).lowercased())"
            let processors = try ["worker-1", "worker-2"].flatMap { name in
                try WorkerService(
                    configuration: WorkerConfiguration(
                        queues: [QueueName.notifications: 2], processor: .init(lockDuration: .seconds(10)), workerID: name,
                        queueOptions: QueueOptions(prefix: prefix)),
                    redis: redis, database: fixture.database.runtime, handlers: [NotificationHandler(policy: .init(allowPrivate: true))],
                    logger: Self.logger
                ).processors()
            }
            try await Self.run(processors, redis: redis, queue: processors[0].queue, prefix: prefix) { queue in
                // One attempt each: a 429 that used it would fail the job.
                let first = try await Self.enqueue(queue, fixture, attempts: 1)
                #expect(try await TestSupport.eventually(timeout: .seconds(30)) { try await queue.state(of: first) == .delayed })
                let second = try await Self.enqueue(queue, fixture, attempts: 1)
                #expect(try await Self.finished(queue, first) == .completed)
                #expect(try await Self.finished(queue, second) == .completed)
                let deliveries = fixture.receiver.deliveries
                #expect(deliveries.count == 3)
                // Nothing reached the endpoint during the 2 s it asked for.
                #expect(deliveries.count == 3 && deliveries[1].receivedAt - deliveries[0].receivedAt >= .seconds(2))
                for id in [first, second] { #expect(try await queue.job(id)?.attemptsMade == 1) }
            }
        }
    }

    @Test func aDeliveryStillFailingAtTheLastAttemptEndsFailed() async throws {
        try await Self.withFixture(statuses: [503, 503]) { fixture in
            try await Self.withWorker(fixture) { queue in
                let id = try await Self.enqueue(queue, fixture, attempts: 2)
                #expect(try await Self.finished(queue, id) == .failed)
                #expect(fixture.receiver.deliveries.count == 2)
                let (rows, result) = try await fixture.database.runtime.withTenant(fixture.tenant) { tx in
                    (
                        try await tx.notifications(interventionID: fixture.intervention),
                        try await tx.jobResult(queue: QueueName.notifications, jobID: id)
                    )
                }
                // Nothing will retry it: the row says so, not "retrying".
                #expect(rows.map(\.status) == [.failed])
                #expect(rows.first?.attempts == 2)
                #expect(rows.first?.responseCode == 503)
                #expect(result?.state == .failed)
            }
        }
    }

    @Test func a400FailsWithoutRetry() async throws {
        try await Self.withFixture(statuses: [400]) { fixture in
            try await Self.withWorker(fixture) { queue in
                let id = try await Self.enqueue(queue, fixture, attempts: 5)
                #expect(try await Self.finished(queue, id) == .failed)
                #expect(fixture.receiver.deliveries.count == 1)
                let job = try #require(try await queue.job(id))
                #expect(job.attemptsMade == 1)
                #expect(job.failedReason?.contains("HTTP 400") == true)
                let (rows, result) = try await fixture.database.runtime.withTenant(fixture.tenant) { tx in
                    (
                        try await tx.notifications(interventionID: fixture.intervention),
                        try await tx.jobResult(queue: QueueName.notifications, jobID: id)
                    )
                }
                #expect(rows.first?.status == .failed)
                #expect(rows.first?.responseCode == 400)
                #expect(result?.state == .failed)
                #expect(result?.error?.contains("HTTP 400") == true)
            }
        }
    }

    /// A tenant's endpoint on the platform's own network is refused before any connection, for
    /// good, and neither the URL (a secret) nor its query reaches the failure reason.
    @Test func privateDestinationsAreRefusedWithoutRevealingTheURL() async throws {
        try await Self.withFixture(statuses: [], urlSuffix: "?token=sekrit-token") { fixture in
            try await Self.withWorker(fixture, policy: WebhookDestinationPolicy()) { queue in
                let id = try await Self.enqueue(queue, fixture, attempts: 5)
                #expect(try await Self.finished(queue, id) == .failed)
                #expect(fixture.receiver.deliveries.isEmpty)
                let job = try #require(try await queue.job(id))
                #expect(job.attemptsMade == 1)
                let reason = try #require(job.failedReason)
                #expect(reason.contains("non-public address"), "\(reason)")
                #expect(!reason.contains("sekrit") && !reason.contains("/hook"), "\(reason)")
                let rows = try await fixture.database.runtime.withTenant(fixture.tenant) { tx in
                    try await tx.notifications(interventionID: fixture.intervention)
                }
                #expect(rows.first?.status == .failed)
                #expect(rows.first?.lastError?.contains("sekrit") == false)
            }
        }
    }

    /// What a receiver answers is not repeated in the job's failure (it may echo secrets).
    @Test func receiversAnswersAreNotEchoed() async throws {
        try await Self.withFixture(statuses: [500]) { fixture in
            try await Self.withWorker(fixture) { queue in
                let id = try await Self.enqueue(queue, fixture, attempts: 1)
                #expect(try await Self.finished(queue, id) == .failed)
                let reason = try #require(try await queue.job(id)?.failedReason)
                #expect(reason.contains("HTTP 500"))
                #expect(!reason.contains("status 500"), "\(reason)")
                #expect(!reason.contains(fixture.receiver.url), "\(reason)")
            }
        }
    }

    @Test func runningTheSameJobTwiceLeavesOneNotification() async throws {
        try await Self.withFixture(statuses: []) { fixture in
            try await Self.withWorker(fixture) { queue in
                let id = try await Self.enqueue(queue, fixture)
                #expect(try await Self.finished(queue, id) == .completed)
                // Run it again, as after a crash between the database commit and the Redis ack.
                try await queue.retry(id)
                #expect(try await QueueWaiting.eventually { try await queue.state(of: id) == .completed })
                let (rows, result) = try await fixture.database.runtime.withTenant(fixture.tenant) { tx in
                    (
                        try await tx.notifications(interventionID: fixture.intervention),
                        try await tx.jobResult(queue: QueueName.notifications, jobID: id)
                    )
                }
                #expect(fixture.receiver.deliveries.count == 1)
                #expect(rows.count == 1)
                #expect(result?.result?.contains(#""alreadySettled": 1"#) == true || result?.result?.contains(#""alreadySettled":1"#) == true)
            }
        }
    }

    @Test func unusableJobsFailAtOnceWithAClearReason() async throws {
        try await Self.withFixture(statuses: []) { fixture in
            try await Self.withWorker(fixture) { queue in
                let missing = try await queue.add(
                    NotificationJob.name,
                    data: NotificationJob(
                        tenantID: fixture.tenant, interventionID: UUID(), event: .completed),
                    options: .init(attempts: 5, tenantID: fixture.tenant.description)
                ).id
                let malformed = try await queue.add(
                    NotificationJob.name, json: #"{"tenantId":"\#(fixture.tenant)","event":"exploded"}"#,
                    options: .init(attempts: 5, tenantID: fixture.tenant.description)
                ).id
                let unknown = try await queue.add("mystery", data: ["tenantId": fixture.tenant.description], options: .init(attempts: 5)).id
                let untenanted = try await queue.add(NotificationJob.name, data: ["x": 1], options: .init(attempts: 5)).id
                for id in [missing, malformed, unknown, untenanted] {
                    #expect(try await Self.finished(queue, id) == .failed)
                    #expect(try await queue.job(id)?.attemptsMade == 1, "job \(id) was retried")
                }
                #expect(try await queue.job(missing)?.failedReason?.contains("does not exist") == true)
                #expect(try await queue.job(malformed)?.failedReason?.contains("malformed payload") == true)
                #expect(try await queue.job(unknown)?.failedReason?.contains("no handler for job 'mystery'") == true)
                // The payload is decoded once, tenant included: a job naming none is malformed.
                #expect(try await queue.job(untenanted)?.failedReason?.contains("malformed payload") == true)
                #expect(try await queue.job(untenanted)?.failedReason?.contains("tenantId") == true)
                // A job that names its tenant keeps its failure on record, malformed or not.
                let (missingRow, malformedRow) = try await fixture.database.runtime.withTenant(fixture.tenant) { tx in
                    (
                        try await tx.jobResult(queue: QueueName.notifications, jobID: missing),
                        try await tx.jobResult(queue: QueueName.notifications, jobID: malformed)
                    )
                }
                #expect(missingRow?.state == .failed)
                #expect(malformedRow?.state == .failed)
                #expect(malformedRow?.error?.contains("malformed payload") == true)
                #expect(fixture.receiver.deliveries.isEmpty)
            }
        }
    }
}

enum QueueWaiting {
    static func eventually(timeout: Duration = .seconds(30), _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        try await TestSupport.eventually(timeout: timeout, condition)
    }
}

/// PostgreSQL stopped while jobs arrive: the jobs wait (without using up attempts) and complete
/// once it is back.
@Suite struct DatabaseOutageTests {
    @Test func jobsCompleteAfterPostgreSQLReturns() async throws {
        let server = try await PostgresServerProcess.start()
        defer { server.stop() }
        let logger = NotificationJobTests.logger
        let owner = Database(url: try DatabaseURL(server.ownerURL), logger: logger)
        let runtime = Database(url: try DatabaseURL(server.runtimeURL), logger: logger)
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await owner.run() }
            group.addTask { try await runtime.run() }
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }
            _ = try await Migrator(migrations: Migration.load(directory: TestEnvironment.migrationsDirectory), logger: logger).run(on: owner.client)
            let tenant = TenantID(UUID())
            try await TenantStore(database: owner).createTenant(id: tenant, slug: "outage", name: "Outage")
            let intervention = UUID()
            try await runtime.withTenant(tenant) { tx in
                try await tx.insertIntervention(.init(id: intervention, reference: "O-1", title: "Outage"))
                try await tx.insertWebhookEndpoint(url: receiver.url)
            }
            var runner = JobRunner(
                queue: QueueName.notifications, handlers: [NotificationHandler(policy: .init(allowPrivate: true))], database: runtime,
                workerID: "outage-worker", logger: logger)
            runner.unavailableDelay = .milliseconds(200)
            let configured = runner
            let queue = try Queue(
                name: QueueName.notifications, redis: redis, options: .init(prefix: "o\(UUID().uuidString.prefix(6).lowercased())"), logger: logger)
            let processor = QueueProcessor(queue: queue, options: .init(concurrency: 2), logger: logger) { try await configured.execute($0) }
            group.addTask { try await processor.run() }

            try server.stopServer()
            let id = try await queue.add(
                NotificationJob.name, data: NotificationJob(tenantID: tenant, interventionID: intervention, event: .scheduled),
                options: .init(attempts: 1, tenantID: tenant.description)
            ).id
            // The job is taken while the database is down…
            #expect(try await QueueWaiting.eventually { (try await queue.job(id)?.attemptsStarted ?? 0) >= 1 })
            try server.startServer()
            // …and completes once it is back, although it had a single attempt.
            #expect(try await QueueWaiting.eventually(timeout: .seconds(120)) { try await queue.state(of: id) == .completed })
            let job = try #require(try await queue.job(id))
            #expect(job.attemptsMade == 1)
            let result = try await runtime.withTenant(tenant) { tx in try await tx.jobResult(queue: QueueName.notifications, jobID: id) }
            #expect(result?.state == .completed)
            processor.stop()
        }
        try await http.shutdown()
    }
}
