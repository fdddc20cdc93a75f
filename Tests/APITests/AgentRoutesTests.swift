import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
import Queue
import Store
import Testing
import TestSupport
@testable import API

struct AgentRoutesTests {
    static let agentJSON =
        #"{"name":"Planner","instructions":"Plan visits.","provider":"scripted","model":"demo","tools":["list_interventions","get_intervention"],"maxSteps":5}"#

    @Test func createStartReadAndCancelARun() async throws {
        try await APIHarness.with { harness in
            let admin = try await APIHarness.token(tenant: harness.tenantA)
            let member = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            try await harness.app().test(.router) { client in
                #expect(try await client.call(.post, "/api/agents", token: member, json: Self.agentJSON).status == .forbidden)
                let created = try await client.call(.post, "/api/agents", token: admin, json: Self.agentJSON)
                #expect(created.status == .created, "\(created.body)")
                let agent = try #require(created.body["agent"] as? [String: Any])
                let agentID = try #require(agent["id"] as? String)
                #expect(agent["tools"] as? [String] == ["get_intervention", "list_interventions"])
                #expect(agent["timeoutSeconds"] as? Int == 300)

                let patched = try await client.call(.patch, "/api/agents/\(agentID)", token: admin, json: #"{"maxSteps":7}"#)
                #expect((patched.body["agent"] as? [String: Any])?["maxSteps"] as? Int == 7)
                #expect((patched.body["agent"] as? [String: Any])?["name"] as? String == "Planner")
                #expect((try await client.call(.get, "/api/agents", token: member).body["agents"] as? [Any])?.count == 1)

                let started = try await client.call(
                    .post, "/api/agents/\(agentID)/runs", token: member, json: #"{"prompt":"What is planned today?"}"#)
                #expect(started.status == .accepted, "\(started.body)")
                let run = try #require(started.body["run"] as? [String: Any])
                let runID = try #require(run["id"] as? String)
                #expect(run["status"] as? String == "queued")
                #expect(run["input"] as? String == "What is planned today?")
                let jobID = try #require((started.body["job"] as? [String: Any])?["id"] as? String)
                let job = try #require(try await harness.queue(QueueName.agentRuns).job(jobID))
                #expect(try job.decodeData(AgentRunJob.self).runID == UUID(uuidString: runID))
                #expect(job.tenantID == harness.tenantA.description)

                let read = try await client.call(.get, "/api/agent-runs/\(runID)", token: member)
                #expect(read.status == .ok)
                #expect((read.body["steps"] as? [Any])?.isEmpty == true)
                let cancel = try await client.call(.post, "/api/agent-runs/\(runID)/cancel", token: member)
                #expect(cancel.status == .accepted)
                #expect((cancel.body["run"] as? [String: Any])?["cancelRequestedAt"] is String)
                // It had not started: it left the queue and ended at once (the queue's cancel path).
                #expect((cancel.body["run"] as? [String: Any])?["status"] as? String == "cancelled")
                #expect(try await harness.queue(QueueName.agentRuns).job(jobID) == nil)

                // A finished run cannot be cancelled any more.
                try await harness.database.runtime.withTenant(harness.tenantA) { tx in
                    try await tx.finishAgentRun(
                        try #require(UUID(uuidString: runID)), status: .cancelled, output: nil, error: nil, steps: 0,
                        promptTokens: 0, completionTokens: 0)
                }
                #expect(try await client.call(.post, "/api/agent-runs/\(runID)/cancel", token: member).status == .conflict)
                #expect(try await client.call(.delete, "/api/agents/\(agentID)", token: admin).status == .noContent)
                #expect(try await client.call(.get, "/api/agent-runs/\(runID)", token: member).status == .notFound)
            }
        }
    }

    @Test(arguments: [
        (#"{"provider":"scripted","model":"m"}"#, "name: is required"),
        (#"{"name":"A","provider":"skynet","model":"m"}"#, "provider: must be one of"),
        (#"{"name":"A","provider":"openai","model":"m","tools":["rm_rf"]}"#, "tools[0]: must be one of search_properties"),
        (#"{"name":"A","provider":"openai","model":"m","maxSteps":0}"#, "maxSteps:"),
        (#"{"name":"A","provider":"openai"}"#, "model: is required"),
    ])
    func invalidAgentsAre400NamingTheField(json: String, message: String) async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let answer = try await client.call(.post, "/api/agents", token: token, json: json)
                #expect(answer.status == .badRequest)
                #expect((answer.body["error"] as? String)?.contains(message) == true, "\(answer.body)")
            }
        }
    }

    @Test func anotherTenantCannotSeeOrDriveAgentsAndRuns() async throws {
        try await APIHarness.with { harness in
            let tokenA = try await APIHarness.token(tenant: harness.tenantA)
            let tokenB = try await APIHarness.token(tenant: harness.tenantB)
            try await harness.app().test(.router) { client in
                let created = try await client.call(.post, "/api/agents", token: tokenA, json: Self.agentJSON)
                let agentID = try #require((created.body["agent"] as? [String: Any])?["id"] as? String)
                let started = try await client.call(.post, "/api/agents/\(agentID)/runs", token: tokenA, json: #"{"prompt":"go"}"#)
                let runID = try #require((started.body["run"] as? [String: Any])?["id"] as? String)
                #expect(try await client.call(.get, "/api/agents/\(agentID)", token: tokenB).status == .notFound)
                #expect(try await client.call(.patch, "/api/agents/\(agentID)", token: tokenB, json: #"{"name":"Mine"}"#).status == .notFound)
                #expect(try await client.call(.delete, "/api/agents/\(agentID)", token: tokenB).status == .notFound)
                #expect(try await client.call(.post, "/api/agents/\(agentID)/runs", token: tokenB, json: #"{"prompt":"go"}"#).status == .notFound)
                #expect(try await client.call(.get, "/api/agent-runs/\(runID)", token: tokenB).status == .notFound)
                #expect(try await client.call(.post, "/api/agent-runs/\(runID)/cancel", token: tokenB).status == .notFound)
                #expect((try await client.call(.get, "/api/agents", token: tokenB).body["agents"] as? [Any])?.isEmpty == true)
            }
        }
    }
}

/// The model allow-list and the tenant's usage and budgets.
struct AgentSpendingTests {
    @Test func modelsOutsideTheAllowListAreRefused() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA, role: "admin")
            let app = try harness.app(options: APIOptions(agentModels: ["gpt-4o-mini", "demo"]))
            try await app.test(.router) { client in
                let refused = try await client.call(
                    .post, "/api/agents", token: token, json: #"{"name":"A","provider":"openai","model":"gpt-5-ultra"}"#)
                #expect(refused.status == .forbidden)
                #expect((refused.body["error"] as? String)?.hasPrefix("model: 'gpt-5-ultra' is not allowed") == true)
                let created = try await client.call(.post, "/api/agents", token: token, json: #"{"name":"A","provider":"openai","model":"demo"}"#)
                #expect(created.status == .created)
                let id = try #require((created.body["agent"] as? [String: Any])?["id"] as? String)
                let patched = try await client.call(.patch, "/api/agents/\(id)", token: token, json: #"{"model":"gpt-5-ultra"}"#)
                #expect(patched.status == .forbidden)
            }
        }
    }

    @Test func tenantsSeeTheirUsageAndBudgets() async throws {
        try await APIHarness.with { harness in
            try await TenantStore(database: harness.database.owner).setTokenBudget(tenant: harness.tenantA, daily: nil, monthly: 9_000)
            try await harness.database.runtime.withTenant(harness.tenantA) { tx in try await tx.recordTokens(123) }
            try await harness.database.runtime.withTenant(harness.tenantB) { tx in try await tx.recordTokens(77) }
            let app = try harness.app(options: APIOptions(tokenBudgets: TokenBudgetDefaults(daily: 500, monthly: 1_000)))
            try await app.test(.router) { client in
                let own = try await client.call(.get, "/api/usage", token: try await APIHarness.token(tenant: harness.tenantA, role: "viewer"))
                #expect(own.status == .ok)
                let usage = try #require(own.body["usage"] as? [String: Any])
                #expect(usage["dayTokens"] as? Int == 123)
                #expect(usage["monthTokens"] as? Int == 123)
                #expect(usage["dailyBudget"] as? Int == 500)
                #expect(usage["monthlyBudget"] as? Int == 9_000)
                #expect(usage["tenantId"] as? String == harness.tenantA.description)
                let other = try await client.call(.get, "/api/usage", token: try await APIHarness.token(tenant: harness.tenantB))
                #expect((other.body["usage"] as? [String: Any])?["dayTokens"] as? Int == 77)
            }
        }
    }
}
