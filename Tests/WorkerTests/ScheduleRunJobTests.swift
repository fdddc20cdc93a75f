import Domain
import Foundation
import Jobs
import Logging
import PostgresNIO
@testable import Queue
import Redis
import Store
import Testing
import TestSupport
@testable import Worker

/// A schedule's trigger jobs on real Redis and PostgreSQL: each run starts the kind's own job
/// with its rows, once however often the trigger runs; a trigger whose schedule is gone removes
/// its scheduler.
@Suite struct ScheduleRunJobTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.schedules")
        logger.logLevel = .error
        return logger
    }()

    static func tenant(_ database: TestDatabase) async throws -> TenantID {
        let tenant = TenantID(UUID())
        try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "s-\(tenant.description.prefix(8))", name: "S")
        return tenant
    }

    static func withQueues(_ body: @Sendable (RedisClient, String, [String: Queue]) async throws -> Void) async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
        let prefix = "s\(UUID().uuidString.prefix(8).lowercased())"
        let queues = try Dictionary(
            uniqueKeysWithValues: QueueName.all.map { ($0, try Queue(name: $0, redis: redis, options: .init(prefix: prefix), logger: logger)) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }
            try await body(redis, prefix, queues)
            let keys = try await redis.execute(RedisCommand("KEYS", [.string(prefix + ":*")]), as: [String].self)
            if !keys.isEmpty { try await redis.execute(.del(keys)) }
        }
    }

    /// Takes the pending trigger job of a scheduler and runs `handler` on it `times` times, as a
    /// retried trigger would.
    static func runTrigger<Marker: ScheduleKindMarker>(
        _ handler: ScheduleRunHandler<Marker>, queue: Queue, database: TestDatabase, tenant: TenantID, times: Int = 1,
        createdAt: Int? = nil
    ) async throws -> [JobOutcome] {
        // The scheduler's first job is delayed until its time; promote it so it can be taken.
        _ = try await queue.promoteAllDelayed()
        var job = try #require(try await queue.fetch(FetchOptions(token: "t", lockDuration: .seconds(30))).job)
        if let createdAt {
            // The same trigger, as if created at `createdAt` (ms since 1970).
            job = try #require(
                Job(
                    id: job.id, queue: job.queue,
                    fields: [
                        "name": job.name, "data": job.data, "opts": job.rawOptions, "timestamp": String(createdAt),
                        "tid": tenant.description,
                    ]))
        }
        let payload = try RegisteredHandler.payload(ScheduleTrigger<Marker>.self, of: job)
        var outcomes: [JobOutcome] = []
        for _ in 0..<times {
            let run = JobRun(context: JobContext(job: job, queue: queue, token: "t"), tenant: tenant, database: database.runtime, workerID: "w")
            outcomes.append(try await handler.run(payload, in: run))
        }
        return outcomes
    }

    static func outboxJobs(_ database: TestDatabase, tenant: TenantID) async throws -> [String] {
        try await database.runtime.withTenant(tenant) { tx in
            try await tx.query("SELECT job_id FROM public.job_outbox ORDER BY job_id").map { try $0.decode(String.self) }
        }
    }

    @Test func anImportScheduleRunsItsStoredSourceAgainOnAWorker() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            let source = UUID(), scheduleID = UUID()
            let definition = ScheduleDefinition(
                name: "Feed", cadence: .every(milliseconds: 60_000), limit: 1, immediately: true,
                action: .propertyImport(sourceImportID: source))
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertPropertyImport(
                    id: source, format: "csv", source: Array("external_ref,title,property_type\nF-1,Flat,apartment\nF-2,House,house\n".utf8),
                    createdBy: nil)
                _ = try await tx.insertSchedule(id: scheduleID, definition, createdBy: nil)
            }
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: Self.logger)
            let prefix = "s\(UUID().uuidString.prefix(8).lowercased())"
            let service = WorkerService(
                configuration: WorkerConfiguration(
                    queues: [QueueName.imports: 2], processor: .init(lockDuration: .seconds(10)), workerID: "schedule-worker",
                    queueOptions: QueueOptions(prefix: prefix)),
                redis: redis, database: database.runtime, handlers: [PropertyImportHandler(), ScheduleRunHandler<ImportSchedules>()],
                logger: Self.logger)
            let processors = try service.processors()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await redis.run() }
                defer { group.cancelAll() }
                let queue = processors[0].queue
                try await queue.upsertSchedule(scheduleID, tenant: tenant, definition)
                for processor in processors { group.addTask { try await processor.run() } }
                // The run's import finishes with the source's two rows.
                let imported = try await eventually {
                    try await database.runtime.withTenant(tenant) { tx in try await tx.propertyCount() } == 2
                }
                #expect(imported)
                let imports = try await database.runtime.withTenant(tenant) { tx in
                    try await tx.query("SELECT id, status, created_by IS NULL FROM immo_app.property_imports WHERE id <> \(source)")
                        .map { try $0.decode((UUID, String, Bool).self) }
                }
                #expect(imports.count == 1)
                let finished = try await eventually {
                    try await database.runtime.withTenant(tenant) { tx in try await tx.propertyImport(imports[0].0)?.status } == .completed
                }
                #expect(finished)
                // The limit of one run is reached: the scheduler has no next run.
                #expect(try await queue.pendingRun(ofScheduler: ScheduleKind.schedulerID(scheduleID)) == nil)
                #expect(try await Self.outboxJobs(database, tenant: tenant) == ["import-\(imports[0].0.lowercasedText)"])
                for processor in processors { processor.stop() }
            }
        }
    }

    @Test func aRetriedTriggerStartsOneAgentRun() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            let agentID = UUID(), scheduleID = UUID()
            let definition = ScheduleDefinition(
                name: "Report", cadence: .cron(pattern: "0 8 * * MON", timeZone: "Europe/Paris"), immediately: true,
                action: .agentRun(agentID: agentID, prompt: "Summarise"))
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertAgent(
                    AgentRecord(
                        id: agentID, name: "R", instructions: "", provider: "scripted", model: "m", tools: [], maxSteps: 2, maxTokens: 100,
                        timeoutSeconds: 30))
                _ = try await tx.insertSchedule(id: scheduleID, definition, createdBy: nil)
            }
            try await Self.withQueues { _, _, queues in
                let runs = try #require(queues[QueueName.agentRuns])
                try await runs.upsertSchedule(scheduleID, tenant: tenant, definition)
                let outcomes = try await Self.runTrigger(
                    ScheduleRunHandler<AgentRunSchedules>(), queue: runs, database: database, tenant: tenant, times: 2)
                #expect(outcomes.count == 2)
                let rows = try await database.runtime.withTenant(tenant) { tx in
                    try await tx.query("SELECT id, job_id, input->>'prompt' FROM agent_app.agent_runs").map {
                        try $0.decode((UUID, String, String).self)
                    }
                }
                #expect(rows.count == 1)
                let run = try #require(rows.first)
                #expect(run.1 == "run-\(run.0.lowercasedText)" && run.2 == "Summarise")
                let job = try #require(try await runs.job(run.1))
                #expect(job.name == AgentRunJob.name && job.tenantID == tenant.description)
                #expect(try job.decodeData(AgentRunJob.self).runID == run.0)
                #expect(try await Self.outboxJobs(database, tenant: tenant) == [run.1])
            }
        }
    }

    @Test func aNotificationScheduleSendsTheInterventionsEvent() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            let interventionID = UUID(), scheduleID = UUID()
            let definition = ScheduleDefinition(
                name: "Reminder", cadence: .every(milliseconds: 60_000), immediately: true,
                action: .notification(interventionID: interventionID, event: .rescheduled, channels: ["webhook"]))
            try await database.runtime.withTenant(tenant) { tx in
                _ = try await tx.insertIntervention(InterventionRecord(id: interventionID, reference: "R-1", title: "Boiler"))
                _ = try await tx.insertSchedule(id: scheduleID, definition, createdBy: nil)
            }
            try await Self.withQueues { _, _, queues in
                let notifications = try #require(queues[QueueName.notifications])
                try await notifications.upsertSchedule(scheduleID, tenant: tenant, definition)
                _ = try await Self.runTrigger(
                    ScheduleRunHandler<NotificationSchedules>(), queue: notifications, database: database, tenant: tenant)
                let promised = try await Self.outboxJobs(database, tenant: tenant)
                #expect(promised.count == 1)
                let promisedID = try #require(promised.first)
                let job = try #require(try await notifications.job(promisedID))
                #expect(job.name == NotificationJob.name && job.id.hasPrefix("notify-"))
                let payload = try job.decodeData(NotificationJob.self)
                #expect(payload == NotificationJob(tenantID: tenant, interventionID: interventionID, event: .rescheduled))
                // The schedule exists: its scheduler stays.
                #expect(try await notifications.jobScheduler(ScheduleKind.schedulerID(scheduleID)) != nil)
            }
        }
    }

    @Test func aTriggerWhoseScheduleIsGoneRemovesItsScheduler() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            let scheduleID = UUID()
            let definition = ScheduleDefinition(
                name: "Gone", cadence: .every(milliseconds: 60_000), immediately: true, action: .propertyImport(sourceImportID: UUID()))
            try await Self.withQueues { _, _, queues in
                let imports = try #require(queues[QueueName.imports])
                // No row (the row's commit failed, or it was deleted while Redis was down).
                try await imports.upsertSchedule(scheduleID, tenant: tenant, definition)
                let outcomes = try await Self.runTrigger(
                    ScheduleRunHandler<ImportSchedules>(), queue: imports, database: database, tenant: tenant, createdAt: 1)
                guard case .completed(let result, _)? = outcomes.first else {
                    Issue.record("expected a completed trigger, got \(outcomes)")
                    return
                }
                #expect(result.contains("no longer exists"))
                #expect(try await imports.jobScheduler(ScheduleKind.schedulerID(scheduleID)) == nil)
                #expect(try await imports.jobSchedulerCount() == 0)
                #expect(try await Self.outboxJobs(database, tenant: tenant).isEmpty)
            }
        }
    }

    /// A schedule's first run taken before its row is committed (Redis is written first) waits
    /// for the row rather than removing the scheduler.
    @Test func aFreshTriggerWaitsForItsRowInsteadOfRemovingTheScheduler() async throws {
        try await TestDatabase.with { database in
            let tenant = try await Self.tenant(database)
            let scheduleID = UUID()
            let definition = ScheduleDefinition(
                name: "New", cadence: .every(milliseconds: 60_000), immediately: true, action: .propertyImport(sourceImportID: UUID()))
            try await Self.withQueues { _, _, queues in
                let imports = try #require(queues[QueueName.imports])
                try await imports.upsertSchedule(scheduleID, tenant: tenant, definition)
                await #expect(throws: DelayJobError.self) {
                    _ = try await Self.runTrigger(ScheduleRunHandler<ImportSchedules>(), queue: imports, database: database, tenant: tenant)
                }
                #expect(try await imports.jobScheduler(ScheduleKind.schedulerID(scheduleID)) != nil)
            }
        }
    }

    @Test func runIDsAreStablePerTriggerAndDistinctAcrossTriggers() {
        let schedule = UUID()
        let first = ScheduleRunHandler<ImportSchedules>.runID(schedule: schedule, trigger: "repeat:sch-x:1000")
        #expect(first == ScheduleRunHandler<ImportSchedules>.runID(schedule: schedule, trigger: "repeat:sch-x:1000"))
        #expect(first != ScheduleRunHandler<ImportSchedules>.runID(schedule: schedule, trigger: "repeat:sch-x:2000"))
        #expect(first != ScheduleRunHandler<ImportSchedules>.runID(schedule: UUID(), trigger: "repeat:sch-x:1000"))
        // Version 8, RFC 4122 variant.
        #expect(first.lowercasedText[first.lowercasedText.index(first.lowercasedText.startIndex, offsetBy: 14)] == "8")
    }
}
