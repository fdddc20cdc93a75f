import AgentRuntime
import AsyncHTTPClient
import Domain
import Foundation
import Jobs
import Logging
import Queue
import Redis
import Store
import Testing
import TestSupport
@testable import Worker

/// Agent runs on real Redis and PostgreSQL with the scripted provider and the built-in tools.
@Suite struct AgentRunJobTests {
    static let logger: Logger = {
        var logger = Logger(label: "test.agents")
        logger.logLevel = .error
        return logger
    }()

    struct Setup: Sendable {
        let database: TestDatabase
        let tenantA: TenantID
        let tenantB: TenantID
        let interventionA: UUID
        let interventionB: UUID
        let scripts: String
    }

    static func with(
        budgets: TokenBudgetDefaults = .init(), parallelTools: Bool = false, _ body: @Sendable (Setup, Queue, Queue) async throws -> Void
    ) async throws {
        try await TestDatabase.with { database in
            let tenants = TenantStore(database: database.owner)
            let tenantA = TenantID(UUID()), tenantB = TenantID(UUID())
            try await tenants.createTenant(id: tenantA, slug: "ga-\(tenantA.description.prefix(6))", name: "A")
            try await tenants.createTenant(id: tenantB, slug: "gb-\(tenantB.description.prefix(6))", name: "B")
            let interventionA = UUID(), interventionB = UUID()
            try await database.runtime.withTenant(tenantA) { tx in
                try await tx.insertIntervention(InterventionRecord(id: interventionA, reference: "A-1", title: "Boiler in Lyon"))
            }
            try await database.runtime.withTenant(tenantB) { tx in
                try await tx.insertIntervention(InterventionRecord(id: interventionB, reference: "B-SECRET", title: "Tenant B only"))
                _ = try await tx.insertProperty(PropertyDraft(externalRef: "B-FLAT", title: "B's flat", propertyType: .apartment, city: "Lyon"))
            }
            try await database.runtime.withTenant(tenantA) { tx in
                _ = try await tx.insertProperty(PropertyDraft(externalRef: "A-FLAT", title: "A's flat", propertyType: .apartment, city: "Lyon"))
            }
            let scripts = try TestEnvironment.scratchDirectory("agent-scripts-\(UUID().uuidString.prefix(6))")
            let setup = Setup(
                database: database, tenantA: tenantA, tenantB: tenantB, interventionA: interventionA, interventionB: interventionB,
                scripts: scripts)

            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: logger)
            let prefix = "g\(UUID().uuidString.prefix(8).lowercased())"
            let notifications = try Queue(name: QueueName.notifications, redis: redis, options: .init(prefix: prefix), logger: logger)
            let providers = AgentProviders(http: HTTPClient.shared, baseURL: nil, apiKey: nil, scriptsDirectory: scripts)
            let service = WorkerService(
                configuration: WorkerConfiguration(
                    queues: parallelTools ? [QueueName.agentRuns: 2, QueueName.agentTools: 3] : [QueueName.agentRuns: 2],
                    processor: .init(lockDuration: .seconds(10)), workerID: "agent-worker", queueOptions: QueueOptions(prefix: prefix)),
                redis: redis, database: database.runtime,
                handlers: [
                    AgentRunHandler(providers: providers, notifications: notifications, budgets: budgets, parallelTools: parallelTools),
                    AgentToolHandler(notifications: notifications),
                ], logger: logger)
            let processors = try service.processors()
            let runs = try #require(processors.first { $0.queue.name == QueueName.agentRuns })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await redis.run() }
                for processor in processors { group.addTask { try await processor.run() } }
                defer { group.cancelAll() }
                do {
                    try await body(setup, runs.queue, notifications)
                } catch {
                    for processor in processors { processor.stop() }
                    throw error
                }
                for processor in processors { processor.stop() }
            }
        }
    }

    static func script(_ setup: Setup, _ steps: [ScriptedModelProvider.Step]) throws -> String {
        let name = "s\(UUID().uuidString.prefix(8).lowercased())"
        try JSONEncoder().encode(steps).write(to: URL(fileURLWithPath: "\(setup.scripts)/\(name).json"))
        return name
    }

    static func call(_ name: String, _ arguments: String) -> ScriptedModelProvider.Step {
        .init(toolCalls: [ToolCall(id: "call-\(name)", name: name, arguments: arguments)], usage: .init(promptTokens: 10, completionTokens: 2))
    }

    /// Creates an agent and a run for `tenant` and enqueues the run.
    static func start(
        _ setup: Setup, _ queue: Queue, tenant: TenantID, model: String, tools: [String], maxSteps: Int = 10, cancelFirst: Bool = false
    ) async throws -> (UUID, String) {
        let agent = AgentRecord(
            id: UUID(), name: "helper", instructions: "Help.", provider: "scripted", model: model, tools: tools, maxSteps: maxSteps,
            maxTokens: 10_000, timeoutSeconds: 60)
        let runID = UUID()
        try await setup.database.runtime.withTenant(tenant) { tx in
            try await tx.insertAgent(agent)
            try await tx.insertAgentRun(id: runID, agentID: agent.id, prompt: "What is planned?", createdBy: nil)
            if cancelFirst { _ = try await tx.requestAgentRunCancel(runID) }
        }
        let job = try await queue.add(
            AgentRunJob.name, data: AgentRunJob(tenantID: tenant, runID: runID),
            options: .init(attempts: 2, backoff: .fixed(.milliseconds(50)), tenantID: tenant.description))
        return (runID, job.id)
    }

    @Test func toolsActOnTheRunsTenantOnlyAndEveryStepIsJournaled() async throws {
        try await Self.with { setup, queue, notifications in
            let model = try Self.script(
                setup,
                [
                    Self.call("list_interventions", "{}"),
                    Self.call("get_intervention", #"{"id":"\#(setup.interventionB)"}"#),
                    Self.call("notify_intervention", #"{"id":"\#(setup.interventionA)","event":"completed"}"#),
                    Self.call("get_intervention", #"{"id":42}"#),
                    .init(content: "One boiler visit, customer notified.", usage: .init(promptTokens: 30, completionTokens: 8)),
                ])
            let (runID, jobID) = try await Self.start(setup, queue, tenant: setup.tenantA, model: model, tools: AgentToolName.all)
            #expect(try await PropertyImportJobTests.finished(queue, jobID) == .completed)
            let (run, steps) = try await setup.database.runtime.withTenant(setup.tenantA) { tx in
                (try await tx.agentRun(runID), try await tx.agentRunSteps(runID))
            }
            #expect(run?.status == .completed)
            #expect(run?.output == "One boiler visit, customer notified.")
            #expect(run?.stepCount == 9)
            #expect(run?.promptTokens == 70)
            #expect(steps.map(\.sequence) == Array(1...9))
            #expect(
                steps.map(\.kind) == [
                    "model_response", "tool_result", "model_response", "tool_result", "model_response", "tool_result", "model_response",
                    "tool_result", "model_response",
                ])
            // Tenant A's agent sees A's intervention and never B's.
            #expect(steps[1].payload.contains("A-1") && !steps[1].payload.contains("B-SECRET"))
            #expect(steps[3].payload.contains("no intervention") && !steps[3].payload.contains("B-SECRET"))
            #expect(steps[7].payload.contains("id must be a string"))
            // One notification job, keyed by run and step.
            let notification = try #require(try await notifications.job("agent-\(runID.uuidString.lowercased())-6"))
            #expect(notification.tenantID == setup.tenantA.description)
            #expect(try notification.decodeData(NotificationJob.self).interventionID == setup.interventionA)
            // Enqueued with the kind's policy, as the API enqueues it: retried, and not kept forever.
            #expect(notification.options.attempts == NotificationJob.defaultOptions.attempts)
            #expect(notification.options.removeOnComplete == NotificationJob.defaultOptions.removeOnComplete)
            #expect(notification.options.removeOnComplete != nil)
            #expect(try await notifications.counts().waiting == 1)
        }
    }

    @Test func aResponsesSeveralToolCallsRunInParallelAsChildJobs() async throws {
        try await Self.with(parallelTools: true) { setup, queue, _ in
            let usage = ModelResponse.Usage(promptTokens: 10, completionTokens: 2)
            let model = try Self.script(
                setup,
                [
                    .init(
                        toolCalls: [
                            ToolCall(id: "a", name: "list_interventions", arguments: "{}"),
                            ToolCall(id: "b", name: "get_intervention", arguments: #"{"id":"\#(setup.interventionA)"}"#),
                            ToolCall(id: "c", name: "no_such_tool", arguments: "{}"),
                        ], usage: usage),
                    .init(content: "Three answers read.", usage: usage),
                ])
            let (runID, jobID) = try await Self.start(setup, queue, tenant: setup.tenantA, model: model, tools: AgentToolName.all)
            #expect(try await PropertyImportJobTests.finished(queue, jobID) == .completed)
            let (run, steps) = try await setup.database.runtime.withTenant(setup.tenantA) { tx in
                (try await tx.agentRun(runID), try await tx.agentRunSteps(runID))
            }
            #expect(run?.status == .completed && run?.output == "Three answers read.")
            #expect(steps.map(\.kind) == ["model_response", "tool_result", "tool_result", "tool_result", "model_response"])
            // The results are journaled in the calls' order, whatever order their jobs ended in.
            #expect(steps[1].payload.contains("list_interventions"))
            #expect(steps[2].payload.contains("A-1") && !steps[2].payload.contains("B-SECRET"))
            #expect(steps[3].payload.contains("there is no tool named no_such_tool"))
            // Each call ran as a child job of the run's job, which ran twice (before and after them).
            let tools = try Queue(name: QueueName.agentTools, redis: queue.redis, options: queue.options)
            for sequence in 2...4 {
                #expect(try await tools.state(of: AgentToolJob.jobID(run: runID, sequence: sequence)) == .completed)
            }
            #expect(try await queue.childrenValues(of: jobID).count == 3)
            #expect(try await queue.job(jobID)?.attemptsStarted == 2)
            #expect(try await queue.job(jobID)?.attemptsMade == 1)
        }
    }

    /// A run whose records of its children are gone reads each call's own job: a finished one's
    /// result, an error result for one that is gone.
    @Test func callsWithoutRecordsOnTheRunAreReadFromTheirJobs() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL()), logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await redis.run() }
            defer { group.cancelAll() }
            let options = QueueOptions(prefix: "fd\(UUID().uuidString.prefix(6).lowercased())")
            let runs = try Queue(name: QueueName.agentRuns, redis: redis, options: options)
            let tools = try Queue(name: QueueName.agentTools, redis: redis, options: options)
            let runID = UUID()
            let done = JournalStep.ToolResult(callID: "a", name: "list_interventions", content: "[]", isError: false)
            try await tools.add("agent-tool", json: "{}", options: .init(jobID: AgentToolJob.jobID(run: runID, sequence: 2)))
            let taken = try #require(try await tools.fetch(FetchOptions(token: "t", lockDuration: .seconds(30))).job)
            _ = try await tools.complete(taken, token: "t", returnValue: String(decoding: try JSONEncoder().encode(done), as: UTF8.self))
            let calls = [
                DispatchedCall(
                    call: ToolCall(id: "a", name: "list_interventions", arguments: "{}"), context: .init(runID: "r", sequence: 2, callID: "a")),
                DispatchedCall(
                    call: ToolCall(id: "b", name: "get_intervention", arguments: "{}"), context: .init(runID: "r", sequence: 3, callID: "b")),
            ]
            let results = try await FlowToolDispatcher.results(of: calls, known: [], runID: runID, queue: runs)
            #expect(results.first == done)
            #expect(results.last?.isError == true && results.last?.content.contains("its job is gone") == true)
            try await tools.pause()
            try await tools.obliterate(force: true)
        }
    }

    /// Every tool, pointed at tenant B's data by tenant A's agent, finds nothing of B.
    @Test func aProvider429HoldsTheQueueAndTheRunResumesWithoutUsingAnAttempt() async throws {
        try await Self.with { setup, queue, _ in
            let model = try Self.script(
                setup, [.init(error: .init(status: 429, message: "slow down", retryAfterMilliseconds: 1_500))])
            let (runID, jobID) = try await Self.start(setup, queue, tenant: setup.tenantA, model: model, tools: [])
            // The 429 holds the whole queue and gives the job back.
            #expect(try await TestSupport.eventually(timeout: .seconds(30)) { try await queue.limits().heldFor != nil })
            // The provider recovers (the script file is read again by the next attempt).
            try JSONEncoder().encode([ScriptedModelProvider.Step(content: "Done.")])
                .write(to: URL(fileURLWithPath: "\(setup.scripts)/\(model).json"))
            #expect(try await PropertyImportJobTests.finished(queue, jobID) == .completed)
            let run = try await setup.database.runtime.withTenant(setup.tenantA) { tx in try await tx.agentRun(runID) }
            #expect(run?.status == .completed)
            #expect(run?.output == "Done.")
            // Two starts, one counted attempt.
            let job = try #require(try await queue.job(jobID))
            #expect(job.attemptsMade == 1)
            #expect(job.attemptsStarted >= 2)
        }
    }

    @Test func noToolReachesAnotherTenantsData() async throws {
        try await Self.with { setup, queue, notifications in
            let model = try Self.script(
                setup,
                [
                    Self.call("search_properties", #"{"city":"Lyon"}"#),
                    Self.call("get_intervention", #"{"id":"\#(setup.interventionB)"}"#),
                    Self.call("list_interventions", #"{"limit":50}"#),
                    Self.call("notify_intervention", #"{"id":"\#(setup.interventionB)","event":"cancelled"}"#),
                    .init(content: "done"),
                ])
            let (runID, jobID) = try await Self.start(setup, queue, tenant: setup.tenantA, model: model, tools: AgentToolName.all)
            #expect(try await PropertyImportJobTests.finished(queue, jobID) == .completed)
            let steps = try await setup.database.runtime.withTenant(setup.tenantA) { tx in try await tx.agentRunSteps(runID) }
            let results = steps.filter { $0.kind == "tool_result" }.map(\.payload)
            #expect(results.count == 4)
            #expect(results[0].contains("A-FLAT"))
            #expect(results.allSatisfy { !$0.contains("B-FLAT") && !$0.contains("B-SECRET") }, "\(results)")
            #expect(results[1].contains("no intervention") && results[3].contains("no intervention"))
            #expect(try await notifications.counts().waiting == 0)
        }
    }

    /// Cancelled while the model is thinking: the call is abandoned, the run ends cancelled.
    @Test func cancellationMidRunStopsTheModelCallInFlight() async throws {
        try await Self.with { setup, queue, _ in
            var slow = ScriptedModelProvider.Step(content: "too late")
            slow.delayMilliseconds = 120_000
            let model = try Self.script(setup, [Self.call("list_interventions", "{}"), slow])
            let (runID, jobID) = try await Self.start(setup, queue, tenant: setup.tenantA, model: model, tools: AgentToolName.all)
            let deadline = ContinuousClock.now + .seconds(60)
            while try await setup.database.runtime.withTenant(setup.tenantA, { tx in try await tx.agentRunSteps(runID) }).count < 2,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await setup.database.runtime.withTenant(setup.tenantA) { tx in try await tx.requestAgentRunCancel(runID) })
            #expect(try await PropertyImportJobTests.finished(queue, jobID) == .completed)
            let run = try await setup.database.runtime.withTenant(setup.tenantA) { tx in try await tx.agentRun(runID) }
            #expect(run?.status == .cancelled)
            #expect(run?.stepCount == 2)
            #expect(run?.output == nil)
        }
    }

    /// Cancelled through the queue, as any job (the cancel route does this): the worker cancels
    /// the handler and the run ends cancelled, with the steps its journal holds.
    @Test func theQueuesCancelEndsARunningRunCancelled() async throws {
        try await Self.with { setup, queue, _ in
            var slow = ScriptedModelProvider.Step(content: "too late")
            slow.delayMilliseconds = 120_000
            let model = try Self.script(setup, [Self.call("list_interventions", "{}"), slow])
            let (runID, jobID) = try await Self.start(setup, queue, tenant: setup.tenantA, model: model, tools: AgentToolName.all)
            #expect(
                try await TestSupport.eventually(timeout: .seconds(60)) {
                    try await setup.database.runtime.withTenant(setup.tenantA) { tx in try await tx.agentRunSteps(runID) }.count >= 2
                })
            #expect(try await queue.cancel(jobID) == .requested)
            #expect(try await PropertyImportJobTests.finished(queue, jobID) == .failed)
            #expect(try await queue.job(jobID)?.failedReason == "cancelled")
            let run = try await setup.database.runtime.withTenant(setup.tenantA) { tx in try await tx.agentRun(runID) }
            #expect(run?.status == .cancelled)
            #expect(run?.stepCount == 2)
            #expect(run?.error == "cancelled on request")
        }
    }

    @Test func limitsAndCancellationEndRunsWithTheirStatus() async throws {
        try await Self.with { setup, queue, _ in
            let looping = try Self.script(setup, (1...5).map { _ in Self.call("list_interventions", "{}") })
            let (limited, limitedJob) = try await Self.start(
                setup, queue, tenant: setup.tenantA, model: looping, tools: AgentToolName.all, maxSteps: 2)
            let (cancelled, cancelledJob) = try await Self.start(setup, queue, tenant: setup.tenantA, model: looping, tools: [], cancelFirst: true)
            let missing = "absent\(UUID().uuidString.prefix(4))"
            let (broken, brokenJob) = try await Self.start(setup, queue, tenant: setup.tenantA, model: missing, tools: [])
            #expect(try await PropertyImportJobTests.finished(queue, limitedJob) == .completed)
            #expect(try await PropertyImportJobTests.finished(queue, cancelledJob) == .completed)
            #expect(try await PropertyImportJobTests.finished(queue, brokenJob) == .failed)
            let runs = try await setup.database.runtime.withTenant(setup.tenantA) { tx in
                [try await tx.agentRun(limited), try await tx.agentRun(cancelled), try await tx.agentRun(broken)]
            }
            #expect(runs[0]?.status == .failed)
            #expect(runs[0]?.error?.contains("limit of 2 steps") == true)
            #expect(runs[0]?.stepCount == 4)
            #expect(runs[1]?.status == .cancelled)
            #expect(runs[1]?.stepCount == 0)
            #expect(runs[2]?.status == .failed)
            #expect(runs[2]?.error?.contains("no model script") == true)
        }
    }

    /// A tenant over its token budget gets no more model calls: the run fails with the reason;
    /// what each model call cost is counted once, in the tenant's usage; other tenants go on
    /// (here under the deployment's default budget).
    @Test func tokenBudgetsAreCheckedBeforeEveryModelCall() async throws {
        try await Self.with(budgets: TokenBudgetDefaults(daily: 1_000, monthly: 5_000)) { setup, queue, _ in
            try await TenantStore(database: setup.database.owner).setTokenBudget(tenant: setup.tenantA, daily: 10, monthly: nil)
            let model = try Self.script(
                setup,
                [
                    Self.call("list_interventions", "{}"),
                    .init(content: "never asked", usage: .init(promptTokens: 30, completionTokens: 8)),
                ])
            let (runA, jobA) = try await Self.start(setup, queue, tenant: setup.tenantA, model: model, tools: AgentToolName.all)
            #expect(try await PropertyImportJobTests.finished(queue, jobA) == .completed)
            let (run, usage) = try await setup.database.runtime.withTenant(setup.tenantA) { tx in
                (try await tx.agentRun(runA), try await tx.tokenUsage())
            }
            #expect(run?.status == .failed)
            #expect(run?.error?.contains("daily token budget (10) is used up") == true, "\(run?.error ?? "")")
            #expect(run?.stepCount == 2)
            #expect(usage == TokenUsageRecord(dayTokens: 12, monthTokens: 12, dailyBudget: 10, monthlyBudget: nil))

            let (runB, jobB) = try await Self.start(setup, queue, tenant: setup.tenantB, model: model, tools: AgentToolName.all)
            #expect(try await PropertyImportJobTests.finished(queue, jobB) == .completed)
            let (finished, usageB) = try await setup.database.runtime.withTenant(setup.tenantB) { tx in
                (try await tx.agentRun(runB), try await tx.tokenUsage())
            }
            #expect(finished?.status == .completed)
            #expect(usageB.dayTokens == 50)
            #expect(TokenBudgetDefaults(daily: 1_000, monthly: 5_000).refusal(for: usageB) == nil)
            #expect(TokenBudgetDefaults(daily: 1_000, monthly: 50).refusal(for: usageB)?.contains("monthly token budget (50)") == true)
        }
    }
}
