import Domain
import Foundation
import Hummingbird
import PostgresNIO
import Queue
import Store
import Testing
import TestSupport
@testable import API

/// Concurrent notification enqueues share statements, and each still gets its own answer: its
/// row committed, its intervention missing, or its own refusal.
@Suite struct NotificationIntakeTests {
    /// A notification job for `intervention` as the API builds it, with its own id.
    static func promised(_ harness: APIHarness, tenant: TenantID, intervention: UUID, jobID: String? = nil) throws -> PromisedJob {
        let payload = NotificationJob(tenantID: tenant, interventionID: intervention, event: .scheduled, channels: ["webhook"])
        return try PromisedJob(payload, queue: harness.queue(QueueName.notifications), jobID: jobID ?? "notify-\(UUID().uuidString.lowercased())")
    }

    static func intervention(_ harness: APIHarness, tenant: TenantID) async throws -> UUID {
        let record = InterventionRecord(id: UUID(), reference: "N-\(UUID().uuidString.prefix(8))", title: "Batch")
        try await harness.database.runtime.withTenant(tenant) { tx in _ = try await tx.insertIntervention(record) }
        return record.id
    }

    /// An intake whose outbox inserts all wait on a lock until `release` opens: one intervention
    /// of tenant A (`mine`) and one of tenant B (`theirs`).
    struct Blocked {
        let intake: NotificationIntake
        let mine: UUID
        let theirs: UUID
        let release: Gate
        let holder: Task<Void, any Error>

        init(_ harness: APIHarness, inFlight: Int, waiting: Int = 4_096) async throws {
            var limits = NotificationIntake.Limits()
            limits.inFlight = inFlight
            limits.waiting = waiting
            intake = NotificationIntake(database: harness.database.runtime, limits: limits, logger: APIHarness.logger)
            mine = try await NotificationIntakeTests.intervention(harness, tenant: harness.tenantA)
            theirs = try await NotificationIntakeTests.intervention(harness, tenant: harness.tenantB)
            let locked = Gate(), release = Gate()
            self.release = release
            holder = Task {
                try await harness.database.owner.withTransaction { connection in
                    try await connection.query("LOCK TABLE public.job_outbox IN SHARE ROW EXCLUSIVE MODE", logger: APIHarness.logger)
                    locked.open()
                    await release.wait()
                }
            }
            await locked.wait()
        }

        /// Lets the inserts through.
        func unblock() async throws {
            release.open()
            try await holder.value
        }
    }

