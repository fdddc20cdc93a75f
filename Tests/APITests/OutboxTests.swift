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

/// A 202 is a promise: the accepted job is in `public.job_outbox` before the answer, and the
/// relay adds to Redis whatever Redis does not have — never a job whose outcome is recorded.
@Suite struct OutboxTests {
    @Test func anAcceptedNotificationIsRecordedBeforeTheAnswer() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let created = try await client.call(.post, "/api/interventions", token: token, json: #"{"reference":"O-1","title":"Outbox"}"#)
                let id = try #require((created.body["intervention"] as? [String: Any])?["id"] as? String)
                let enqueued = try await client.call(.post, "/api/interventions/\(id)/notifications", token: token, json: #"{"event":"scheduled"}"#)
                #expect(enqueued.status == .accepted)
                let jobID = try #require((enqueued.body["job"] as? [String: Any])?["id"] as? String)
                // Ids are tenant-independent UUIDs, not a shared counter.
                #expect(jobID.hasPrefix("notify-"))
                #expect(UUID(uuidString: String(jobID.dropFirst("notify-".count))) != nil)
                let rows = try await Self.outbox(harness)
                #expect(rows.map(\.jobID) == [jobID])
                #expect(rows.first?.tenant == harness.tenantA)
                #expect(try await harness.queue(QueueName.notifications).job(jobID)?.tenantID == harness.tenantA.description)

                // An intervention that is not the caller's promises nothing.
                let other = try await client.call(
                    .post, "/api/interventions/\(UUID().uuidString.lowercased())/notifications", token: token, json: #"{"event":"scheduled"}"#)
                #expect(other.status == .notFound)
                #expect(try await Self.outbox(harness).count == 1)
            }
        }
    }

