import Foundation
import Redis
import Testing
import TestSupport
@testable import Queue

/// A tenant's counts (kept by the scripts, read in one command) always equal what its jobs'
/// actual states add up to, through every way a job can move.
struct TenantCountsTests {
    /// The states of the tenant's jobs, each looked up where it is (the slow, exact way).
    static func truth(_ queue: Queue, tenant: String) async throws -> Queue.Counts {
        var counts = Queue.Counts()
        counts.paused = try await queue.isPaused()
        for job in try await queue.jobs(tenant: tenant, offset: 0, limit: 1000) {
            switch try await queue.state(of: job.id) {
            case .waiting: counts.waiting += 1
            case .active: counts.active += 1
            case .prioritized: counts.prioritized += 1
            case .delayed: counts.delayed += 1
            case .completed: counts.completed += 1
            case .failed: counts.failed += 1
            case .waitingChildren: counts.waitingChildren += 1
            case .unknown: break
            }
        }
        return counts
    }

    static func check(_ queue: Queue, _ step: String, tenants: [String] = ["ta", "tb"]) async throws {
        for tenant in tenants {
            let kept = try await queue.counts(tenant: tenant)
            let actual = try await truth(queue, tenant: tenant)
            #expect(kept == actual, "after \(step), tenant \(tenant): kept \(kept), actual \(actual)")
        }
    }

    static func fetch(_ queue: Queue, token: String = "t", lock: Duration = .seconds(30)) async throws -> Job {
        try #require(try await queue.fetch(FetchOptions(token: token, lockDuration: lock)).job)
    }

    @Test(arguments: [false, true])
    func countsFollowEveryMove(fair: Bool) async throws {
        try await QueueTesting.withQueue { queue in
            if fair { try await queue.makeFair() }
            func add(_ tenant: String?, _ options: JobOptions = .init()) async throws -> String {
                var options = options
                options.tenantID = tenant
                return try await queue.add("job", json: "{}", options: options).id
            }
            _ = try await add("ta")
            _ = try await add("ta", .init(attempts: 2, backoff: .fixed(.zero)))
            _ = try await add("ta", .init(attempts: 1))
            let prioritized = try await add("ta", .init(priority: 5))
            let later = try await add("ta", .init(delay: .seconds(3_600)))
            let removable = try await add("tb")
            _ = try await add("tb", .init(removeOnComplete: KeepJobs.none))
            _ = try await add(nil)
            try await Self.check(queue, "adds")

            // ta's first job completes; its second fails with a retry (back to wait); its third fails for good.
            var job = try await Self.fetch(queue)
            _ = try await queue.complete(job, token: "t")
            try await Self.check(queue, "complete")
            job = try await Self.fetch(queue)
            _ = try await queue.fail(job, token: "t", reason: "again")
            try await Self.check(queue, "fail with retry")
            job = try await Self.fetch(queue)
            _ = try await queue.fail(job, token: "t", reason: "for good", unrecoverable: true)
            try await Self.check(queue, "fail for good")

            try await queue.promote(later)
            try await Self.check(queue, "promote")
            try await queue.remove(removable)
            try await Self.check(queue, "remove")

            // Everything left runs; tb's job with removeOnComplete none is deleted as it completes.
            while let next = try await queue.fetch(FetchOptions(token: "t", lockDuration: .seconds(30))).job {
                if next.id == prioritized {
                    _ = try await queue.fail(next, token: "t", reason: "no", unrecoverable: true)
                } else {
                    _ = try await queue.complete(next, token: "t")
                }
                try await Self.check(queue, "run \(next.id)")
            }
            #expect(try await queue.retryAllFailed() == 2)
            try await Self.check(queue, "retry all failed")
            job = try await Self.fetch(queue)
            _ = try await queue.fail(job, token: "t", reason: "once more", unrecoverable: true)
            try await queue.retry(job.id)
            try await Self.check(queue, "retry one")

            // A job whose lock lapses is taken back by the stalled check.
            let stalled = try await Self.fetch(queue, token: "gone", lock: .milliseconds(50))
            try await Self.check(queue, "stalled job active")
            _ = try await queue.recoverStalled(interval: .milliseconds(1))
            #expect(
                try await QueueTesting.eventually {
                    try await queue.redis.execute(
                        RedisCommand("EXISTS", [.string(queue.keys.job(stalled.id) + ":lock")], keyArguments: 0..<1), as: Int.self) == 0
                })
            let recovered = Recorder<String>()
            #expect(
                try await QueueTesting.eventually {
                    for id in try await queue.recoverStalled(interval: .milliseconds(1)).recovered { recovered.append(id) }
                    return recovered.all.contains(stalled.id)
                })
            try await Self.check(queue, "stalled recovery")

            _ = try await add("ta", .init(delay: .seconds(3_600)))
            _ = try await add("ta", .init(priority: 2))
            _ = try await queue.clean(.completed, grace: .zero, limit: 1000)
            try await Self.check(queue, "clean completed")
            _ = try await queue.drain(includeDelayed: true)
            try await Self.check(queue, "drain")
        }
    }
}
