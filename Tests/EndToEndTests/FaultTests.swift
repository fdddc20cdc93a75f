import API
import AsyncHTTPClient
import Domain
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import Queue
import Redis
import Store
import Testing
import TestSupport

/// Faults injected into real processes, asserted by counting: Redis lost under accepted jobs,
/// PostgreSQL stopped under running jobs, SIGTERM with a job that will not finish.
@Suite(.serialized) struct FaultTests {
    static let secret = "fault-secret-of-at-least-thirty-two-bytes"

    /// Every 202 becomes one completed job, though Redis is killed (it keeps no data) with
    /// accepted jobs not yet run, and more are accepted while it is down.
    @Test func everyAcceptedJobRunsThoughRedisIsLost() async throws {
        try await TestDatabase.with { database in
            let redis = try await RedisServerProcess.start()
            defer { redis.stop() }
            let receiver = try await WebhookReceiver.start()
            defer { receiver.stop() }
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "f-\(tenant.description.prefix(6))", name: "F")
            let intervention = UUID()
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertIntervention(.init(id: intervention, reference: "F-1", title: "Fault"))
                try await tx.insertWebhookEndpoint(url: receiver.url)
            }
            let token = try await ChildProcess.run(["token", "--tenant", tenant.description, "--role", "member", "--secret", Self.secret])
                .output.trimmingCharacters(in: .whitespacesAndNewlines)
            let environment = [
                "DATABASE_URL": database.runtimeURL.absoluteString, "REDIS_URL": redis.url, "JWT_SECRET": Self.secret,
                "RATE_LIMIT_PER_MINUTE": "0", "OUTBOX_RECHECK_SECONDS": "1", "WEBHOOK_ALLOW_PRIVATE": "1",
            ]
            let (api, base) = try await BinaryStackTests.startAPI(environment: environment)
            defer { api.signal(SIGKILL) }
            let url = "\(base)/api/interventions/\(intervention)/notifications"

            var accepted: [String] = []
            for _ in 0..<30 { accepted.append(try await Self.notify(url, token: token)) }
            // Redis dies (with no persistence: every accepted job it held is gone)…
            redis.kill()
            // …and the API still accepts: the promise is in PostgreSQL.
            for _ in 0..<10 { accepted.append(try await Self.notify(url, token: token)) }
            try await redis.launch()

            let worker = try ChildProcess(
                ChildProcess.obotcallPath, ["worker", "--queue", "\(QueueName.notifications):4", "--metrics-port", "0"], environment: environment)
            defer { worker.signal(SIGKILL) }
            let ids = Set(accepted)
            #expect(ids.count == 40)
            let completed = try await eventually(timeout: .seconds(120), every: .milliseconds(200)) {
                try await Self.completed(database, tenant: tenant).isSuperset(of: ids)
            }
            #expect(completed, "api: \(api.standardError.suffix(1_500)) worker: \(worker.standardError.suffix(1_500))")
            // Exactly one result row per job (the key), and each delivery keyed by its job.
            let keys = receiver.deliveries.compactMap { $0.headers["idempotency-key"] }
            #expect(Set(keys) == Set(ids.map { "\(QueueName.notifications):\($0)" }))
            #expect(api.standardError.contains("added accepted jobs Redis did not have"))