    @Test func importsAndAgentRunsCommitTheirJobWithTheirRow() async throws {
        try await APIHarness.with { harness in
            let token = try await APIHarness.token(tenant: harness.tenantA)
            try await harness.app().test(.router) { client in
                let upload = try await PropertyRoutesTests.upload(
                    client, token: token, body: "external_ref,title\nR-1,Flat\n", contentType: "text/csv")
                #expect(upload.status == .accepted)
                let importJob = try #require((upload.body["job"] as? [String: Any])?["id"] as? String)
                let agent = try await client.call(.post, "/api/agents", token: token, json: AgentRoutesTests.agentJSON)
                let agentID = try #require((agent.body["agent"] as? [String: Any])?["id"] as? String)
                let run = try await client.call(.post, "/api/agents/\(agentID)/runs", token: token, json: #"{"prompt":"Hello"}"#)
                #expect(run.status == .accepted)
                let runJob = try #require((run.body["job"] as? [String: Any])?["id"] as? String)
                #expect(Set(try await Self.outbox(harness).map(\.jobID)) == [importJob, runJob])
            }
        }
    }

    @Test func theRelayAddsWhatRedisLacksAndNothingFinished() async throws {
        try await APIHarness.with { harness in
            let notifications = harness.queue(QueueName.notifications)
            var options = OutboxRelay.Options()
            options.recheckEvery = .zero
            let relay = OutboxRelay(database: harness.database.runtime, queues: harness.queues, options: options, logger: APIHarness.logger)

            // Tenant A's job went through the API (it is in Redis); tenant B's was committed by a
            // process that died before its add.
            let token = try await APIHarness.token(tenant: harness.tenantA)
            let delivered = try await harness.app().test(.router) { client in
                let created = try await client.call(.post, "/api/interventions", token: token, json: #"{"reference":"R-1","title":"Relay"}"#)
                let id = try #require((created.body["intervention"] as? [String: Any])?["id"] as? String)
                let enqueued = try await client.call(.post, "/api/interventions/\(id)/notifications", token: token, json: #"{"event":"scheduled"}"#)
                return try #require((enqueued.body["job"] as? [String: Any])?["id"] as? String)
            }
            let orphan = OutboxJob(
                tenant: harness.tenantB, queue: QueueName.notifications, jobID: "notify-\(UUID().uuidString.lowercased())",
                name: NotificationJob.name, data: #"{"tenantId":"\#(harness.tenantB)","interventionId":"\#(UUID())","event":"scheduled"}"#,
                options: JobOptions(attempts: 5).storedJSON)
            try await harness.database.runtime.withTenant(harness.tenantB) { tx in try await tx.enqueue(orphan) }
            #expect(try await notifications.job(orphan.jobID) == nil)

            // Rows come due 30 s after they were accepted; here, at once.
            #expect(try await relay.relay().claimed == 0)
            try await Self.makeDue(harness)
            let first = try await relay.relay()
            #expect(first.claimed == 2)
            #expect(first.added == 1)
            let added = try #require(try await notifications.job(orphan.jobID))
            #expect(added.tenantID == harness.tenantB.description)
            #expect(added.options.attempts == 5)

            // Redis loses tenant A's job (a restart without its last second, a flush): it comes back.
            try await notifications.remove(delivered)
            #expect(try await relay.relay().added == 1)
            #expect(try await notifications.state(of: delivered) == .waiting)

            // Once a job's outcome is recorded it is never added again: its row goes when it comes due.
            try await harness.database.runtime.withTenant(harness.tenantA) { tx in
                try await tx.upsert(
                    JobResultRecord(
                        queue: QueueName.notifications, jobID: delivered, name: NotificationJob.name, state: .completed, attempts: 1,
                        workerID: "test", enqueuedAt: Date(), startedAt: Date(), finishedAt: Date()))
            }
            try await notifications.remove(delivered)
            let last = try await relay.relay(prune: true)
            #expect(last.claimed == 1)
            #expect(last.added == 0)
            #expect(last.pruned == 0)
            #expect(try await notifications.job(delivered) == nil)
            #expect(try await Self.outbox(harness).map(\.jobID) == [orphan.jobID])

            // Past the retention a row goes, finished or not.
            options.keep = .zero
            let pruning = OutboxRelay(database: harness.database.runtime, queues: harness.queues, options: options, logger: APIHarness.logger)
            #expect(try await pruning.relay(prune: true).pruned == 1)
            #expect(try await Self.outbox(harness).isEmpty)
        }
    }

    @Test func outboxRowsAreTheirTenantsOnly() async throws {
        try await APIHarness.with { harness in
            let job = OutboxJob(
                tenant: harness.tenantA, queue: QueueName.notifications, jobID: "notify-\(UUID().uuidString.lowercased())",
                name: NotificationJob.name, data: "{}", options: "{}")
            try await harness.database.runtime.withTenant(harness.tenantA) { tx in try await tx.enqueue(job) }
            let count: PostgresQuery = "SELECT count(*)::int FROM public.job_outbox"
            let seenByB = try await harness.database.runtime.withTenant(harness.tenantB) { tx in
                try await tx.query(count).first?.decode(Int.self)
            }
            #expect(seenByB == 0)
            let seenWithoutTenant = try await harness.database.runtime.withTransaction { connection in
                try await connection.query(count, logger: APIHarness.logger).collect().first?.decode(Int.self)
            }
            #expect(seenWithoutTenant == 0)
            // A transaction cannot record another tenant's job, in the code or in the database.
            let refused = await #expect(throws: StoreError.self) {
                try await harness.database.runtime.withTenant(harness.tenantB) { tx in try await tx.enqueue(job) }
            }
            #expect(refused?.kind == .permissionDenied)
            let rawInsert: PostgresQuery = """
                INSERT INTO public.job_outbox (tenant_id, queue, job_id, name, data, options)
                VALUES (\(harness.tenantA.rawValue), 'inter-notifications', 'forged', 'x', '{}', '{}')
                """
            let forged = await #expect(throws: StoreError.self) {
                try await harness.database.runtime.withTenant(harness.tenantB) { tx in try await tx.query(rawInsert) }
            }
            #expect(forged?.kind == .permissionDenied)
            #expect(try await Self.outbox(harness).count == 1)
        }
    }

    /// Moves every outbox row's next check to now, as the owner (the relay's own clock is 30 s).
    static func makeDue(_ harness: APIHarness) async throws {
        try await harness.database.owner.withTransaction { connection in
            try await connection.query("UPDATE public.job_outbox SET due_at = now()", logger: APIHarness.logger)
        }
    }

    /// Every outbox row, read as the owner (whom the relay policy lets see all tenants).
    static func outbox(_ harness: APIHarness) async throws -> [OutboxJob] {
        try await harness.database.owner.withTransaction { connection in
            var jobs: [OutboxJob] = []
            for try await (tenant, queue, jobID, name, data, options) in try await connection.query(
                "SELECT tenant_id, queue, job_id, name, data, options FROM public.job_outbox ORDER BY created_at", logger: APIHarness.logger
            ).decode((UUID, String, String, String, String, String).self) {
                jobs.append(OutboxJob(tenant: TenantID(tenant), queue: queue, jobID: jobID, name: name, data: data, options: options))
            }
            return jobs
        }
    }
}
