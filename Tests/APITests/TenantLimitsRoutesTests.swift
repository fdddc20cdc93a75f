import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Queue
import Redis
import Store
import Testing
import TestSupport
@testable import API

/// `/api/admin/queues/{queue}/tenants…` and the max-pending admission: a tenant admin acts on its
/// own slice only, platform admins on any, and PostgreSQL and Redis agree.
struct TenantLimitsRoutesTests {
    static func base(_ queue: String, _ tenant: TenantID) -> String { "/api/admin/queues/\(queue)/tenants/\(tenant)" }

    @Test func aTenantAdminReadsPausesAndPurgesItsOwnSliceOnly() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(QueueName.imports)
            try await queue.makeFair()
            for _ in 0..<3 { _ = try await queue.add("probe", json: "{}", options: .init(tenantID: harness.tenantA.description)) }
            for _ in 0..<2 { _ = try await queue.add("probe", json: "{}", options: .init(tenantID: harness.tenantB.description)) }
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            let memberA = try await APIHarness.token(tenant: harness.tenantA, role: "member")
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            try await harness.app().test(.router) { client in
                let sliceB = Self.base(QueueName.imports, harness.tenantB)
                // Another tenant's slice does not exist for A, whatever the action.
                #expect(try await client.call(.get, "\(sliceB)/limits", token: adminA).status == .notFound)
                #expect(try await client.call(.post, "\(sliceB)/pause", token: adminA).status == .notFound)
                #expect(try await client.call(.post, "\(sliceB)/resume", token: adminA).status == .notFound)
                #expect(try await client.call(.post, "\(sliceB)/purge", token: adminA).status == .notFound)
                #expect(try await client.call(.put, "\(sliceB)/limits", token: adminA, json: #"{"weight":5}"#).status == .forbidden)
                let sliceA = Self.base(QueueName.imports, harness.tenantA)
                #expect(try await client.call(.post, "\(sliceA)/pause", token: memberA).status == .forbidden)
                // A member reads its own slice only (the dashboard's read-only mode).
                let memberRows =
                    try await client.call(.get, "/api/admin/queues/\(QueueName.imports)/tenants", token: memberA)
                    .body["tenants"] as? [[String: Any]]
                #expect(memberRows?.allSatisfy { $0["tenantId"] as? String == harness.tenantA.description } == true)
                #expect(try await queue.isPaused(tenant: harness.tenantB.description) == false)
                #expect(try await queue.counts().waiting == 5)

                // A sees its own tenant in the list; the platform sees both.
                let own = try await client.call(.get, "/api/admin/queues/\(QueueName.imports)/tenants", token: adminA)
                #expect(own.status == .ok)
                #expect(own.body["fair"] as? Bool == true)
                let ownRows = try #require(own.body["tenants"] as? [[String: Any]])
                #expect(ownRows.map { $0["tenantId"] as? String } == [harness.tenantA.description])
                #expect(ownRows.first?["queued"] as? Int == 3)
                let all = try await client.call(.get, "/api/admin/queues/\(QueueName.imports)/tenants", token: platform)
                let allRows = try #require(all.body["tenants"] as? [[String: Any]])
                #expect(Set(allRows.compactMap { $0["tenantId"] as? String }) == [harness.tenantA.description, harness.tenantB.description])

                // A pauses its own jobs: recorded in PostgreSQL and applied in Redis.
                let paused = try await client.call(.post, "\(sliceA)/pause", token: adminA)
                #expect(paused.status == .ok)
                #expect(paused.body["paused"] as? Bool == true)
                #expect(try await queue.isPaused(tenant: harness.tenantA.description))
                let limits = try await client.call(.get, "\(sliceA)/limits", token: adminA)
                #expect(limits.status == .ok)
                #expect(limits.body["paused"] as? Bool == true)
                #expect(limits.body["fair"] as? Bool == true)
                let fetch = FetchOptions(token: "routes", lockDuration: .seconds(30))
                let started = try #require(try await queue.fetch(fetch).job)
                #expect(started.tenantID == harness.tenantB.description)
                #expect(try await client.call(.post, "\(sliceA)/resume", token: adminA).body["paused"] as? Bool == false)
                #expect(try await queue.isPaused(tenant: harness.tenantA.description) == false)

                // A purges its own waiting jobs; B's stay.
                let purged = try await client.call(.post, "\(sliceA)/purge", token: adminA)
                #expect(purged.status == .ok)
                #expect(purged.body["removed"] as? Int == 3)
                #expect(try await queue.fairTenant(harness.tenantA.description)?.queued ?? 0 == 0)
                #expect(try await queue.fairTenant(harness.tenantB.description)?.queued == 1)
            }
        }
    }

    @Test func platformAdminsSetLimitsStoredAndMirrored() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(QueueName.agentRuns)
            try await queue.makeFair(defaults: TenantLimits(concurrency: 4))
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            let adminA = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let slice = Self.base(QueueName.agentRuns, harness.tenantA)
                let set = try await client.call(
                    .put, "\(slice)/limits", token: platform,
                    json: #"{"weight":3,"concurrency":2,"rateLimit":{"max":10,"durationMs":1000},"maxPending":50}"#)
                #expect(set.status == .ok)
                #expect(set.body["weight"] as? Int == 3)
                #expect((set.body["defaults"] as? [String: Any])?["concurrency"] as? Int == 4)
                let mirrored = try #require(try await queue.fairTenant(harness.tenantA.description))
                #expect(
                    mirrored.limits
                        == TenantLimits(weight: 3, concurrency: 2, rateLimit: TenantRateLimit(max: 10, duration: .seconds(1)), maxPending: 50))
                // The tenant admin reads them.
                let read = try await client.call(.get, "\(slice)/limits", token: adminA)
                #expect(read.body["concurrency"] as? Int == 2)
                #expect((read.body["rateLimit"] as? [String: Any])?["durationMs"] as? Int == 1000)
                // Replacing with fewer fields clears the others.
                let cleared = try await client.call(.put, "\(slice)/limits", token: platform, json: #"{"weight":2}"#)
                #expect(cleared.body["concurrency"] == nil)
                #expect(try await queue.fairTenant(harness.tenantA.description)?.limits == TenantLimits(weight: 2))

                // Out of bounds, named; an unknown tenant is not found.
                let refused = try await client.call(.put, "\(slice)/limits", token: platform, json: #"{"weight":0}"#)
                #expect(refused.status == .badRequest)
                #expect((refused.body["error"] as? String)?.contains("weight") == true)
                let unknown = Self.base(QueueName.agentRuns, TenantID(UUID()))
                #expect(try await client.call(.put, "\(unknown)/limits", token: platform, json: #"{"weight":2}"#).status == .notFound)
                #expect(try await client.call(.post, "\(unknown)/pause", token: platform).status == .notFound)
                #expect(
                    try await client.call(.get, "/api/admin/queues/\(QueueName.agentRuns)/tenants/nope/limits", token: platform).status == .badRequest
                )
            }
        }
    }

    @Test func overMaxPendingIsRefusedBeforeAnythingIsWritten() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(QueueName.notifications)
            try await queue.makeFair()
            try await queue.setLimits(TenantLimits(maxPending: 2), tenant: harness.tenantA.description)
            let tokenA = try await APIHarness.token(tenant: harness.tenantA)
            let tokenB = try await APIHarness.token(tenant: harness.tenantB)
            try await harness.app().test(.router) { client in
                func intervention(_ token: String) async throws -> String {
                    let created = try await client.call(
                        .post, "/api/interventions", token: token,
                        json: #"{"reference":"INT-1","title":"Boiler","scheduledAt":"2026-12-01T09:00:00Z","technician":"Ada"}"#)
                    return try #require((created.body["intervention"] as? [String: Any])?["id"] as? String)
                }
                let idA = try await intervention(tokenA)
                let idB = try await intervention(tokenB)
                let notify = #"{"event":"en_route"}"#
                for _ in 0..<2 {
                    #expect(try await client.call(.post, "/api/interventions/\(idA)/notifications", token: tokenA, json: notify).status == .accepted)
                }
                let outboxBefore = try await Self.outboxCount(harness)
                try await client.execute(
                    uri: "/api/interventions/\(idA)/notifications", method: .post,
                    headers: [.authorization: "Bearer \(tokenA)", .contentType: "application/json"], body: ByteBuffer(string: notify)
                ) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(response.headers[.retryAfter] == "30")
                    let body = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                    #expect((body?["error"] as? String)?.contains("limit is 2") == true)
                }
                #expect(try await Self.outboxCount(harness) == outboxBefore)
                #expect(try await queue.pendingLoad(tenant: harness.tenantA.description).pending == 2)
                // Another tenant is not held by A's cap.
                #expect(try await client.call(.post, "/api/interventions/\(idB)/notifications", token: tokenB, json: notify).status == .accepted)
                // Once a job runs, A may add again.
                let fetch = FetchOptions(token: "routes", lockDuration: .seconds(30))
                var started = 0
                while let job = try await queue.fetch(fetch).job {
                    if job.tenantID == harness.tenantA.description { started += 1 }
                    if started == 1 { break }
                }
                #expect(try await client.call(.post, "/api/interventions/\(idA)/notifications", token: tokenA, json: notify).status == .accepted)
            }
        }
    }

    @Test func aCapSetThroughTheAPIAppliesAtOnceOneSetElsewhereWithinTheCachesLifetime() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(QueueName.notifications)
            let tenant = harness.tenantA.description
            // Remembered: a tenant without a cap costs no read; a cap set in Redis directly shows
            // once the entry has expired, and at once after `forget`.
            let cache = PendingCapCache(lifetime: .seconds(600))
            #expect(try await cache.cap(queue, tenant: tenant) == nil)
            try await queue.setLimits(TenantLimits(maxPending: 5), tenant: tenant)
            #expect(try await cache.cap(queue, tenant: tenant) == nil)
            let expiring = PendingCapCache(lifetime: .milliseconds(50))
            #expect(try await expiring.cap(queue, tenant: tenant) == 5)
            try await queue.setLimits(TenantLimits(maxPending: 7), tenant: tenant)
            #expect(try await TestSupport.eventually { try await expiring.cap(queue, tenant: tenant) == 7 })
            cache.forget(queue, tenant: tenant)
            #expect(try await cache.cap(queue, tenant: tenant) == 7)
            try await queue.setLimits(TenantLimits(), tenant: tenant)

            // Through the route: the process's own cache forgets the old value.
            let tokenA = try await APIHarness.token(tenant: harness.tenantA)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            try await harness.app().test(.router) { client in
                let created = try await client.call(
                    .post, "/api/interventions", token: tokenA,
                    json: #"{"reference":"INT-2","title":"Boiler","scheduledAt":"2026-12-01T09:00:00Z","technician":"Ada"}"#)
                let id = try #require((created.body["intervention"] as? [String: Any])?["id"] as? String)
                let notify = #"{"event":"en_route"}"#
                let first = try await client.call(.post, "/api/interventions/\(id)/notifications", token: tokenA, json: notify)
                #expect(first.status == .accepted)
                let set = try await client.call(
                    .put, "\(Self.base(QueueName.notifications, harness.tenantA))/limits", token: platform, json: #"{"maxPending":1}"#)
                #expect(set.status == .ok)
                let refused = try await client.call(.post, "/api/interventions/\(id)/notifications", token: tokenA, json: notify)
                #expect(refused.status == .tooManyRequests)
            }
        }
    }

    static func outboxCount(_ harness: APIHarness) async throws -> Int {
        try await harness.database.owner.withTransaction { connection in
            try await connection.query("SELECT count(*)::int FROM public.job_outbox", logger: APIHarness.logger).collect().first?.decode(
                Int.self) ?? 0
        }
    }

    @Test func usageIsTheTenantsOwnAndThePlatformSeesEveryTenant() async throws {
        try await APIHarness.with { harness in
            let now = Date()
            for (tenant, state, count) in [(harness.tenantA, JobResultRecord.State.completed, 3), (harness.tenantB, .failed, 2)] {
                try await harness.database.runtime.withTenant(tenant) { tx in
                    for index in 0..<count {
                        try await tx.upsert(
                            JobResultRecord(
                                queue: QueueName.imports, jobID: "usage-\(index)", name: "probe", state: state, attempts: 1,
                                startedAt: now.addingTimeInterval(-2), finishedAt: now))
                    }
                }
            }
            // Finished long ago: outside a 1-day period.
            try await harness.database.runtime.withTenant(harness.tenantA) { tx in
                try await tx.upsert(
                    JobResultRecord(
                        queue: QueueName.imports, jobID: "usage-old", name: "probe", state: .completed, attempts: 1,
                        startedAt: now.addingTimeInterval(-10 * 86_400), finishedAt: now.addingTimeInterval(-10 * 86_400)))
                try await tx.recordTokens(1_234)
            }
            let tokenA = try await APIHarness.token(tenant: harness.tenantA)
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            try await harness.app().test(.router) { client in
                let own = try await client.call(.get, "/api/usage?days=1", token: tokenA)
                #expect(own.status == .ok)
                let queues = try #require((own.body["jobs"] as? [String: Any])?["queues"] as? [[String: Any]])
                #expect(queues.count == 1)
                #expect(queues.first?["completed"] as? Int == 3)
                #expect(queues.first?["failed"] as? Int == 0)
                #expect((queues.first?["processingMs"] as? Int ?? 0) >= 6_000)
                let month = try await client.call(.get, "/api/usage?days=30", token: tokenA)
                #expect(((month.body["jobs"] as? [String: Any])?["queues"] as? [[String: Any]])?.first?["completed"] as? Int == 4)
                #expect(try await client.call(.get, "/api/usage?days=0", token: tokenA).status == .badRequest)

                #expect(try await client.call(.get, "/api/admin/usage", token: tokenA).status == .forbidden)
                let report = try await client.call(.get, "/api/admin/usage?days=1", token: platform)
                #expect(report.status == .ok)
                let tenants = try #require(report.body["tenants"] as? [[String: Any]])
                let byID = Dictionary(uniqueKeysWithValues: tenants.compactMap { row in (row["tenantId"] as? String).map { ($0, row) } })
                #expect(byID[harness.tenantA.description]?["tokens"] as? Int == 1_234)
                #expect((byID[harness.tenantB.description]?["queues"] as? [[String: Any]])?.first?["failed"] as? Int == 2)
                let onlyB = try await client.call(.get, "/api/admin/usage?tenant=\(harness.tenantB)", token: platform)
                #expect((onlyB.body["tenants"] as? [[String: Any]])?.compactMap { $0["tenantId"] as? String } == [harness.tenantB.description])
            }
        }
    }

    @Test func theReconcilerPutsBackWhatRedisLost() async throws {
        try await APIHarness.with { harness in
            let queue = harness.queue(QueueName.imports)
            try await queue.makeFair()
            let platform = try await APIHarness.token(tenant: nil, serviceRole: true)
            try await harness.app().test(.router) { client in
                let slice = Self.base(QueueName.imports, harness.tenantA)
                let set = try await client.call(.put, "\(slice)/limits", token: platform, json: #"{"concurrency":3}"#)
                #expect(set.status == .ok)
                let paused = try await client.call(.post, "\(Self.base(QueueName.imports, harness.tenantB))/pause", token: platform)
                #expect(paused.status == .ok)
            }
            // Redis loses the tenants' settings (a restart without persistence).
            let keys = try await harness.redis.execute(RedisCommand("KEYS", [.string(queue.keys.base + "tl:*")]), as: [String].self)
            #expect(keys.count == 2)
            try await harness.redis.execute(.del(keys))
            #expect(try await queue.isPaused(tenant: harness.tenantB.description) == false)
            let reconciler = TenantLimitsReconciler(
                database: harness.dependencies.database, queues: harness.queues, pageSize: 1, logger: APIHarness.logger)
            #expect(try await reconciler.reconcile() == 2)
            #expect(try await queue.fairTenant(harness.tenantA.description)?.limits == TenantLimits(concurrency: 3))
            #expect(try await queue.isPaused(tenant: harness.tenantB.description))
        }
    }
}