            for process in [api, worker] { process.signal(SIGTERM) }
            #expect(try await api.waitForExit(timeout: .seconds(30)) == 0)
            #expect(try await worker.waitForExit(timeout: .seconds(40)) == 0)
        }
    }

    /// Redis killed under running jobs and started again on its data (append-only file) after
    /// the jobs' locks have expired: the workers still hold the jobs, re-lock and finish them,
    /// so none waits for the stalled check or spends a stall, and each completes once.
    @Test func jobsInFlightFinishWhenRedisComesBackWithItsData() async throws {
        try await TestDatabase.with { database in
            let redis = try await RedisServerProcess.start(configuration: ["appendonly yes", "appendfsync always"])
            defer { redis.stop() }
            // Each delivery outlasts the outage, so every job is in flight across it.
            let receiver = try await WebhookReceiver.start(delay: .seconds(6))
            defer { receiver.stop() }
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "r-\(tenant.description.prefix(6))", name: "R")
            let intervention = UUID()
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertIntervention(.init(id: intervention, reference: "R-1", title: "Restart"))
                try await tx.insertWebhookEndpoint(url: receiver.url)
            }
            let logger = Logger(label: "test.faults")
            let client = RedisClient(configuration: try RedisConfiguration(url: redis.url), logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                let queue = try Queue(name: QueueName.notifications, redis: client, logger: logger)
                let payload = NotificationJob(tenantID: tenant, interventionID: intervention, event: .scheduled)
                let ids = Set(
                    try await queue.addBulk(
                        try (0..<8).map { _ in
                            try NewJob(
                                name: NotificationJob.name, data: payload,
                                options: .init(
                                    jobID: "notify-\(UUID.random().lowercasedText)", attempts: 3, tenantID: tenant.description))
                        }
                    ).map(\.id))
                let worker = try ChildProcess(
                    ChildProcess.obotcallPath,
                    [
                        "worker", "--queue", "\(QueueName.notifications):10", "--metrics-port", "0", "--lock-duration", "2",
                    ],
                    environment: [
                        "DATABASE_URL": database.runtimeURL.absoluteString, "REDIS_URL": redis.url, "WEBHOOK_ALLOW_PRIVATE": "1",
                    ])
                defer { worker.signal(SIGKILL) }
                #expect(try await eventually(timeout: .seconds(60)) { try await queue.counts().active == ids.count })
                redis.kill()
                // Down longer than a lock lasts: the locks are expired when the data comes back.
                try await Task.sleep(for: .seconds(3))
                try await redis.launch()
                #expect(
                    try await eventually(timeout: .seconds(60), every: .milliseconds(200)) {
                        try await Self.completed(database, tenant: tenant) == ids
                    }, "worker: \(worker.standardError.suffix(2_000))")
                #expect(try await eventually(timeout: .seconds(30)) { try await queue.counts().completed == ids.count })
                let jobs = try await queue.jobs(ids: Array(ids))
                #expect(jobs.count == ids.count)
                #expect(jobs.allSatisfy { $0.stalledCount == 0 }, "\(jobs.map { ($0.id, $0.stalledCount) })")
                #expect(Set(receiver.deliveries.compactMap { $0.headers["idempotency-key"] }).count == ids.count)
                worker.signal(SIGTERM)
                #expect(try await worker.waitForExit(timeout: .seconds(40)) == 0)
                await client.shutdown()
            }
        }
    }

    /// PostgreSQL stopped under running jobs (`fast` ends every session, `immediate` kills the
    /// server): once it is back every job completes and none is left active.
    @Test(arguments: ["fast", "immediate"])
    func runningJobsFinishAfterPostgreSQLStops(mode: String) async throws {
        let server = try await PostgresServerProcess.start()
        defer { server.stop() }
        let logger = Logger(label: "test.faults")
        let owner = Database(url: try DatabaseURL(server.ownerURL), logger: logger)
        let receiver = try await WebhookReceiver.start(delay: .milliseconds(200))
        defer { receiver.stop() }
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await owner.run() }
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }
            _ = try await Migrator(migrations: Migration.load(directory: TestEnvironment.migrationsDirectory), logger: logger).run(on: owner.client)
            let tenant = TenantID(UUID())
            try await TenantStore(database: owner).createTenant(id: tenant, slug: "pg-\(tenant.description.prefix(6))", name: "PG")
            let intervention = UUID()
            try await owner.withTransaction { connection in
                try await connection.query(
                    "SELECT set_config('app.tenant_id', \(tenant.description), true)", logger: logger)
                try await connection.query(
                    "INSERT INTO inter_app.interventions (id, tenant_id, reference, title) VALUES (\(intervention), \(tenant.rawValue), 'PG-1', 'Outage')",
                    logger: logger)
                try await connection.query(
                    "INSERT INTO inter_app.webhook_endpoints (tenant_id, url) VALUES (\(tenant.rawValue), \(receiver.url))", logger: logger)
            }
            let prefix = "pg\(UUID().uuidString.prefix(6).lowercased())"
            let queue = try Queue(name: QueueName.notifications, redis: redis, options: .init(prefix: prefix), logger: logger)
            let worker = try ChildProcess(
                ChildProcess.obotcallPath,
                [
                    "worker", "--queue", "\(QueueName.notifications):5", "--metrics-port", "0", "--queue-prefix", prefix,
                ],
                environment: [
                    // Short deadlines, so the test does not wait out production's.
                    "DATABASE_URL": server.runtimeURL + "&call_timeout_seconds=3", "REDIS_URL": try TestEnvironment.redisURL(),
                    "WEBHOOK_ALLOW_PRIVATE": "1",
                ])
            defer { worker.signal(SIGKILL) }
            var ids: [String] = []
            for _ in 0..<40 {
                ids.append(
                    try await queue.add(
                        NotificationJob.name,
                        data: NotificationJob(
                            tenantID: tenant, interventionID: intervention, event: .scheduled),
                        options: .init(attempts: 3, tenantID: tenant.description)
                    ).id)
            }
            // Stop the server while jobs are running and some are done.
            #expect(try await eventually(timeout: .seconds(60)) { receiver.deliveries.count >= 5 })
            #expect(try await queue.counts().active > 0)
            try server.stopServer(mode: mode)
            // The outage lasts until the worker has noticed it (its jobs are being delayed).
            #expect(
                try await eventually(timeout: .seconds(60), every: .milliseconds(100)) {
                    worker.standardError.contains("job delayed without counting an attempt")
                })
            try server.startServer()

            let total = ids.count
            let all = try await eventually(timeout: .seconds(120), every: .milliseconds(200)) {
                let counts = try await queue.counts()
                return counts.completed == total && counts.active == 0
            }
            let counts = try await queue.counts()
            #expect(all, "\(counts); worker: \(worker.standardError.suffix(2_000))")
            let recorded = try await owner.withTransaction { connection in
                try await connection.query(
                    "SELECT count(*)::int FROM public.job_results WHERE state = 'completed'", logger: logger
                ).collect().first?.decode(Int.self)
            }
            #expect(recorded == total)
            worker.signal(SIGTERM)
            #expect(try await worker.waitForExit(timeout: .seconds(40)) == 0, "worker: \(worker.standardError.suffix(2_000))")
            await redis.shutdown()
        }
    }

    /// A job whose handler does not finish: SIGTERM, the grace period, then the job goes back to
    /// wait (its attempt not counted) and the process exits well within grace + 5 s.
    @Test func sigtermWithAStuckJobExitsWithinItsBound() async throws {
        try await Self.withWorkerFixture(delay: .seconds(120)) { fixture in
            let worker = try ChildProcess(
                ChildProcess.obotcallPath, fixture.workerArguments + ["--grace-period", "1"], environment: fixture.environment)
            defer { worker.signal(SIGKILL) }
            let id = try #require(try await fixture.enqueue(1, attempts: 3).first)
            #expect(try await eventually(timeout: .seconds(60)) { try await fixture.queue.state(of: id) == .active })
            worker.signal(SIGTERM)
            // Grace 1 s plus the 5 s bound; the release itself makes it exit sooner, cleanly.
            #expect(try await worker.waitForExit(timeout: .seconds(6)) == 0, "worker: \(worker.standardError.suffix(2_000))")
            #expect(try await fixture.queue.state(of: id) == .waiting)
            #expect(try await fixture.queue.job(id)?.attemptsMade == 0)
        }
    }

    /// Workers killed with SIGKILL, one a second, while 2,000 jobs run: every job completes,
    /// once in `job_results`, and every delivery a receiver saw carries its job's key.
    @Test func killingWorkersEverySecondLosesNoJob() async throws {
        try await Self.withWorkerFixture { fixture in
            let total = 2_000
            let ids = try await fixture.enqueue(total, attempts: 5)
            #expect(ids.count == total)
            // Short locks and frequent stalled checks, so killed workers' jobs come back fast;
            // enough allowed stalls that being killed twice does not fail a job.
            let arguments = fixture.workerArguments + ["--lock-duration", "2", "--stalled-interval", "1", "--max-stalled-count", "20"]
            var workers = try (0..<3).map { _ in try ChildProcess(ChildProcess.obotcallPath, arguments, environment: fixture.environment) }
            defer { for worker in workers { worker.signal(SIGKILL) } }
            var kills = 0
            let deadline = ContinuousClock.now + .seconds(240)
            while ContinuousClock.now < deadline, try await fixture.completed().count < total {
                // The fault cadence: one kill a second while jobs remain.
                try await Task.sleep(for: .seconds(1))
                let victim = Int.random(in: 0..<workers.count)
                workers[victim].signal(SIGKILL)
                _ = try await workers[victim].waitForExit(timeout: .seconds(10))
                kills += 1
                workers[victim] = try ChildProcess(ChildProcess.obotcallPath, arguments, environment: fixture.environment)
            }
            let completed = try await fixture.completed()
            #expect(completed == ids, "\(completed.count) of \(total) completed after \(kills) kills")
            #expect(kills >= 3, "the run ended before the faults it is about")
            #expect(
                try await eventually(timeout: .seconds(60)) {
                    let counts = try await fixture.queue.counts()
                    return counts.completed == total && counts.active == 0 && counts.waiting == 0
                })
            let keys = fixture.receiver.deliveries.compactMap { $0.headers["idempotency-key"] }
            #expect(Set(keys) == Set(ids.map { "\(QueueName.notifications):\($0)" }))
            // Duplicates are allowed (a kill after the delivery, before the acknowledgement),
            // and each carries its job's key; recorded for the note, not bounded.
            print("killingWorkersEverySecondLosesNoJob: \(kills) kills, \(keys.count - total) duplicate deliveries")
            for worker in workers { worker.signal(SIGTERM) }
            for worker in workers {
                #expect(try await worker.waitForExit(timeout: .seconds(40)) == 0, "worker: \(worker.standardError.suffix(1_000))")
            }
        }
    }

    /// SIGTERM to a worker under load: it takes nothing more, finishes or releases what it runs,
    /// exits 0 within grace + 5 s; the other worker completes every job, each once.
    @Test func sigtermUnderLoadLosesNoJob() async throws {
        try await Self.withWorkerFixture(delay: .milliseconds(50)) { fixture in
            let total = 600
            let ids = try await fixture.enqueue(total, attempts: 3)
            let arguments = fixture.workerArguments + ["--grace-period", "2"]
            let stopping = try ChildProcess(ChildProcess.obotcallPath, arguments, environment: fixture.environment)
            let staying = try ChildProcess(ChildProcess.obotcallPath, arguments, environment: fixture.environment)
            defer { for worker in [stopping, staying] { worker.signal(SIGKILL) } }
            #expect(try await eventually(timeout: .seconds(60)) { fixture.receiver.deliveries.count >= 50 })
            stopping.signal(SIGTERM)
            #expect(try await stopping.waitForExit(timeout: .seconds(7)) == 0, "worker: \(stopping.standardError.suffix(1_000))")
            #expect(stopping.standardError.contains("worker stopping"))
            #expect(try await eventually(timeout: .seconds(120), every: .milliseconds(200)) { try await fixture.completed().count == total })
            #expect(try await fixture.completed() == ids)
            let counts = try await fixture.queue.counts()
            #expect(counts.completed == total && counts.active == 0)
            #expect(Set(fixture.receiver.deliveries.compactMap { $0.headers["idempotency-key"] }).count == total)
            staying.signal(SIGTERM)
            #expect(try await staying.waitForExit(timeout: .seconds(40)) == 0)
        }
    }

    /// A tenant with an intervention whose webhook goes to a local receiver, a notifications
    /// queue under a prefix of its own, and what a worker process needs to serve it.
    struct WorkerFixture: Sendable {
        let database: TestDatabase
        let tenant: TenantID
        let intervention: UUID
        let receiver: WebhookReceiver
        let queue: Queue
        let workerArguments: [String]
        let environment: [String: String]

        /// Adds `count` notification jobs with fixed ids; returns the ids.
        func enqueue(_ count: Int, attempts: Int) async throws -> Set<String> {
            let payload = NotificationJob(tenantID: tenant, interventionID: intervention, event: .scheduled)
            let jobs = try (0..<count).map { _ in
                try NewJob(
                    name: NotificationJob.name, data: payload,
                    options: .init(
                        jobID: "notify-\(UUID.random().lowercasedText)", attempts: attempts, backoff: .fixed(.milliseconds(100)),
                        tenantID: tenant.description))
            }
            return Set(try await queue.addBulk(jobs).map(\.id))
        }

        func completed() async throws -> Set<String> {
            try await FaultTests.completed(database, tenant: tenant)
        }
    }

    static func withWorkerFixture(delay: Duration = .zero, _ body: @Sendable (WorkerFixture) async throws -> Void) async throws {
        try await TestDatabase.with { database in
            let receiver = try await WebhookReceiver.start(delay: delay)
            defer { receiver.stop() }
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "w-\(tenant.description.prefix(6))", name: "W")
            let intervention = UUID()
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertIntervention(.init(id: intervention, reference: "W-1", title: "Faults"))
                try await tx.insertWebhookEndpoint(url: receiver.url)
            }
            let prefix = "w\(UUID().uuidString.prefix(6).lowercased())"
            let logger = Logger(label: "test.faults")
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await redis.run() }
                defer { group.cancelAll() }
                let fixture = WorkerFixture(
                    database: database, tenant: tenant, intervention: intervention, receiver: receiver,
                    queue: try Queue(name: QueueName.notifications, redis: redis, options: .init(prefix: prefix), logger: logger),
                    workerArguments: ["worker", "--queue", "\(QueueName.notifications):8", "--metrics-port", "0", "--queue-prefix", prefix],
                    environment: [
                        "DATABASE_URL": database.runtimeURL.absoluteString, "REDIS_URL": try TestEnvironment.redisURL(),
                        "WEBHOOK_ALLOW_PRIVATE": "1",
                    ])
                try await body(fixture)
                await redis.shutdown()
            }
        }
    }

    static func notify(_ url: String, token: String) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"event":"scheduled"}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        guard response.status == .accepted, let id = (object["job"] as? [String: Any])?["id"] as? String else {
            throw ChildProcessError("enqueue answered \(response.status): \(String(buffer: body))")
        }
        return id
    }

    /// The tenant's job ids with a completed result.
    static func completed(_ database: TestDatabase, tenant: TenantID) async throws -> Set<String> {
        try await database.runtime.withTenant(tenant) { tx in
            Set(try await tx.query("SELECT job_id FROM public.job_results WHERE state = 'completed'").map { try $0.decode(String.self) })
        }
    }
}
