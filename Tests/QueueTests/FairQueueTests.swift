import Foundation
import Redis
import Testing
import TestSupport
@testable import Queue

/// Fair queues: tenants take turns (weighted), one tenant's backlog does not starve another,
/// per-tenant concurrency and rate limits hold across workers, one tenant can be paused and
/// purged, and a crashed worker's slot comes back through the stalled check.
struct FairQueueTests {
    /// Adds `count` jobs for `tenant` (nil: no tenant) in batches.
    static func add(_ queue: Queue, tenant: String?, count: Int, options: JobOptions = .init()) async throws -> [String] {
        var options = options
        options.tenantID = tenant
        var ids: [String] = []
        var remaining = count
        while remaining > 0 {
            let batch = min(remaining, 1000)
            let jobs = (0..<batch).map { _ in NewJob(name: "work", json: "{}", options: options) }
            ids += try await queue.addBulk(jobs).map(\.id)
            remaining -= batch
        }
        return ids
    }

    /// The tenant of each of the next `count` fetches ("-" for a job without one).
    static func fetchTenants(_ queue: Queue, count: Int) async throws -> [String] {
        var tenants: [String] = []
        for _ in 0..<count {
            guard let job = try await queue.fetch(QueueTesting.fetch).job else { break }
            tenants.append(job.tenantID ?? "-")
        }
        return tenants
    }

