import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
import Queue
import Testing
import TestSupport
@testable import API

struct AdminRoutesTests {
    /// Adds a job for `tenant` and, with `fail`, runs it to a final failure.
    static func job(_ queue: Queue, tenant: TenantID, fail: Bool) async throws -> String {
        let added = try await queue.add("probe", json: "{}", options: .init(attempts: 1, tenantID: tenant.description))
        if fail {
            let fetch = FetchOptions(token: "admin-test", lockDuration: .seconds(30))
            while let job = try await queue.fetch(fetch).job {
                _ = try await queue.fail(job, token: "admin-test", reason: "boom")
                if job.id == added.id { break }
            }
        }
        return added.id
    }

    @Test func platformAdminsSeeEverythingTenantAdminsTheirOwn() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(QueueName.imports)
            let failedA = try await Self.job(queue, tenant: harness.tenantA, fail: true)
            let failedB = try await Self.job(queue, tenant: harness.tenantB, fail: true)
            _ = try await Self.job(queue, tenant: harness.tenantB, fail: false)
            try await queue.heartbeat(worker: "host-1:abc")
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let memberA = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            try await harness.app().test(.router) { client in
                func summary(_ token: String) async throws -> [String: Any]? {
                    let answer = try await client.call(.get, "/api/admin/queues", token: token)
                    return (answer.body["queues"] as? [[String: Any]])?.first { $0["name"] as? String == QueueName.imports }
                }
                let all = try #require(try await summary(platform))
                #expect((all["counts"] as? [String: Int])?["failed"] == 2)
                #expect((all["counts"] as? [String: Int])?["waiting"] == 1)
                #expect(all["workers"] as? [String] == ["host-1:abc"])
                #expect(all["paused"] as? Bool == false)
                let own = try #require(try await summary(adminA))
                #expect(
                    own["counts"] as? [String: Int] == [
                        "waiting": 0, "active": 0, "prioritized": 0, "delayed": 0, "completed": 0, "failed": 1, "waiting-children": 0,
                    ])
                // A member reads its tenant's counts (the dashboard's read-only mode), never acts.
                let memberView = try #require(try await summary(memberA))
                #expect((memberView["counts"] as? [String: Int])?["failed"] == 1)
                #expect(
                    try await client.call(.post, "/api/admin/queues/\(QueueName.imports)/jobs/\(failedA)/retry", token: memberA).status
                        == .forbidden)

                let page = "/api/admin/queues/\(QueueName.imports)/jobs?state=failed"
                let platformJobs = try await client.call(.get, page, token: platform).body["jobs"] as? [[String: Any]]
                #expect(Set(platformJobs?.compactMap { $0["id"] as? String } ?? []) == [failedA, failedB])
                let ownJobs = try await client.call(.get, page, token: adminA).body["jobs"] as? [[String: Any]]
                #expect(ownJobs?.compactMap { $0["id"] as? String } == [failedA])
                #expect(try await client.call(.get, "/api/admin/queues/\(QueueName.imports)/jobs", token: platform).status == .badRequest)
                #expect(try await client.call(.get, "/api/admin/queues/nope/jobs?state=failed", token: platform).status == .notFound)

                // Tenant admins act on their own jobs only; B's job is invisible to A.
                let base = "/api/admin/queues/\(QueueName.imports)"
                #expect(try await client.call(.post, "\(base)/jobs/\(failedB)/retry", token: adminA).status == .notFound)
                #expect(try await client.call(.delete, "\(base)/jobs/\(failedB)", token: adminA).status == .notFound)
                let retried = try await client.call(.post, "\(base)/jobs/\(failedA)/retry", token: adminA)
                #expect(retried.status == .ok)
                #expect((retried.body["job"] as? [String: Any])?["state"] as? String == "waiting")
                // A second retry of a job no longer failed is a conflict.
                #expect(try await client.call(.post, "\(base)/jobs/\(failedA)/retry", token: adminA).status == .conflict)
                #expect(try await queue.state(of: failedB) == .failed)
                #expect(try await client.call(.post, "\(base)/retry-failed", token: adminA).body["retried"] as? Int == 0)
                #expect(try await client.call(.post, "\(base)/retry-failed", token: platform).body["retried"] as? Int == 1)
                #expect(try await queue.state(of: failedB) == .waiting)
                #expect(try await client.call(.delete, "\(base)/jobs/\(failedA)", token: adminA).status == .noContent)
                #expect(try await queue.job(failedA) == nil)
            }
        }
    }

    @Test func pauseResumeAndCleanNeedAPlatformAdmin() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(QueueName.notifications)
            _ = try await Self.job(queue, tenant: harness.tenantA, fail: true)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let base = "/api/admin/queues/\(QueueName.notifications)"
            try await harness.app().test(.router) { client in
                #expect(try await client.call(.post, "\(base)/pause", token: adminA).status == .forbidden)
                #expect(try await client.call(.post, "\(base)/clean", token: adminA, json: #"{"state":"failed"}"#).status == .forbidden)
                #expect(try await queue.isPaused() == false)

                let paused = try await client.call(.post, "\(base)/pause", token: platform)
                #expect(paused.status == .ok)
                #expect(paused.body["paused"] as? Bool == true)
                #expect(try await queue.isPaused())
                #expect(try await client.call(.post, "\(base)/resume", token: platform).status == .ok)
                #expect(try await queue.isPaused() == false)

                #expect(try await client.call(.post, "\(base)/clean", token: platform, json: #"{"state":"active"}"#).status == .badRequest)
                let cleaned = try await client.call(.post, "\(base)/clean", token: platform, json: #"{"state":"failed","graceSeconds":0}"#)
                #expect(cleaned.status == .ok)
                #expect((cleaned.body["removed"] as? [String])?.count == 1)
                #expect(try await queue.counts().failed == 0)
            }
        }
    }

    @Test func platformAdminsSetQueueLimitsOthersCannot() async throws {
        try await APIHarness.with { harness in
            let platform = try await APIHarness.token(tenant: nil, role: nil, serviceRole: true)
            let tenantAdmin = try await APIHarness.token(tenant: harness.tenantA)
            let queue = harness.queue(QueueName.notifications)
            let path = "/api/admin/queues/\(QueueName.notifications)/limits"
            try await harness.app().test(.router) { client in
                let set = try await client.call(.put, path, token: platform, json: #"{"concurrency":5,"rateLimit":{"max":20,"durationMs":1000}}"#)
                #expect(set.status == .ok, "\(set.body)")
                #expect(set.body["concurrency"] as? Int == 5)
                #expect((set.body["rateLimit"] as? [String: Any])?["durationMs"] as? Int == 1_000)
                let limits = try await queue.limits()
                #expect(limits.concurrency == 5 && limits.rateLimit?.max == 20 && limits.rateLimit?.duration == .seconds(1))
                // A hold shows; a tenant admin may neither read nor change a shared queue's limits.
                try await queue.rateLimit(for: .seconds(30))
                #expect((try await client.call(.get, path, token: platform).body["heldForMs"] as? Int).map { $0 > 20_000 } == true)
                #expect(try await client.call(.get, path, token: tenantAdmin).status == .forbidden)
                #expect(try await client.call(.put, path, token: tenantAdmin, json: "{}").status == .forbidden)
                // Out of bounds is refused by the document, naming the field; {} removes both.
                #expect(try await client.call(.put, path, token: platform, json: #"{"concurrency":0}"#).status == .badRequest)
                #expect(
                    try await client.call(.put, path, token: platform, json: #"{"rateLimit":{"max":1,"durationMs":99999999}}"#).status == .badRequest)
                let cleared = try await client.call(.put, path, token: platform, json: "{}")
                #expect(cleared.status == .ok && cleared.body["concurrency"] == nil && cleared.body["rateLimit"] == nil)
                #expect(try await queue.limits().concurrency == nil)
            }
        }
    }
}
