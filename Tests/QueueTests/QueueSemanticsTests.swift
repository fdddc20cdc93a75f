import Foundation
import Redis
import Testing
import TestSupport
@testable import Queue

/// The queue's behaviour, end to end against Redis: one suite every queue implementation must pass.
@Suite struct QueueSemanticsTests {
    struct Payload: Codable, Sendable, Equatable { var n: Int }

    func fetchAll(_ queue: Queue, count: Int) async throws -> [Job] {
        var jobs: [Job] = []
        for _ in 0..<count {
            guard let job = try await queue.fetch(QueueTesting.fetch).job else { break }
            jobs.append(job)
        }
        return jobs
    }

    @Test func fifoOrder() async throws {
        try await QueueTesting.withQueue { queue in
            for n in 0..<5 { try await queue.add("n", data: Payload(n: n)) }
            let jobs = try await fetchAll(queue, count: 6)
            #expect(try jobs.map { try $0.decodeData(Payload.self).n } == [0, 1, 2, 3, 4])
            #expect(jobs.map(\.id) == ["1", "2", "3", "4", "5"])
        }
    }

    @Test func lifoJobsRunFirst() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.add("a", data: Payload(n: 1))
            try await queue.add("b", data: Payload(n: 2))
            try await queue.add("c", data: Payload(n: 3), options: .init(lifo: true))
            #expect(try await fetchAll(queue, count: 3).map(\.name) == ["c", "a", "b"])
        }
    }

    @Test func priorityOrder() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.add("p3", data: Payload(n: 0), options: .init(priority: 3))
            try await queue.add("p1a", data: Payload(n: 0), options: .init(priority: 1))
            try await queue.add("plain", data: Payload(n: 0))
            try await queue.add("p2", data: Payload(n: 0), options: .init(priority: 2))
            try await queue.add("p1b", data: Payload(n: 0), options: .init(priority: 1))
            // Jobs without priority first, then by priority, FIFO within one priority.
            #expect(try await fetchAll(queue, count: 5).map(\.name) == ["plain", "p1a", "p1b", "p2", "p3"])
        }
    }

    @Test func delayedJobRunsWhenDueAndNotBefore() async throws {
        try await QueueTesting.withQueue { queue in
            let started = Recorder<Int>()
            // Idle workers block for up to 120 s: the job can only start in time if the delayed
            // marker (or the slot's own due-time timer) wakes them, not the drain timeout.
            try await QueueTesting.withProcessor(queue, options: .init(drainDelay: .seconds(120))) { context in
                started.append(Queue.now())
                return nil
            } _: { (_: QueueProcessor) async throws in
                let added = Queue.now()
                let job = try await queue.add("later", data: Payload(n: 1), options: .init(delay: .seconds(2)))
                let due = added + 2_000
                let state = try await queue.state(of: job.id)
                if Queue.now() < due { #expect(state == .delayed) }
                #expect(try await QueueTesting.eventually(timeout: .seconds(60)) { started.count == 1 })
                let lateness = started.all[0] - due
                #expect(lateness >= 0, "ran \(-lateness) ms early")
            }
        }
    }

    @Test(arguments: [
        (Backoff.fixed(.milliseconds(150)), [150, 150]),
        (Backoff.exponential(.milliseconds(100)), [100, 200]),
    ])
    func retriesFollowTheBackoff(backoff: Backoff, gaps: [Int]) async throws {
        try await QueueTesting.withQueue { queue in
            let attempts = Recorder<Int>()
            try await QueueTesting.withProcessor(queue) { context in
                attempts.append(Queue.now())
                throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "boom"])
            } _: { (_: QueueProcessor) async throws in
                let added = try await queue.add("flaky", data: Payload(n: 1), options: .init(attempts: 3, backoff: backoff))
                #expect(try await QueueTesting.eventually { try await queue.state(of: added.id) == .failed })
                let job = try #require(try await queue.job(added.id))
                #expect(job.attemptsMade == 3)
                #expect(job.failedReason?.contains("boom") == true)
                let times = attempts.all
                #expect(times.count == 3)
                for (index, expected) in gaps.enumerated() where index + 1 < times.count {
                    #expect(times[index + 1] - times[index] >= expected, "gap \(index) shorter than \(expected) ms")
                }
            }
        }
    }

    @Test func jitterShortensDelaysWithinItsFraction() {
        let backoff = Backoff.exponential(.seconds(1), jitter: 0.5)
        #expect(backoff.delay(afterAttempt: 1, random: 0) == 1_000)
        #expect(backoff.delay(afterAttempt: 1, random: 0.999) == 501)
        #expect(backoff.delay(afterAttempt: 3, random: 0.5) == 3_000)
        #expect(Backoff.fixed(.milliseconds(200)).delay(afterAttempt: 5) == 200)
        for _ in 0..<100 {
            let delay = Backoff.fixed(.milliseconds(1_000), jitter: 0.2).delay(afterAttempt: 1)
            #expect((800...1_000).contains(delay))
        }
    }

    @Test func unrecoverableErrorsFailAtOnce() async throws {
        try await QueueTesting.withQueue { queue in
            try await QueueTesting.withProcessor(queue) { _ in
                throw UnrecoverableJobError("payload is malformed")
            } _: { (_: QueueProcessor) async throws in
                let added = try await queue.add("bad", data: Payload(n: 1), options: .init(attempts: 5))
                #expect(try await QueueTesting.eventually { try await queue.state(of: added.id) == .failed })
                let job = try #require(try await queue.job(added.id))
                #expect(job.attemptsMade == 1)
                #expect(job.failedReason == "payload is malformed")
            }
        }
    }

    @Test func customIDsAreIdempotent() async throws {
        try await QueueTesting.withQueue { queue in
            let first = try await queue.add("x", data: Payload(n: 1), options: .init(jobID: "order-42"))
            let second = try await queue.add("x", data: Payload(n: 2), options: .init(jobID: "order-42"))
            #expect(first == AddedJob(id: "order-42", outcome: .added))
            #expect(second == AddedJob(id: "order-42", outcome: .duplicated))
            #expect(try await queue.job("order-42")?.decodeData(Payload.self) == Payload(n: 1))
            #expect(try await queue.counts().waiting == 1)
        }
    }

    @Test func deduplicationUntilTheOwnerFinishes() async throws {
        try await QueueTesting.withQueue { queue in
            let dedup = JobOptions(deduplication: .init(id: "tenant-1-sync"))
            let first = try await queue.add("sync", data: Payload(n: 1), options: dedup)
            let second = try await queue.add("sync", data: Payload(n: 2), options: dedup)
            #expect(second == AddedJob(id: first.id, outcome: .deduplicated))
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            _ = try await queue.complete(job, token: QueueTesting.fetch.token)
            let third = try await queue.add("sync", data: Payload(n: 3), options: dedup)
            #expect(third.outcome == .added)
            #expect(third.id != first.id)
        }
    }

    @Test func deduplicationWithATTLThrottles() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let dedup = JobOptions(deduplication: .init(id: "throttle", ttl: .seconds(60)))
            let key = queue.keys.deduplication("throttle")
            let first = try await queue.add("t", data: Payload(n: 1), options: dedup)
            // Within the window, even after the owner finished, adds are ignored.
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            _ = try await queue.complete(job, token: QueueTesting.fetch.token)
            #expect(try await queue.add("t", data: Payload(n: 2), options: dedup) == AddedJob(id: first.id, outcome: .deduplicated))
            #expect(try await queue.redis.execute(RedisCommand("PTTL", [.string(key)]), as: Int.self) > 50_000)
            // The window ends (made to end now rather than waited for): the next add goes through.
            try await queue.redis.execute(RedisCommand("PEXPIRE", [.string(key), 1]))
            #expect(
                try await QueueTesting.eventually {
                    try await queue.redis.execute(.exists([key]), as: Int.self) == 0
                })
            #expect(try await queue.add("t", data: Payload(n: 3), options: dedup).outcome == .added)
        }
    }

    @Test func deduplicationExtendRestartsTheWindow() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let dedup = JobOptions(deduplication: .init(id: "extended", ttl: .seconds(60), extend: true))
            let key = queue.keys.deduplication("extended")
            try await queue.add("t", data: Payload(n: 1), options: dedup)
            try await queue.redis.execute(RedisCommand("PEXPIRE", [.string(key), 10_000]))
            #expect(try await queue.add("t", data: Payload(n: 2), options: dedup).outcome == .deduplicated)
            #expect(try await queue.redis.execute(RedisCommand("PTTL", [.string(key)]), as: Int.self) > 50_000)
        }
    }

    @Test func deduplicationReplaceDebouncesDelayedJobs() async throws {
        try await QueueTesting.withQueue { queue in
            let dedup = JobOptions(delay: .seconds(60), deduplication: .init(id: "debounce", replace: true))
            let first = try await queue.add("d", data: Payload(n: 1), options: dedup)
            let second = try await queue.add("d", data: Payload(n: 2), options: dedup)
            #expect(second.outcome == .added)
            #expect(try await queue.job(first.id) == nil)
            #expect(try await queue.job(second.id)?.decodeData(Payload.self) == Payload(n: 2))
            #expect(try await queue.counts().delayed == 1)
        }
    }

    @Test func stalledJobIsRecoveredAfterItsLockLapses() async throws {
        try await QueueTesting.withQueue { queue in
            let added = try await queue.add("s", data: Payload(n: 1))
            // A consumer takes the job with a short lock and dies (never renews, never finishes).
            let dead = FetchOptions(token: "dead-consumer", lockDuration: .milliseconds(100))
            #expect(try await queue.fetch(dead).job?.id == added.id)
            // First check marks the active job as a suspect; once the lock lapses, the next check recovers it.
            #expect(try await queue.recoverStalled(interval: .milliseconds(1)).recovered.isEmpty)
            #expect(
                try await QueueTesting.eventually {
                    try await queue.recoverStalled(interval: .milliseconds(1)).recovered == [added.id]
                })
            #expect(try await queue.state(of: added.id) == .waiting)
            let again = try #require(try await queue.fetch(QueueTesting.fetch).job)
            #expect(again.id == added.id)
            #expect(again.stalledCount == 1)
            #expect(again.deferredFailure == nil)
        }
    }

    @Test func jobStalledMoreThanMaxStalledCountFails() async throws {
        try await QueueTesting.withQueue { queue in
            let added = try await queue.add("s", data: Payload(n: 1))
            let dead = FetchOptions(token: "dead", lockDuration: .milliseconds(50))
            for round in 1...2 {
                #expect(try await queue.fetch(dead).job?.id == added.id, "round \(round)")
                _ = try await queue.recoverStalled(maxStalledCount: 1, interval: .milliseconds(1))
                #expect(
                    try await QueueTesting.eventually {
                        try await queue.recoverStalled(maxStalledCount: 1, interval: .milliseconds(1)).recovered == [added.id]
                    })
            }
            // Stalled twice with maxStalledCount 1: the next worker to fetch it fails it.
            let ran = Recorder<String>()
            try await QueueTesting.withProcessor(queue) { context in
                ran.append(context.job.id)
                return nil
            } _: { (_: QueueProcessor) async throws in
                #expect(try await QueueTesting.eventually { try await queue.state(of: added.id) == .failed })
            }
            #expect(ran.all.isEmpty)
            #expect(try await queue.job(added.id)?.failedReason == "job stalled more than allowable limit")
        }
    }

    @Test func renewedLocksKeepJobsFromStalling() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let added = try await queue.add("long", data: Payload(n: 1))
            // Locks far longer than a loaded machine can stall between two steps: the test counts
            // renewals and recoveries, it does not race the lock's clock.
            let options = FetchOptions(token: "alive", lockDuration: .seconds(60))
            _ = try #require(try await queue.fetch(options).job)
            _ = try await queue.recoverStalled(interval: .milliseconds(1))
            for _ in 0..<5 {
                #expect(try await queue.extendLocks([(added.id, "alive")], duration: .seconds(60)).isEmpty)
                let recovered = try await queue.recoverStalled(interval: .milliseconds(1)).recovered
                #expect(recovered.isEmpty)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await queue.state(of: added.id) == .active)
            // Another token cannot renew (or finish) it.
            #expect(try await queue.extendLocks([(added.id, "impostor")], duration: .seconds(1)) == [added.id])
            // Once renewals stop, the lock lapses and the job is recovered (a last, short renewal
            // lets it lapse soon).
            #expect(try await queue.extendLocks([(added.id, "alive")], duration: .milliseconds(200)).isEmpty)
            #expect(
                try await QueueTesting.eventually {
                    try await queue.recoverStalled(interval: .milliseconds(1)).recovered == [added.id]
                })
        }
    }

    @Test func keepLastNCompletedJobs() async throws {
        try await QueueTesting.withQueue { queue in
            var ids: [String] = []
            for n in 0..<5 {
                ids.append(try await queue.add("k", data: Payload(n: n), options: .init(removeOnComplete: .last(2))).id)
            }
            for _ in 0..<5 {
                let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
                _ = try await queue.complete(job, token: QueueTesting.fetch.token)
            }
            #expect(try await queue.counts().completed == 2)
            #expect(try await queue.jobs(in: .completed).map(\.id) == [ids[4], ids[3]])
            for id in ids.prefix(3) { #expect(try await queue.job(id) == nil) }
        }
    }

    @Test func removeOnCompleteTrueDeletesAtOnce() async throws {
        try await QueueTesting.withQueue { queue in
            let added = try await queue.add("gone", data: Payload(n: 1), options: .init(removeOnComplete: KeepJobs.none, tenantID: "t1"))
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            _ = try await queue.complete(job, token: QueueTesting.fetch.token)
            #expect(try await queue.job(added.id) == nil)
            #expect(try await queue.counts().completed == 0)
            #expect(try await queue.jobCount(tenant: "t1") == 0)
        }
    }

    @Test func theQueuesDefaultRetentionBoundsJobsThatSetNone() async throws {
        let options = QueueOptions(defaultRemoveOnComplete: .last(2), defaultRemoveOnFail: .last(1))
        try await QueueTesting.withQueue(options: options) { queue in
            // Added as a BullMQ producer adds them: no removal policy of their own.
            for n in 0..<5 { try await queue.add("plain", data: Payload(n: n)) }
            for _ in 0..<3 {
                let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
                _ = try await queue.complete(job, token: QueueTesting.fetch.token)
            }
            for _ in 0..<2 {
                let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
                _ = try await queue.fail(job, token: QueueTesting.fetch.token, reason: "no")
            }
            let counts = try await queue.counts()
            #expect(counts.completed == 2 && counts.failed == 1)
            // A job's own policy still wins.
            try await queue.add("kept", data: Payload(n: 9), options: .init(removeOnComplete: .all))
            let own = try #require(try await queue.fetch(QueueTesting.fetch).job)
            _ = try await queue.complete(own, token: QueueTesting.fetch.token)
            #expect(try await queue.job(own.id) != nil)
        }
    }

    @Test func keepByAgeDeletesOlderJobs() async throws {
        try await QueueTesting.withQueue { queue in
            let options = JobOptions(removeOnFail: .age(seconds: 1, count: nil, limit: nil))
            let old = try await queue.add("a", data: Payload(n: 1), options: options)
            let first = try #require(try await queue.fetch(QueueTesting.fetch).job)
            _ = try await queue.fail(first, token: QueueTesting.fetch.token, reason: "x")
            let started = ContinuousClock.now
            while ContinuousClock.now - started < .milliseconds(1_100) { try await Task.sleep(for: .milliseconds(50)) }
            let young = try await queue.add("b", data: Payload(n: 2), options: options)
            let second = try #require(try await queue.fetch(QueueTesting.fetch).job)
            _ = try await queue.fail(second, token: QueueTesting.fetch.token, reason: "y")
            #expect(try await queue.job(old.id) == nil)
            #expect(try await queue.jobs(in: .failed).map(\.id) == [young.id])
        }
    }

    @Test func pauseHoldsEveryWorkerAndResumeReleases() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.pause()
            try await queue.add("p", data: Payload(n: 1))
            #expect(try await queue.counts().paused)
            #expect(try await queue.fetch(QueueTesting.fetch).job == nil)
            let ran = Recorder<String>()
            try await QueueTesting.withProcessor(queue) { context in
                ran.append(context.job.id)
                return nil
            } _: { (_: QueueProcessor) async throws in
                try await queue.resume()
                #expect(try await QueueTesting.eventually { ran.count == 1 })
            }
            #expect(try await !queue.isPaused())
        }
    }

    @Test func rateLimiterHoldsBackJobs() async throws {
        try await QueueTesting.withQueue { queue in
            // A window far longer than three fetches take on a loaded machine: the test counts,
            // it does not race the clock.
            try await queue.setGlobalRateLimit(max: 2, duration: .seconds(120))
            for n in 0..<3 { try await queue.add("r", data: Payload(n: n)) }
            #expect(try await queue.fetch(QueueTesting.fetch).job != nil)
            #expect(try await queue.fetch(QueueTesting.fetch).job != nil)
            guard case .rateLimited(let wait) = try await queue.fetch(QueueTesting.fetch) else {
                Issue.record("third fetch was not rate limited")
                return
            }
            #expect(wait > .zero && wait <= .seconds(120))
            #expect(try await queue.counts().waiting == 1)
        }
    }

    @Test func globalConcurrencyCapsActiveJobs() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.setGlobalConcurrency(1)
            for n in 0..<2 { try await queue.add("c", data: Payload(n: n)) }
            let first = try #require(try await queue.fetch(QueueTesting.fetch).job)
            #expect(try await queue.fetch(QueueTesting.fetch).job == nil)
            let next = try await queue.complete(first, token: QueueTesting.fetch.token, fetchNext: QueueTesting.fetch)
            #expect(next?.job?.name == "c")
        }
    }

    @Test func completingFetchesTheNextJobInTheSameCall() async throws {
        try await QueueTesting.withQueue { queue in
            for n in 0..<2 { try await queue.add("n", data: Payload(n: n)) }
            let first = try #require(try await queue.fetch(QueueTesting.fetch).job)
            let next = try await queue.complete(first, token: QueueTesting.fetch.token, returnValue: #"{"ok":true}"#, fetchNext: QueueTesting.fetch)
            #expect(try next?.job?.decodeData(Payload.self) == Payload(n: 1))
            #expect(try await queue.job(first.id)?.returnValue == #"{"ok":true}"#)
            #expect(try await queue.state(of: first.id) == .completed)
        }
    }

    @Test func finishingWithAForeignTokenIsRefused() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.add("x", data: Payload(n: 1))
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            let error = await #expect(throws: QueueError.self) { _ = try await queue.complete(job, token: "someone-else") }
            #expect(error?.code == .lockLost)
            #expect(try await queue.state(of: job.id) == .active)
        }
    }

    /// Redis restarted and its lock keys are gone, but the job is still active and nobody else
    /// took it: the worker that holds it re-locks it on renewal, or simply finishes it — it does
    /// not wait for the stalled check (which would also spend one of the job's stalls).
    @Test func aJobWhoseLockVanishedIsKeptAndFinishedByItsWorker() async throws {
        try await QueueTesting.withQueue { queue in
            let options = FetchOptions(token: "alive", lockDuration: .seconds(60))
            try await queue.add("kept", data: Payload(n: 1))
            let job = try #require(try await queue.fetch(options).job)
            let lock = queue.keys.lock(job.id)
            try await queue.redis.execute(.del([lock]))
            #expect(try await queue.extendLocks([(job.id, "alive")], duration: .seconds(60)).isEmpty)
            #expect(try await queue.redis.execute(.get(lock), as: String?.self) == "alive")
            try await queue.redis.execute(.del([lock]))
            _ = try await queue.complete(job, token: "alive")
            #expect(try await queue.state(of: job.id) == .completed)
            #expect(try await queue.job(job.id)?.stalledCount == 0)

            // Once the stalled check has moved it on, it is no longer the worker's.
            try await queue.add("moved", data: Payload(n: 2))
            let moved = try #require(try await queue.fetch(options).job)
            try await queue.redis.execute(.del([queue.keys.lock(moved.id)]))
            _ = try await queue.recoverStalled(interval: .milliseconds(1))
            #expect(
                try await QueueTesting.eventually {
                    try await queue.recoverStalled(interval: .milliseconds(1)).recovered == [moved.id]
                })
            #expect(try await queue.extendLocks([(moved.id, "alive")], duration: .seconds(60)) == [moved.id])
            let error = await #expect(throws: QueueError.self) { _ = try await queue.complete(moved, token: "alive") }
            #expect(error?.code == .lockLost)
            #expect(try await queue.state(of: moved.id) == .waiting)
        }
    }

    @Test func cleanAndObliterateLeaveNoKeysBehind() async throws {
        try await QueueTesting.withQueue { queue in
            for n in 0..<6 {
                try await queue.add("o", data: Payload(n: n), options: .init(deduplication: n == 0 ? .init(id: "d0") : nil, tenantID: "tenant-a"))
            }
            try await queue.add("later", data: Payload(n: 9), options: .init(delay: .seconds(60)))
            for index in 0..<3 {
                let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
                if index == 0 {
                    _ = try await queue.fail(job, token: QueueTesting.fetch.token, reason: "no")
                } else {
                    _ = try await queue.complete(job, token: QueueTesting.fetch.token)
                }
                try await queue.addLog(job.id, "line")
            }
            let cleaned = try await queue.clean(.completed, grace: .zero, limit: 100)
            #expect(cleaned.count == 2)
            for id in cleaned { #expect(try await queue.job(id) == nil) }
            #expect(try await queue.jobCount(tenant: "tenant-a") == 4)

            await #expect(throws: QueueError.self) { try await queue.obliterate() }  // not paused
            try await queue.pause()
            try await queue.obliterate()
            #expect(try await QueueTesting.keys(of: queue) == [])
        }
    }

    @Test func obliterateRefusesActiveJobsUnlessForced() async throws {
        try await QueueTesting.withQueue { queue in
            try await queue.add("a", data: Payload(n: 1))
            _ = try #require(try await queue.fetch(QueueTesting.fetch).job)
            try await queue.pause()
            let error = await #expect(throws: QueueError.self) { try await queue.obliterate() }
            #expect(error?.code == .activeJobs)
            try await queue.obliterate(force: true)
            #expect(try await QueueTesting.keys(of: queue) == [])
        }
    }

    @Test func drainRetryPromoteAndRemove() async throws {
        try await QueueTesting.withQueue { queue in
            let delayed = try await queue.add("d", data: Payload(n: 1), options: .init(delay: .seconds(60)))
            try await queue.promote(delayed.id)
            #expect(try await queue.state(of: delayed.id) == .waiting)
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            _ = try await queue.fail(job, token: QueueTesting.fetch.token, reason: "x")
            try await queue.retry(job.id)
            #expect(try await queue.state(of: job.id) == .waiting)
            #expect(try await queue.job(job.id)?.attemptsMade == 0)

            for n in 0..<3 { try await queue.add("w", data: Payload(n: n)) }
            let removable = try await queue.add("r", data: Payload(n: 0))
            try await queue.remove(removable.id)
            #expect(try await queue.job(removable.id) == nil)
            #expect(try await queue.drain() == 4)
            #expect(try await queue.counts().waiting == 0)

            let failing = try await queue.add("f", data: Payload(n: 0))
            let taken = try #require(try await queue.fetch(QueueTesting.fetch).job)
            _ = try await queue.fail(taken, token: QueueTesting.fetch.token, reason: "x")
            #expect(try await queue.retryAllFailed() == 1)
            #expect(try await queue.state(of: failing.id) == .waiting)
            let error = await #expect(throws: QueueError.self) { try await queue.promote(failing.id) }
            #expect(error?.code == .wrongState)
        }
    }

    @Test func tenantIndexListsOnlyThatTenantsJobs() async throws {
        try await QueueTesting.withQueue { queue in
            var mine: [String] = []
            for n in 0..<3 { mine.append(try await queue.add("t", data: Payload(n: n), options: .init(tenantID: "tenant-a")).id) }
            for n in 0..<2 { try await queue.add("t", data: Payload(n: n), options: .init(tenantID: "tenant-b")) }
            try await queue.add("untenanted", data: Payload(n: 0))
            #expect(try await queue.jobs(tenant: "tenant-a").map(\.id) == mine.reversed())
            #expect(try await queue.jobs(tenant: "tenant-a").allSatisfy { $0.tenantID == "tenant-a" })
            #expect(try await queue.jobCount(tenant: "tenant-b") == 2)
            try await queue.remove(mine[0])
            #expect(try await queue.jobCount(tenant: "tenant-a") == 2)
            #expect(try await queue.jobs(tenant: "tenant-a", offset: 1, limit: 1).map(\.id) == [mine[1]])
        }
    }

    @Test func progressLogsAndMetrics() async throws {
        try await QueueTesting.withQueue { queue in
            try await QueueTesting.withProcessor(queue, options: .init(concurrency: 4)) { context in
                try await context.updateProgress(50)
                try await context.log("halfway")
                return #"{"done":true}"#
            } _: { (_: QueueProcessor) async throws in
                for n in 0..<10 { try await queue.add("m", data: Payload(n: n)) }
                #expect(try await QueueTesting.eventually { try await queue.counts().completed == 10 })
            }
            let job = try #require(try await queue.jobs(in: .completed, limit: 1).first)
            #expect(job.progress == "50")
            #expect(job.returnValue == #"{"done":true}"#)
            #expect(try await queue.logs(job.id) == ["halfway"])
            #expect(try await queue.metrics(.completed).count == 10)
        }
    }

    @Test func eventsStreamFollowsTheLifecycle() async throws {
        try await QueueTesting.withQueue { queue in
            let stream = Task { () -> [String] in
                var names: [String] = []
                for try await event in queue.events(after: "0-0", block: .milliseconds(200)) {
                    names.append(event.name)
                    if event.name == "completed" { break }
                }
                return names
            }
            try await QueueTesting.withProcessor(queue) { context in
                try await context.updateProgress(["step": 1])
                return nil
            } _: { (_: QueueProcessor) async throws in
                try await queue.add("e", data: Payload(n: 1))
                let names = try await stream.value
                #expect(names.starts(with: ["added", "waiting", "active", "progress", "completed"]))
            }
        }
    }

    @Test func idleProcessorPicksUpNewJobsWithoutPolling() async throws {
        try await QueueTesting.withQueue { queue in
            let started = Recorder<Int>()
            try await QueueTesting.withProcessor(queue, options: .init(concurrency: 2, drainDelay: .seconds(30))) { _ in
                started.append(Queue.now())
                return nil
            } _: { (processor: QueueProcessor) async throws in
                // Let the processor go idle (blocked on the marker), then add.
                #expect(
                    try await QueueTesting.eventually {
                        let info = try await queue.redis.execute(RedisCommand("INFO", ["clients"]), as: String.self)
                        return !info.contains("blocked_clients:0")
                    })
                let added = Queue.now()
                try await queue.add("wake", data: Payload(n: 1))
                #expect(try await QueueTesting.eventually { started.count == 1 })
                // With a 30 s drain delay, only the marker can have woken it this fast.
                #expect(started.all[0] - added < 5_000)
            }
        }
    }

    @Test func badInputIsRefusedBeforeRedis() async throws {
        try await QueueTesting.withQueue(options: .init(maximumDataSize: 1_000)) { (queue: Queue) async throws in
            let tooLarge = await #expect(throws: QueueError.self) {
                try await queue.add("big", json: "\"" + String(repeating: "x", count: 2_000) + "\"")
            }
            #expect(tooLarge?.code == .dataTooLarge)
            #expect(tooLarge?.message.contains("at most 1000") == true)
            let notJSON = await #expect(throws: QueueError.self) { try await queue.add("bad", json: "{not json") }
            #expect(notJSON?.code == .invalidData)
            for id in ["123", "a:b", ""] {
                let error = await #expect(throws: QueueError.self) {
                    try await queue.add("x", data: Payload(n: 1), options: .init(jobID: id))
                }
                #expect(error?.code == .invalidJobID)
            }
            for tenant in ["", "a b", "a:b", "tab\there", "del\u{7F}", "tenänt", String(repeating: "t", count: 65)] {
                let error = await #expect(throws: QueueError.self) {
                    try await queue.add("x", data: Payload(n: 1), options: .init(tenantID: tenant))
                }
                #expect(error?.code == .invalidOption)
            }
            let priority = await #expect(throws: QueueError.self) {
                try await queue.add("x", data: Payload(n: 1), options: .init(priority: 3_000_000))
            }
            #expect(priority?.code == .invalidOption)
            #expect(try await queue.counts() == Queue.Counts())
        }
    }

    @Test func addBulkIsOneRoundTripAndKeepsOrder() async throws {
        try await QueueTesting.withQueue { queue in
            let jobs = try (0..<500).map { try NewJob(name: "bulk", data: Payload(n: $0)) }
            let added = try await queue.addBulk(jobs)
            #expect(added.count == 500)
            #expect(Set(added.map(\.id)).count == 500)
            let fetched = try await fetchAll(queue, count: 500)
            #expect(try fetched.map { try $0.decodeData(Payload.self).n } == Array(0..<500))
        }
    }

    @Test func hashTaggedKeysShareOneSlot() throws {
        let keys = QueueKeys(prefix: "{bull}", queue: "imports")
        #expect(keys.hashTag == "bull")
        #expect(keys.job("7").hasPrefix("{bull}:imports:"))
        #expect(QueueKeys(queue: "plain").hashTag == nil)
    }
}

/// Redis Cluster: with a hash-tagged prefix, every key a queue's scripts create shares the tag.
@Suite struct QueueClusterKeysTests {
    @Test func everyKeyOfAHashTaggedQueueSharesTheTag() async throws {
        try await QueueTesting.withQueue(prefix: "{obc}") { (queue: Queue) async throws in
            try await queue.add("a", data: ["n": 1], options: .init(deduplication: .init(id: "d"), tenantID: "tenant-x"))
            try await queue.add("b", data: ["n": 2], options: .init(delay: .seconds(30)))
            try await queue.add("c", data: ["n": 3], options: .init(priority: 2))
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            try await queue.addLog(job.id, "log line")
            _ = try await queue.complete(job, token: QueueTesting.fetch.token)
            _ = try await queue.recoverStalled(interval: .seconds(1))
            let keys = try await QueueTesting.keys(of: queue)
            #expect(keys.count > 10)
            for key in keys {
                #expect(QueueKeys.hashTag(of: key) == "obc", "\(key) would hash to another slot")
            }
        }
    }
}