    @Test func tenantsTakeTurnsAndJobsWithoutATenantAreOneMore() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            #expect(try await queue.isFair())
            _ = try await Self.add(queue, tenant: "ta", count: 100)
            _ = try await Self.add(queue, tenant: "tb", count: 2)
            _ = try await Self.add(queue, tenant: nil, count: 2)
            let counts = try await queue.counts()
            #expect(counts.waiting == 104)
            // Every tenant gets one job per round; ta's backlog runs once the others are empty.
            let order = try await Self.fetchTenants(queue, count: 8)
            #expect(order == ["-", "ta", "tb", "-", "ta", "tb", "ta", "ta"])
            #expect(try await queue.counts().waiting == 96)
            #expect(try await queue.counts().active == 8)
        }
    }

    @Test func priorityAndLIFOStillOrderATenantsOwnJobs() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            let plain = try await queue.add("a", json: "{}", options: .init(tenantID: "ta")).id
            let urgent = try await queue.add("b", json: "{}", options: .init(priority: 1, tenantID: "ta")).id
            let last = try await queue.add("c", json: "{}", options: .init(lifo: true, tenantID: "ta")).id
            let delayed = try await queue.add("d", json: "{}", options: .init(delay: .milliseconds(1), tenantID: "ta")).id
            #expect(try await queue.state(of: urgent) == .prioritized)
            #expect(try await queue.state(of: plain) == .waiting)
            #expect(
                try await QueueTesting.eventually {
                    (try await queue.fetch(QueueTesting.fetch).job).map { $0.id == last } ?? false
                })
            var next: [String] = []
            while let job = try await queue.fetch(QueueTesting.fetch).job { next.append(job.id) }
            // Plain jobs in order (the delayed one became plain when due), then by priority.
            #expect(next == [plain, delayed, urgent])
        }
    }

    /// ta's jobs still queued (its fetches so far are 50,000 minus this).
    static func queued(_ queue: Queue, _ tenant: String) async throws -> Int {
        try await queue.redis.execute(RedisCommand("ZCARD", [.string(queue.keys.fairQueued(tenant))], keyArguments: 0..<1), as: Int.self)
    }

    /// Fetch by fetch: a tenant that adds a job while two others have backlogs is served within
    /// the next three fetches, and then every third.
    @Test func aNewTenantWaitsAtMostOneJobOfEachOtherTenant() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            _ = try await Self.add(queue, tenant: "ta", count: 1_000)
            _ = try await Self.add(queue, tenant: "tc", count: 1_000)
            _ = try await Self.fetchTenants(queue, count: 501)
            _ = try await Self.add(queue, tenant: "tb", count: 3)
            let order = try await Self.fetchTenants(queue, count: 9)
            let positions = order.indices.filter { order[$0] == "tb" }
            #expect(positions.count == 3 && positions[0] < 3 && positions[1] - positions[0] == 3 && positions[2] - positions[1] == 3, "\(order)")
        }
    }

    @Test func weightsShareTheFetches() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            try await queue.setLimits(TenantLimits(weight: 3), tenant: "ta")
            _ = try await Self.add(queue, tenant: "ta", count: 4_000)
            _ = try await Self.add(queue, tenant: "tb", count: 4_000)
            let order = try await Self.fetchTenants(queue, count: 4_000)
            let a = order.filter { $0 == "ta" }.count
            let b = order.filter { $0 == "tb" }.count
            #expect(a + b == 4_000)
            let ratio = Double(a) / Double(b)
            #expect(abs(ratio - 3) <= 0.15, "ta:tb = \(a):\(b)")
        }
    }

    @Test func aTenantsConcurrencyHoldsAcrossThreeWorkers() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair(defaults: TenantLimits(concurrency: 2))
            _ = try await Self.add(queue, tenant: "ta", count: 30)
            _ = try await Self.add(queue, tenant: "tb", count: 30)
            try await queue.setLimits(TenantLimits(concurrency: 10), tenant: "tb")
            let gauge = RunningGauge()
            let handler: QueueProcessor.Handler = { context in
                let tenant = context.job.tenantID ?? "-"
                gauge.enter(tenant)
                // Hold the slot until another job has started or a moment passed, so overlaps happen.
                try await Task.sleep(for: .milliseconds(20))
                gauge.leave(tenant)
                return nil
            }
            let options = ProcessorOptions(concurrency: 4, drainDelay: .milliseconds(200))
            try await QueueTesting.withProcessor(queue, options: options, handler: handler) { (_: QueueProcessor) async throws in
                try await QueueTesting.withProcessor(queue, options: options, handler: handler) { (_: QueueProcessor) async throws in
                    try await QueueTesting.withProcessor(queue, options: options, handler: handler) { (_: QueueProcessor) async throws in
                        #expect(try await QueueTesting.eventually(timeout: .seconds(60)) { try await queue.counts().completed == 60 })
                    }
                }
            }
            #expect(gauge.peak("ta") == 2, "ta's peak \(gauge.peak("ta"))")
            #expect(gauge.peak("tb") > 2, "tb's own limit of 10 let it run more at once: \(gauge.peak("tb"))")
            #expect(try await queue.fairTenants().allSatisfy { $0.running == 0 })
        }
    }

    /// Without a limit a tenant's active jobs are not recorded (one write fewer per job); a limit
    /// set while they run counts them all the same.
    @Test func aLimitSetWhileJobsRunCountsThem() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            _ = try await Self.add(queue, tenant: "ta", count: 10)
            var running: [Job] = []
            for _ in 0..<3 { running.append(try #require(try await queue.fetch(QueueTesting.fetch).job)) }
            #expect(try await queue.fairTenant("ta")?.running == 3)
            try await queue.setLimits(TenantLimits(concurrency: 2), tenant: "ta")
            // Three run, the limit is two: nothing more starts until two have finished.
            #expect(try await queue.fetch(QueueTesting.fetch).job == nil)
            _ = try await queue.complete(running[0], token: QueueTesting.fetch.token)
            #expect(try await queue.fetch(QueueTesting.fetch).job == nil)
            _ = try await queue.complete(running[1], token: QueueTesting.fetch.token)
            let next = try #require(try await queue.fetch(QueueTesting.fetch).job)
            #expect(next.tenantID == "ta")
            #expect(try await queue.fetch(QueueTesting.fetch).job == nil)
            #expect(try await queue.fairTenant("ta")?.running == 2)
            #expect(try await queue.fairTenant("ta")?.parked == .held)
        }
    }

    @Test func aTenantsRateLimitHoldsAcrossWorkers() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            try await queue.setLimits(TenantLimits(rateLimit: TenantRateLimit(max: 5, duration: .seconds(1))), tenant: "ta")
            let ids = try await Self.add(queue, tenant: "ta", count: 11)
            _ = try await Self.add(queue, tenant: "tb", count: 20)
            let handler: QueueProcessor.Handler = { _ in nil }
            let options = ProcessorOptions(concurrency: 5, drainDelay: .milliseconds(200))
            try await QueueTesting.withProcessor(queue, options: options, handler: handler) { (_: QueueProcessor) async throws in
                try await QueueTesting.withProcessor(queue, options: options, handler: handler) { (_: QueueProcessor) async throws in
                    try await QueueTesting.withProcessor(queue, options: options, handler: handler) { (_: QueueProcessor) async throws in
                        // tb, unlimited, is done long before ta's third window opens.
                        #expect(try await QueueTesting.eventually { try await queue.counts(tenant: "tb").completed == 20 })
                        #expect(try await queue.counts(tenant: "ta").completed <= 10)
                        #expect(try await QueueTesting.eventually { try await queue.counts().completed == 31 })
                    }
                }
            }
            let started = try await queue.jobs(ids: ids).compactMap(\.processedOn).sorted()
            #expect(started.count == 11)
            // Five starts per window: the 6th waits for the second window, the 11th for the third.
            #expect(started[5] - started[0] >= 990, "\(started)")
            #expect(started[10] - started[0] >= 1_990, "\(started)")
        }
    }

    @Test func pausingOneTenantLetsTheOthersRun() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            _ = try await Self.add(queue, tenant: "ta", count: 5)
            try await queue.pause(tenant: "ta")
            _ = try await Self.add(queue, tenant: "ta", count: 5)
            _ = try await Self.add(queue, tenant: "tb", count: 5)
            #expect(try await queue.fairTenant("ta")?.parked == .paused)
            try await QueueTesting.withProcessor(queue, options: .init(concurrency: 2, drainDelay: .milliseconds(200))) { _ in
                nil
            } _: { (_: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually { try await queue.counts(tenant: "tb").completed == 5 })
                let paused = try await queue.counts(tenant: "ta")
                #expect(paused.waiting == 10 && paused.active == 0 && paused.completed == 0)
                try await queue.resume(tenant: "ta")
                #expect(try await QueueTesting.eventually { try await queue.counts(tenant: "ta").completed == 10 })
            }
            #expect(try await queue.fairTenant("ta")?.parked == nil)
        }
    }

    @Test(arguments: [true, false])
    func aPurgeRemovesExactlyOneTenantsPendingJobs(fair: Bool) async throws {
        try await QueueTesting.withQueue { queue in
            if fair { try await queue.makeFair() }
            let finished = try await queue.add("done", json: "{}", options: .init(tenantID: "ta")).id
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            #expect(job.id == finished)
            _ = try await queue.complete(job, token: QueueTesting.fetch.token)
            var pending = try await Self.add(queue, tenant: "ta", count: 5)
            pending += try await Self.add(queue, tenant: "ta", count: 2, options: .init(delay: .seconds(3_600)))
            pending += try await Self.add(queue, tenant: "ta", count: 1, options: .init(priority: 3))
            let others = try await Self.add(queue, tenant: "tb", count: 3) + Self.add(queue, tenant: nil, count: 2)
            let removed = try await queue.purge(tenant: "ta", batch: 3)
            #expect(removed == pending.count)
            #expect(try await queue.existing(ids: pending).isEmpty)
            #expect(try await queue.existing(ids: others) == Set(others))
            #expect(try await queue.state(of: finished) == .completed)
            let counts = try await queue.counts(tenant: "ta")
            #expect(counts.waiting == 0 && counts.delayed == 0 && counts.prioritized == 0 && counts.completed == 1)
            #expect(try await queue.counts().waiting == 5)
            if fair { #expect(try await queue.fairTenant("ta")?.parked == nil) }
        }
    }

    @Test func aRunningJobSurvivesAPurge() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            _ = try await Self.add(queue, tenant: "ta", count: 3)
            let running = try #require(try await queue.fetch(QueueTesting.fetch).job)
            #expect(try await queue.purge(tenant: "ta") == 2)
            #expect(try await queue.state(of: running.id) == .active)
            _ = try await queue.complete(running, token: QueueTesting.fetch.token)
            #expect(try await queue.state(of: running.id) == .completed)
        }
    }

    /// A worker that took a job and died (its lock lapses) holds the tenant's only slot until the
    /// stalled check takes the job back; other tenants run meanwhile.
    @Test func theStalledCheckGivesAnAbandonedSlotBack() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair(defaults: TenantLimits(concurrency: 1))
            _ = try await Self.add(queue, tenant: "ta", count: 2)
            _ = try await Self.add(queue, tenant: "tb", count: 1)
            let abandoned = try #require(try await queue.fetch(FetchOptions(token: "gone", lockDuration: .milliseconds(100))).job)
            #expect(abandoned.tenantID == "ta")
            // ta is held at its limit: the next fetches serve tb only.
            #expect(try await Self.fetchTenants(queue, count: 3) == ["tb"])
            #expect(try await queue.fairTenant("ta")?.parked == .held)
            _ = try await queue.recoverStalled(interval: .milliseconds(1))
            #expect(
                try await QueueTesting.eventually {
                    (try await queue.recoverStalled(interval: .milliseconds(1)).recovered).contains(abandoned.id)
                })
            // The recovered job goes first in ta's turn, with ta's slot free again.
            let again = try #require(try await queue.fetch(QueueTesting.fetch).job)
            #expect(again.id == abandoned.id)
            #expect(try await queue.fairTenant("ta")?.running == 1)
        }
    }

    /// A prioritized job the stalled check put back waits at the front of its tenant's turn and is
    /// counted as waiting; removing it (a purge) takes it from there, so the tenant's counts stay
    /// true (a wrong count would refuse its adds with 429).
    @Test func aRecoveredPrioritizedJobIsPurgedFromTheRightCount() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            _ = try await Self.add(queue, tenant: "ta", count: 1, options: .init(priority: 5))
            let abandoned = try #require(try await queue.fetch(FetchOptions(token: "gone", lockDuration: .milliseconds(100))).job)
            #expect(abandoned.options.priority == 5)
            _ = try await Self.add(queue, tenant: "ta", count: 1)
            _ = try await queue.recoverStalled(interval: .milliseconds(1))
            #expect(
                try await QueueTesting.eventually {
                    (try await queue.recoverStalled(interval: .milliseconds(1)).recovered).contains(abandoned.id)
                })
            var counts = try await queue.counts(tenant: "ta")
            #expect(counts.waiting == 2 && counts.prioritized == 0)
            #expect(try await queue.purge(tenant: "ta") == 2)
            counts = try await queue.counts(tenant: "ta")
            #expect(counts.waiting == 0 && counts.prioritized == 0)
            #expect(try await queue.pendingCount(tenant: "ta") == 0)
            // Raw counters, not clamped: nothing went below zero.
            let raw = try await queue.redis.execute(
                RedisCommand("HMGET", [.string(queue.keys.tenantCounts("ta")), "waiting", "prioritized"]), as: [String?].self)
            #expect(raw.map { Int($0 ?? "0") ?? 0 } == [0, 0])
        }
    }

    /// A drain deletes at most its batch per script call, across tenants too.
    @Test func aDrainOfAFairQueueKeepsToItsBatch() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            _ = try await Self.add(queue, tenant: "ta", count: 30)
            _ = try await Self.add(queue, tenant: "tb", count: 30)
            // One script call: at most 20 go, whatever tenants they belong to.
            let first = try await queue.run(AdminQueueCall(action: .drain, now: Queue.now(), batchSize: 20, flag: false))
            let (count, more, _) = try AdminQueueCall.reply(first, queue: queue.name)
            #expect(count == 20 && more)
            #expect(try await queue.drain(batch: 20) == 40)
            #expect(try await queue.counts().waiting == 0)
            #expect(try await queue.fairTenants().allSatisfy { $0.queued == 0 })
        }
    }

    @Test func makingAQueueFIFOAgainKeepsEveryJob() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.makeFair()
            let a = try await Self.add(queue, tenant: "ta", count: 3)
            let b = try await Self.add(queue, tenant: "tb", count: 2, options: .init(priority: 2))
            #expect(try await queue.makeFIFO(batch: 2) == 5)
            #expect(try await !queue.isFair())
            let counts = try await queue.counts()
            #expect(counts.waiting == 3 && counts.prioritized == 2)
            var order: [String] = []
            while let job = try await queue.fetch(QueueTesting.fetch).job { order.append(job.id) }
            #expect(order == a + b)
        }
    }

    @Test func limitsAreBoundedAndNameTheirField() async throws {
        try await QueueTesting.withQueue { queue in
            await #expect(throws: QueueError.self) { try await queue.setLimits(TenantLimits(weight: 0), tenant: "ta") }
            await #expect(throws: QueueError.self) { try await queue.setLimits(TenantLimits(concurrency: Int.max), tenant: "ta") }
            do {
                try await queue.setLimits(TenantLimits(rateLimit: TenantRateLimit(max: 1, duration: .seconds(Int64.max))), tenant: "ta")
                Issue.record("an endless rate window was accepted")
            } catch let error as QueueError {
                #expect(error.message.contains("rate limit duration"))
            }
            await #expect(throws: QueueError.self) { try await queue.pause(tenant: "") }
        }
    }
}

/// Jobs running now per tenant, and the most at once.
final class RunningGauge: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [String: Int] = [:]
    private var peaks: [String: Int] = [:]

    func enter(_ tenant: String) {
        lock.lock()
        defer { lock.unlock() }
        running[tenant, default: 0] += 1
        peaks[tenant] = max(peaks[tenant] ?? 0, running[tenant] ?? 0)
    }

    func leave(_ tenant: String) {
        lock.lock()
        defer { lock.unlock() }
        running[tenant, default: 0] -= 1
    }

    func peak(_ tenant: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return peaks[tenant] ?? 0
    }
}