    @Test func enqueuesThatArriveWhileBatchesRunShareTheNextStatement() async throws {
        try await APIHarness.with { harness in
            let blocked = try await Blocked(harness, inFlight: 2)
            defer { blocked.release.open() }
            let (intake, mine, theirs) = (blocked.intake, blocked.mine, blocked.theirs)

            // Two batches of one start at once and wait on the lock; the next 30 wait for them.
            let first = try (0..<2).map { _ in try Self.promised(harness, tenant: harness.tenantA, intervention: mine) }
            let leaders = first.map { promised in Task { try await intake.enqueue(promised, interventionID: mine) } }
            try #require(try await eventually { intake.load() == (2, 0) })
            // Among them: another tenant's intervention and one that does not exist.
            // Tenant B's own notifications share the batch: each row is checked under its tenant.
            var waiting: [(PromisedJob, UUID)] = []
            for index in 0..<30 {
                let target = index == 7 ? theirs : index == 11 ? UUID() : mine
                waiting.append((try Self.promised(harness, tenant: harness.tenantA, intervention: target), target))
            }
            for _ in 0..<3 {
                waiting.append((try Self.promised(harness, tenant: harness.tenantB, intervention: theirs), theirs))
            }
            let followers = waiting.map { promised, target in Task { try await intake.enqueue(promised, interventionID: target) } }
            try #require(try await eventually { intake.load() == (2, 33) })
            // The first leader's request goes away: the others wait on its batch, which goes on.
            leaders[0].cancel()
            try await blocked.unblock()

            for leader in leaders { #expect(try await leader.value == .accepted) }
            var outcomes: [NotificationIntake.Outcome] = []
            for follower in followers { outcomes.append(try await follower.value) }
            #expect(outcomes.filter { $0 == .interventionNotFound }.count == 2)
            #expect(outcomes[7] == .interventionNotFound)
            #expect(outcomes[11] == .interventionNotFound)
            // Two statements of one row, then one of thirty-three.
            #expect(intake.statementsWritten == 3)
            #expect(intake.load() == (0, 0))

            let accepted = zip(waiting, outcomes).filter { $0.1 == .accepted }.map(\.0.0) + first
            #expect(accepted.count == 33)
            let rows = try await OutboxTests.outbox(harness)
            #expect(Set(rows.map(\.jobID)) == Set(accepted.map(\.outbox.jobID)))
            let tenants = Dictionary(uniqueKeysWithValues: accepted.map { ($0.outbox.jobID, $0.outbox.tenant) })
            #expect(rows.allSatisfy { tenants[$0.jobID] == $0.tenant })
            #expect(rows.filter { $0.tenant == harness.tenantB }.count == 3)
            let notifications = harness.queue(QueueName.notifications)
            for promised in accepted {
                #expect(try await notifications.job(promised.outbox.jobID)?.tenantID == promised.outbox.tenant.description)
            }
        }
    }

    @Test func aRowTheDatabaseRefusesFailsOnlyItsOwnEnqueue() async throws {
        try await APIHarness.with { harness in
            let blocked = try await Blocked(harness, inFlight: 1)
            defer { blocked.release.open() }
            let (intake, mine) = (blocked.intake, blocked.mine)

            let leader = try Self.promised(harness, tenant: harness.tenantA, intervention: mine)
            let leading = Task { try await intake.enqueue(leader, interventionID: mine) }
            try #require(try await eventually { intake.load() == (1, 0) })
            // The leader's id again (a client repeating a fixed id): the outbox's key refuses it.
            let refused = try Self.promised(harness, tenant: harness.tenantA, intervention: mine, jobID: leader.outbox.jobID)
            let good = try Self.promised(harness, tenant: harness.tenantA, intervention: mine)
            let refusedTask = Task { try await intake.enqueue(refused, interventionID: mine) }
            try #require(try await eventually { intake.load() == (1, 1) })
            let goodTask = Task { try await intake.enqueue(good, interventionID: mine) }
            try #require(try await eventually { intake.load() == (1, 2) })
            try await blocked.unblock()

            #expect(try await leading.value == .accepted)
            #expect(try await goodTask.value == .accepted)
            await #expect {
                _ = try await refusedTask.value
            } throws: { error in
                (error as? StoreError)?.kind == .uniqueViolation
            }
            // One statement for the leader, one for the pair (refused), then one per row.
            #expect(intake.statementsWritten == 4)
            // The longest id the queue takes is one the outbox keeps (migration 0010).
            let longest = try Self.promised(harness, tenant: harness.tenantA, intervention: mine, jobID: String(repeating: "é", count: 128))
            #expect(try await intake.enqueue(longest, interventionID: mine) == .accepted)
            #expect(Set(try await OutboxTests.outbox(harness).map(\.jobID)) == [leader.outbox.jobID, good.outbox.jobID, longest.outbox.jobID])
        }
    }

    @Test func beyondTheWaitingLimitAnEnqueueIsRefusedAtOnce() async throws {
        try await APIHarness.with { harness in
            let blocked = try await Blocked(harness, inFlight: 1, waiting: 1)
            defer { blocked.release.open() }
            let (intake, mine, theirs) = (blocked.intake, blocked.mine, blocked.theirs)

            let first = Task {
                try await intake.enqueue(try Self.promised(harness, tenant: harness.tenantA, intervention: mine), interventionID: mine)
            }
            try #require(try await eventually { intake.load() == (1, 0) })
            let second = Task {
                try await intake.enqueue(try Self.promised(harness, tenant: harness.tenantA, intervention: mine), interventionID: mine)
            }
            try #require(try await eventually { intake.load() == (1, 1) })
            await #expect {
                _ = try await intake.enqueue(try Self.promised(harness, tenant: harness.tenantA, intervention: mine), interventionID: mine)
            } throws: { error in
                (error as? HTTPError)?.status == .serviceUnavailable
            }
            // The limit holds for every tenant alike: B's enqueue is refused too.
            await #expect {
                _ = try await intake.enqueue(try Self.promised(harness, tenant: harness.tenantB, intervention: theirs), interventionID: theirs)
            } throws: { error in
                (error as? HTTPError)?.status == .serviceUnavailable
            }
            try await blocked.unblock()
            #expect(try await first.value == .accepted)
            #expect(try await second.value == .accepted)
            #expect(try await OutboxTests.outbox(harness).count == 2)
        }
    }
}
