import Domain
import Foundation
import Logging
import PostgresNIO
import Queue
import Redis
import Store
import Testing
import TestSupport

/// A worker SIGKILLed in the middle of an agent run; another worker resumes the run from its
/// journal: the recorded steps stay as they were, and the tool's effect happens once.
struct AgentCrashTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.agent-crash")
        logger.logLevel = .error
        return logger
    }()

    @Test func aRunKilledAfterStepFourResumesElsewhereWithOneEffectPerToolCall() async throws {
        try await TestDatabase.with { database in
            let tenant = TenantID(UUID())
            try await TenantStore(database: database.owner).createTenant(id: tenant, slug: "ac-\(tenant.description.prefix(6))", name: "AC")
            let intervention = UUID()
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertIntervention(InterventionRecord(id: intervention, reference: "AC-1", title: "Roof"))
            }
            let scripts = try TestEnvironment.scratchDirectory("agent-crash-\(UUID().uuidString.prefix(6))")
            let script = """
                [{"toolCalls":[{"id":"n1","name":"notify_intervention","arguments":"{\\"id\\":\\"\(intervention)\\",\\"event\\":\\"scheduled\\"}"}],"usage":{"promptTokens":5,"completionTokens":1}},
                 {"toolCalls":[{"id":"l1","name":"list_interventions","arguments":"{}"}],"usage":{"promptTokens":7,"completionTokens":1}},
                 {"content":"Roof visit scheduled and announced.","usage":{"promptTokens":9,"completionTokens":6},"delayMilliseconds":6000}]
                """
            try Data(script.utf8).write(to: URL(fileURLWithPath: "\(scripts)/slow.json"))
            let agentID = UUID(), runID = UUID()
            try await database.runtime.withTenant(tenant) { tx in
                try await tx.insertAgent(
                    AgentRecord(
                        id: agentID, name: "crash", instructions: "", provider: "scripted", model: "slow",
                        tools: ["list_interventions", "notify_intervention"], maxSteps: 5, maxTokens: 1_000, timeoutSeconds: 300))
                try await tx.insertAgentRun(id: runID, agentID: agentID, prompt: "Schedule the roof.", createdBy: nil)
            }

            let prefix = "ac\(UUID().uuidString.prefix(6).lowercased())"
            let environment = [
                "DATABASE_URL": database.runtimeURL.absoluteString, "REDIS_URL": try TestEnvironment.redisURL(), "AGENT_SCRIPTS_DIR": scripts,
            ]
            let arguments = [
                "worker", "--queue", "\(QueueName.agentRuns):1", "--metrics-port", "0", "--queue-prefix", prefix,
                "--lock-duration", "2", "--stalled-interval", "1",
            ]
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await redis.run() }
                defer { group.cancelAll() }
                let runs = try Queue(name: QueueName.agentRuns, redis: redis, options: .init(prefix: prefix), logger: Self.logger)
                let notifications = try Queue(name: QueueName.notifications, redis: redis, options: .init(prefix: prefix), logger: Self.logger)
                let job = try await runs.add(
                    AgentRunJob.name, data: AgentRunJob(tenantID: tenant, runID: runID),
                    options: .init(attempts: 3, tenantID: tenant.description))

                let first = try ChildProcess(ChildProcess.obotcallPath, arguments, environment: environment)
                #expect(
                    try await ImportCrashTests.eventually { try await Self.steps(database, runID).count >= 4 },
                    "first worker: \(first.standardError.suffix(2_000))")
                // The third model call takes 6 s: the worker dies in the middle of it.
                first.signal(SIGKILL)
                _ = try await first.waitForExit(timeout: .seconds(10))
                let before = try await Self.steps(database, runID)
                #expect(before.count == 4)

                // The second worker serves metrics: its token counter holds only the model call it made.
                let port = try await WorkerProcessTests.freePort()
                var withMetrics = arguments
                withMetrics.replaceSubrange(3...4, with: ["--metrics-port", "\(port)", "--metrics-host", "127.0.0.1"])
                let second = try ChildProcess(ChildProcess.obotcallPath, withMetrics, environment: environment)
                defer { second.signal(SIGKILL) }
                #expect(
                    try await ImportCrashTests.eventually(timeout: .seconds(120)) { try await runs.state(of: job.id) == .completed },
                    "second worker: \(second.standardError.suffix(2_000))")
                let after = try await Self.steps(database, runID)
                #expect(after.count == 5)
                #expect(Array(after.prefix(4)) == before, "recorded steps must not change on resume")
                let run = try await database.runtime.withTenant(tenant) { tx in try await tx.agentRun(runID) }
                #expect(run?.status == .completed)
                #expect(run?.output == "Roof visit scheduled and announced.")
                #expect(run?.promptTokens == 21)
                let metrics = try await WorkerProcessTests.get("http://127.0.0.1:\(port)/metrics")
                let tokens = metrics.split(separator: "\n").filter { $0.hasPrefix("obotcall_tenant_tokens_total{") }
                #expect(tokens == [#"obotcall_tenant_tokens_total{tenant="\#(tenant)"} 15"#], "\(tokens)")
                // notify_intervention ran once: one notification job, keyed by run and step.
                #expect(try await notifications.counts().waiting == 1)
                #expect(try await notifications.job("agent-\(runID.uuidString.lowercased())-2") != nil)
                await redis.shutdown()
            }
        }
    }

    /// (sequence, kind, payload) of the run's journal, read as the platform owner.
    static func steps(_ database: TestDatabase, _ runID: UUID) async throws -> [String] {
        let rows = try await database.admin.client.query(
            "SELECT seq, kind, payload::text FROM agent_app.agent_run_steps WHERE run_id = \(runID) ORDER BY seq")
        var steps: [String] = []
        for try await (seq, kind, payload) in rows.decode((Int, String, String).self) { steps.append("\(seq) \(kind) \(payload)") }
        return steps
    }
}
