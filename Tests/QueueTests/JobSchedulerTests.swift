import Foundation
import Redis
import Testing
import TestSupport
@testable import Queue

/// Job schedulers against the test Redis: the layout they write, upserts that replace rather than
/// double, the next run added once however many workers race, limits, removal. Times are
/// injected (`now:`), so the runs are known in advance; only the racing test runs on the clock.
struct JobSchedulerTests {
    struct Payload: Codable, Sendable, Equatable { let n: Int }

    static let t0 = 1_900_000_000_000  // 2030-03-17, a fixed "now"

    @Test func anEverySchedulerWritesBullMQsLayoutAndADelayedJob() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let schedule = try JobSchedule.every(.seconds(60), startDate: Self.t0 + 5_000, limit: 10)
            let template = try NewJob(name: "tick", data: Payload(n: 1), options: .init(attempts: 2, tenantID: "tenant-a"))
            let run = try await queue.upsertJobScheduler("ticker", schedule: schedule, template: template, now: Self.t0)
            #expect(run == ScheduledRun(jobID: "repeat:ticker:\(Self.t0 + 5_000)", milliseconds: Self.t0 + 5_000))

            let redis = queue.redis
            #expect(
                try await redis.execute(RedisCommand("ZSCORE", [.string(queue.keys.schedulers), "ticker"]), as: Double.self)
                    == Double(Self.t0 + 5_000))
            let hash = try await redis.execute(RedisCommand("HGETALL", [.string(queue.keys.scheduler("ticker"))]), as: [String: String].self)
            #expect(hash["name"] == "tick")
            #expect(hash["every"] == "60000")
            #expect(hash["limit"] == "10")
            #expect(hash["startDate"] == String(Self.t0 + 5_000))
            #expect(hash["ic"] == "1")
            #expect(hash["tid"] == "tenant-a")
            #expect(hash["data"] == #"{"n":1}"#)
            #expect(hash["opts"]?.contains(#""attempts":2"#) == true)

            let job = try #require(try await queue.job(run.jobID))
            #expect(job.schedulerID == "ticker")
            #expect(job.tenantID == "tenant-a")
            #expect(job.options.attempts == 2)
            #expect(job.rawOptions.contains(#""repeatJobKey":"ticker""#))
            #expect(job.rawOptions.contains(#""repeat":{"count":1,"every":60000,"limit":10,"offset":"#))
            #expect(try await queue.counts().delayed == 1)

            let read = try #require(try await queue.jobScheduler("ticker"))
            #expect(read.name == "tick")
            #expect(read.schedule == schedule)
            #expect(read.next == Self.t0 + 5_000)
            #expect(read.iterationCount == 1)
            #expect(read.tenantID == "tenant-a")
            #expect(try await queue.jobSchedulers().map(\.id) == ["ticker"])
            #expect(try await queue.jobSchedulerCount() == 1)
            #expect(try await queue.jobScheduler("nobody") == nil)
        }
    }

    @Test func upsertReplacesThePendingJobWithoutDoublingIt() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let every = try JobSchedule.every(.seconds(30))
            let first = try await queue.upsertJobScheduler(
                "s", schedule: every, template: try NewJob(name: "a", data: Payload(n: 1)), now: Self.t0)
            #expect(first.milliseconds == Self.t0)
            // New data, same cadence: the pending run keeps its time and gets the new data.
            let second = try await queue.upsertJobScheduler(
                "s", schedule: every, template: try NewJob(name: "a", data: Payload(n: 2)), now: Self.t0 + 1_000)
            #expect(second == first)
            let job = try #require(try await queue.job(second.jobID))
            #expect(try job.decodeData(Payload.self) == Payload(n: 2))
            #expect(try await queue.counts().waiting == 1)
            // A new cadence: the pending job is replaced by one at the new first run.
            let cron = try JobSchedule.cron("0 8 * * MON", timeZone: "Europe/Paris")
            let third = try await queue.upsertJobScheduler(
                "s", schedule: cron, template: try NewJob(name: "a", data: Payload(n: 3)), now: Self.t0 + 2_000)
            #expect(third.milliseconds == CronPatternTests.at("2030-03-18 08:00:00 +01:00"))
            let counts = try await queue.counts()
            #expect(counts.waiting == 0 && counts.delayed == 1)
            #expect(try await queue.job(first.jobID) == nil)
            let hash = try await queue.redis.execute(
                RedisCommand("HGETALL", [.string(queue.keys.scheduler("s"))]), as: [String: String].self)
            #expect(hash["pattern"] == "0 8 * * MON" && hash["tz"] == "Europe/Paris" && hash["every"] == nil)
        }
    }

    @Test func aLongerPeriodKeepsThePendingRunAndAShorterOneBringsItForward() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let template = try NewJob(name: "a", data: Payload(n: 1))
            let hourly = try JobSchedule.every(.seconds(3_600), startDate: Self.t0 + 3_600_000)
            let first = try await queue.upsertJobScheduler("s", schedule: hourly, template: template, now: Self.t0)
            #expect(first.milliseconds == Self.t0 + 3_600_000)
            // Every two hours, half an hour later: the pending run keeps its time, nothing fires now.
            let twoHours = try JobSchedule.every(.seconds(7_200), startDate: Self.t0 + 3_600_000)
            let kept = try await queue.upsertJobScheduler("s", schedule: twoHours, template: template, now: Self.t0 + 1_800_000)
            #expect(kept.milliseconds == Self.t0 + 3_600_000)
            // Every minute: the pending run comes forward to one new period from now (not to now).
            let minutely = try JobSchedule.every(.seconds(60))
            let sooner = try await queue.upsertJobScheduler("s", schedule: minutely, template: template, now: Self.t0 + 1_800_000)
            #expect(sooner.milliseconds == Self.t0 + 1_860_000)
            let counts = try await queue.counts()
            #expect(counts.delayed == 1 && counts.waiting == 0)
            // Asked for a run now: now.
            let now = try JobSchedule.every(.seconds(60), immediately: true)
            let immediate = try await queue.upsertJobScheduler("s", schedule: now, template: template, now: Self.t0 + 1_900_000)
            #expect(immediate.milliseconds == Self.t0 + 1_900_000)
        }
    }

    @Test func theTakenRunAddsTheNextOnceAndTheLimitEndsIt() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let schedule = try JobSchedule.every(.seconds(10), limit: 3)
            _ = try await queue.upsertJobScheduler("s", schedule: schedule, template: try NewJob(name: "n", data: Payload(n: 0)), now: Self.t0)
            var now = Self.t0
            var runs: [String] = []
            for expected in 1...3 {
                let job = try #require(try await queue.fetch(QueueTesting.fetch).job, "run \(expected)")
                runs.append(job.id)
                let advance = try await queue.advanceScheduler(after: job, now: now)
                // Taking the same job twice (a retried attempt, a second worker) adds nothing.
                #expect(try await queue.advanceScheduler(after: job, now: now) == (expected < 3 ? .notCurrent : .finished))
                _ = try await queue.complete(job, token: QueueTesting.fetch.token)
                if expected < 3 {
                    #expect(
                        advance == .added(ScheduledRun(jobID: "repeat:s:\(Self.t0 + expected * 10_000)", milliseconds: Self.t0 + expected * 10_000)))
                    try await queue.promote("repeat:s:\(Self.t0 + expected * 10_000)")
                } else {
                    #expect(advance == .finished)
                }
                now += 10_000
            }
            #expect(runs == (0..<3).map { "repeat:s:\(Self.t0 + $0 * 10_000)" })
            let counts = try await queue.counts()
            #expect(counts.completed == 3 && counts.delayed == 0 && counts.waiting == 0)
            #expect(try await queue.jobScheduler("s")?.iterationCount == 3)
        }
    }

    @Test func aLateWorkerSkipsMissedRunsAndAnEndDateStopsTheSchedule() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let schedule = try JobSchedule.every(.seconds(10), endDate: Self.t0 + 45_000)
            _ = try await queue.upsertJobScheduler("s", schedule: schedule, template: try NewJob(name: "n", data: Payload(n: 0)), now: Self.t0)
            let job = try #require(try await queue.fetch(QueueTesting.fetch).job)
            // Taken 25 s late: the runs at +10 s and +20 s are skipped, the next is at +30 s.
            #expect(
                try await queue.advanceScheduler(after: job, now: Self.t0 + 25_000)
                    == .added(ScheduledRun(jobID: "repeat:s:\(Self.t0 + 30_000)", milliseconds: Self.t0 + 30_000)))
            _ = try await queue.complete(job, token: QueueTesting.fetch.token)
            try await queue.promote("repeat:s:\(Self.t0 + 30_000)")
            let next = try #require(try await queue.fetch(QueueTesting.fetch).job)
            // +40 s is within the end date; +50 s would not be.
            #expect(
                try await queue.advanceScheduler(after: next, now: Self.t0 + 30_000)
                    == .added(ScheduledRun(jobID: "repeat:s:\(Self.t0 + 40_000)", milliseconds: Self.t0 + 40_000)))
            _ = try await queue.complete(next, token: QueueTesting.fetch.token)
            try await queue.promote("repeat:s:\(Self.t0 + 40_000)")
            let last = try #require(try await queue.fetch(QueueTesting.fetch).job)
            #expect(try await queue.advanceScheduler(after: last, now: Self.t0 + 40_000) == .finished)
        }
    }

    @Test func removingASchedulerRemovesItsPendingJobOnly() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let schedule = try JobSchedule.every(.seconds(10))
            _ = try await queue.upsertJobScheduler("s", schedule: schedule, template: try NewJob(name: "n", data: Payload(n: 0)), now: Self.t0)
            let running = try #require(try await queue.fetch(QueueTesting.fetch).job)
            guard case .added(let next) = try await queue.advanceScheduler(after: running, now: Self.t0) else {
                Issue.record("no next run")
                return
            }
            #expect(try await queue.removeJobScheduler("s"))
            #expect(try await !queue.removeJobScheduler("s"))
            #expect(try await queue.job(next.jobID) == nil)
            #expect(try await queue.jobScheduler("s") == nil)
            // The running job finishes normally; with its scheduler gone it adds nothing.
            #expect(try await queue.advanceScheduler(after: running, now: Self.t0) == .notCurrent)
            _ = try await queue.complete(running, token: QueueTesting.fetch.token)
            #expect(try await queue.counts().completed == 1)
        }
    }

    @Test func threeRacingWorkersCreateEachRunExactlyOnce() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let total = 200
            let ran = Recorder<String>()
            let schedule = try JobSchedule.every(.milliseconds(5), limit: total)
            _ = try await queue.upsertJobScheduler("race", schedule: schedule, template: try NewJob(name: "n", data: Payload(n: 0)))
            let options = ProcessorOptions(concurrency: 4)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await QueueTesting.withProcessor(queue, options: options) { context in
                            ran.append(context.job.id)
                            return "null"
                        } _: { (_: QueueProcessor) async throws in
                            #expect(try await QueueTesting.eventually(timeout: .seconds(120)) { try await queue.counts().completed == total })
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(ran.all.count == total)
            #expect(Set(ran.all).count == total)
            let counts = try await queue.counts()
            #expect(counts.waiting == 0 && counts.delayed == 0 && counts.active == 0)
            #expect(try await queue.jobScheduler("race")?.iterationCount == total)
        }
    }

    @Test func obliterateRemovesSchedulersAndTheirSettings() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            _ = try await queue.upsertJobScheduler(
                "s", schedule: try JobSchedule.every(.seconds(10)), template: try NewJob(name: "n", data: Payload(n: 0)), now: Self.t0)
            try await queue.pause()
            try await queue.obliterate()
            #expect(try await QueueTesting.keys(of: queue).isEmpty)
        }
    }

    @Test func badSchedulesAndTemplatesAreRefusedWithTheirField() async throws {
        try await QueueTesting.withQueue { (queue: Queue) async throws in
            let every = try JobSchedule.every(.seconds(1))
            let plain = try NewJob(name: "n", data: Payload(n: 0))
            let refusals: [(String, () async throws -> Void)] = [
                ("scheduler id", { _ = try await queue.upsertJobScheduler("", schedule: every, template: plain) }),
                (
                    "job id",
                    {
                        _ = try await queue.upsertJobScheduler(
                            "s", schedule: every, template: try NewJob(name: "n", data: Payload(n: 0), options: .init(jobID: "x")))
                    }
                ),
                (
                    "delay",
                    {
                        _ = try await queue.upsertJobScheduler(
                            "s", schedule: every, template: try NewJob(name: "n", data: Payload(n: 0), options: .init(delay: .seconds(1))))
                    }
                ),
                ("every", { _ = try JobSchedule.every(.zero) }),
                ("every", { _ = try JobSchedule.every(.seconds(Int64.max)) }),
                ("limit", { _ = try JobSchedule.every(.seconds(1), limit: 0) }),
                ("endDate", { _ = try JobSchedule.every(.seconds(1), startDate: 10, endDate: 5) }),
                ("startDate", { _ = try JobSchedule.every(.seconds(1), startDate: -1) }),
                ("immediately", { _ = try JobSchedule.every(.seconds(1), startDate: 5, immediately: true) }),
                ("minute field", { _ = try JobSchedule.cron("61 * * * *") }),
                ("IANA time zone", { _ = try JobSchedule.cron("* * * * *", timeZone: "Nowhere/City") }),
                (
                    "no run left",
                    { _ = try await queue.upsertJobScheduler("s", schedule: try JobSchedule.every(.seconds(1), endDate: 1), template: plain) }
                ),
            ]
            for (field, attempt) in refusals {
                do {
                    try await attempt()
                    Issue.record("\(field): accepted")
                } catch let error as QueueError {
                    #expect(error.message.contains(field), "\(field): \(error.message)")
                }
            }
            #expect(try await queue.jobSchedulerCount() == 0)
        }
    }
}
