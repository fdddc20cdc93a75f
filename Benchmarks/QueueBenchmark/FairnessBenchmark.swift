import Foundation
import Logging
import Queue
import Redis

/// The Swift side of Benchmarks/run-fairness-benchmark: does one tenant's backlog delay another
/// tenant's jobs, and what does fairness cost in throughput?
///
/// For a FIFO queue, then for a fair one (`Queue.makeFair()`), in this process: tenant A adds
/// BACKLOG jobs, WORKERS processors (each with its own Redis client, as separate worker processes
/// would be, and CONCURRENCY slots; the handler does no work) start, and once about 1,000 jobs
/// have started tenant B adds 10 jobs, one every 100 ms, while A's backlog is still queued. Each
/// B job's wait is its handler's start minus the moment just before its add, both read from
/// `ContinuousClock` here; the throughput is every job (BACKLOG + 10) over the time from the
/// processors' start to the last completion (`counts().completed` polled every 10 ms). Prints
/// CSV lines "metric,value" like Benchmarks/python/bullmq_fairness_bench.py, prefixed `fifo_`
/// and `fair_`: the medians of ROUNDS alternating runs of each (default 5; each run's figures,
/// with Redis's and this process's CPU time per job, go to stderr).
///
/// Usage: queue-benchmark-swift fairness URL BACKLOG WORKERS CONCURRENCY [ROUNDS].
enum FairnessBenchmark {
    static let backlogs = 1...1_000_000
    static let workerCounts = 1...16
    static let concurrencies = 1...1_000
    static let roundCounts = 1...9
    /// B's jobs and how far apart they are added.
    static let lateJobs = 10
    static let lateSpacing = Duration.milliseconds(100)
    /// Jobs started before B's first add: the processors are past their start-up by then.
    static let warmUp = 1_000
    /// A scenario that takes longer has stalled; it fails rather than hang the driver.
    static let deadline = Duration.seconds(600)

    /// Parses and bounds the arguments after the mode, then runs both scenarios; exits 2 on bad
    /// arguments and 1 when a scenario fails (after saying why on stderr).
    static func runCommand(_ arguments: [String]) async {
        let usage = "usage: queue-benchmark-swift fairness URL BACKLOG WORKERS CONCURRENCY [ROUNDS]"
        guard arguments.count == 4 || arguments.count == 5 else { exitWith(2, usage) }
        guard let backlog = Int(arguments[1]), backlogs.contains(backlog) else {
            exitWith(2, "BACKLOG must be an integer in 1...1000000, not '\(arguments[1])'\n\(usage)")
        }
        guard let workers = Int(arguments[2]), workerCounts.contains(workers) else {
            exitWith(2, "WORKERS must be an integer in 1...16, not '\(arguments[2])'\n\(usage)")
        }
        guard let concurrency = Int(arguments[3]), concurrencies.contains(concurrency) else {
            exitWith(2, "CONCURRENCY must be an integer in 1...1000, not '\(arguments[3])'\n\(usage)")
        }
        var rounds = 5
        if arguments.count == 5 {
            guard let parsed = Int(arguments[4]), roundCounts.contains(parsed) else {
                exitWith(2, "ROUNDS must be an integer in 1...9, not '\(arguments[4])'\n\(usage)")
            }
            rounds = parsed
        }
        do {
            try await run(url: arguments[0], backlog: backlog, workers: workers, concurrency: concurrency, rounds: rounds)
        } catch {
            exitWith(1, "fairness benchmark failed: \(error)")
        }
    }

    static func exitWith(_ status: Int32, _ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(status)
    }

    static func run(url: String, backlog: Int, workers: Int, concurrency: Int, rounds: Int) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        // Client 0 adds and polls (tenants A and B, one producer process); one client per worker.
        let clients = try (0...workers).map { _ in RedisClient(configuration: try RedisConfiguration(url: url), logger: logger) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { try await client.run() } }
            defer { group.cancelAll() }
            var outcomes: [Bool: [Outcome]] = [:]
            // FIFO and fair alternate, `rounds` times each, so a slow spell of a shared machine
            // falls on both; each figure printed is the median of its rounds.
            for round in 1...rounds {
                // Each goes first in every other round: neither always runs on a fresher Redis.
                for fair in round % 2 == 1 ? [false, true] : [true, false] {
                    let label = fair ? "fair" : "fifo"
                    let name = "bench-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
                    let queues = try clients.map { try Queue(name: name, redis: $0, logger: logger) }
                    let outcome: Outcome
                    do {
                        outcome = try await scenario(
                            queues: queues, fair: fair, backlog: backlog, concurrency: concurrency, logger: logger)
                    } catch {
                        try? await clean(queues[0])
                        throw error
                    }
                    try await clean(queues[0])
                    let waits = outcome.waits.sorted()
                    let line =
                        "round \(round) \(label): "
                        + String(
                            format: "B wait p50 %.1f ms, p99 %.1f ms, %.0f jobs/s; CPU per job: Redis %.1f us, clients %.1f us\n",
                            percentile(waits, 50), percentile(waits, 99), outcome.throughput, outcome.redisMicrosPerJob,
                            outcome.clientMicrosPerJob)
                    FileHandle.standardError.write(Data(line.utf8))
                    outcomes[fair, default: []].append(Outcome(waits: waits, throughput: outcome.throughput))
                }
            }
            // Each round's fair/FIFO ratio (the two ran back to back), and their median: steadier
            // than a ratio of medians when the machine's speed drifts between rounds.
            let ratios = zip(outcomes[true] ?? [], outcomes[false] ?? []).map { fair, fifo in fair.throughput / fifo.throughput * 100 }
            print("ratio_rounds," + ratios.map { String(format: "%.0f", $0) }.joined(separator: " "))
            print("ratio_median," + String(format: "%.1f", percentile(ratios.sorted(), 50)))
            for fair in [false, true] {
                let label = fair ? "fair" : "fifo"
                let rounds = outcomes[fair] ?? []
                func median(_ values: [Double]) -> Double { percentile(values.sorted(), 50) }
                print("\(label)_b_wait_p50_ms," + String(format: "%.1f", median(rounds.map { percentile($0.waits, 50) })))
                print("\(label)_b_wait_p99_ms," + String(format: "%.1f", median(rounds.map { percentile($0.waits, 99) })))
                print("\(label)_throughput," + String(format: "%.1f", median(rounds.map(\.throughput))))
            }
            for client in clients { await client.shutdown() }
        }
    }

    /// Redis's CPU time so far (`INFO cpu`: user + system seconds).
    static func redisCPUSeconds(_ client: RedisClient) async throws -> Double {
        let text = try await client.execute(RedisCommand("INFO", ["cpu"]), as: String.self)
        var total = 0.0
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0] == "used_cpu_sys" || parts[0] == "used_cpu_user" { total += Double(parts[1]) ?? 0 }
        }
        return total
    }

    /// This process's CPU time so far (user + system seconds).
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// B's waits (ms) and the jobs per second of one scenario.
    struct Outcome: Sendable {
        var waits: [Double]
        var throughput: Double
        /// CPU per job while the jobs run (after the adds), Redis's and this process's: where a
        /// difference in throughput comes from.
        var redisMicrosPerJob = 0.0
        var clientMicrosPerJob = 0.0
    }

    /// A job of tenant B, numbered in the order added.
    struct Late: Codable, Sendable {
        var b: Int
    }

    struct BenchmarkFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// One scenario on a fresh queue: `queues[0]` is the producer's, the others the workers'.
    static func scenario(queues: [Queue], fair: Bool, backlog: Int, concurrency: Int, logger: Logger) async throws -> Outcome {
        let producer = queues[0]
        // A fresh queue is FIFO; the fair one is made fair before any job is added.
        if fair { try await producer.makeFair() }
        for offset in stride(from: 0, to: backlog, by: 1_000) {
            let jobs = (offset..<min(backlog, offset + 1_000)).map { _ in
                NewJob(name: "a", json: "{}", options: JobOptions(tenantID: "ta"))
            }
            _ = try await producer.addBulk(jobs)
        }
        let total = backlog + lateJobs
        let started = Counter()
        let stamps = Stamps()
        let processors = queues.dropFirst().map { queue in
            QueueProcessor(queue: queue, options: .init(concurrency: concurrency), logger: logger) { context in
                let now = ContinuousClock.now
                started.increment()
                if context.job.name == "b", let late = try? context.job.decodeData(Late.self) { stamps.started(late.b, at: now) }
                return nil
            }
        }
        let redisBefore = try await redisCPUSeconds(producer.redis)
        let clientBefore = processCPUSeconds()
        var outcome = try await withThrowingTaskGroup(of: Void.self, returning: Outcome.self) { group in
            let start = ContinuousClock.now
            let end = start.advanced(by: deadline)
            for processor in processors { group.addTask { try await processor.run() } }
            do {
                let outcome = try await drive(
                    producer, started: started, stamps: stamps, backlog: backlog, total: total, start: start, end: end)
                for processor in processors { processor.stop() }
                try await group.waitForAll()
                return outcome
            } catch {
                for processor in processors { processor.stop() }
                try? await group.waitForAll()
                throw error
            }
        }
        let jobs = Double(total)
        outcome.redisMicrosPerJob = (try await redisCPUSeconds(producer.redis) - redisBefore) / jobs * 1e6
        outcome.clientMicrosPerJob = (processCPUSeconds() - clientBefore) / jobs * 1e6
        return outcome
    }

    /// With the processors running: B's paced adds after the warm-up, then the wait for the last
    /// completion.
    static func drive(
        _ producer: Queue, started: Counter, stamps: Stamps, backlog: Int, total: Int,
        start: ContinuousClock.Instant, end: ContinuousClock.Instant
    ) async throws -> Outcome {
        while started.value < min(warmUp, backlog) {
            try check(end, "waiting for \(min(warmUp, backlog)) jobs to start (\(started.value) started)")
            try await Task.sleep(for: .milliseconds(1))
        }
        let first = ContinuousClock.now
        for index in 0..<lateJobs {
            try await Task.sleep(until: first.advanced(by: lateSpacing * index), clock: .continuous)
            stamps.added(index, at: ContinuousClock.now)
            _ = try await producer.add(try NewJob(name: "b", data: Late(b: index), options: JobOptions(tenantID: "tb")))
        }
        if started.value >= backlog {
            FileHandle.standardError.write(
                Data("warning: A's backlog had all started before B's last add; raise BACKLOG for a meaningful wait\n".utf8))
        }
        while true {
            let counts = try await producer.counts()
            if counts.failed > 0 { throw BenchmarkFailure(description: "\(counts.failed) jobs failed") }
            if counts.completed >= total { break }
            try check(end, "waiting for \(total) completions (\(counts.completed) completed)")
            try await Task.sleep(for: .milliseconds(10))
        }
        let elapsed = seconds(ContinuousClock.now - start)
        let waits = stamps.waits()
        guard waits.count == lateJobs else {
            throw BenchmarkFailure(description: "\(waits.count) of B's \(lateJobs) jobs recorded a start")
        }
        return Outcome(waits: waits, throughput: Double(total) / elapsed)
    }

    static func check(_ end: ContinuousClock.Instant, _ doing: String) throws {
        if ContinuousClock.now >= end { throw BenchmarkFailure(description: "deadline of \(deadline) passed \(doing)") }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The value at `percent` of sorted values, as the other modes and the Python peers pick it.
    static func percentile(_ sorted: [Double], _ percent: Int) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * percent / 100)]
    }

    /// Pauses and obliterates the queue, then deletes any key left under its base (SCAN), so a
    /// run leaves nothing behind on the benchmark's Redis.
    static func clean(_ queue: Queue) async throws {
        try await queue.pause()
        try await queue.obliterate(force: true)
        var cursor = "0"
        repeat {
            let reply = try await queue.redis.execute(
                RedisCommand("SCAN", [.string(cursor), "MATCH", .string(queue.keys.base + "*"), "COUNT", 1000]))
            guard case .array(let parts) = reply.value else { throw BenchmarkFailure(description: "SCAN returned \(reply)") }
            let items = Array(parts)
            guard items.count == 2 else { throw BenchmarkFailure(description: "SCAN returned \(reply)") }
            cursor = try String(fromRESP: items[0])
            let keys = try [String](fromRESP: items[1])
            if !keys.isEmpty { _ = try await queue.redis.execute(.del(keys)) }
        } while cursor != "0"
    }

    /// When each of B's jobs was added and when its handler started, by its number.
    final class Stamps: @unchecked Sendable {
        private let lock = NSLock()
        private var addedAt: [Int: ContinuousClock.Instant] = [:]
        private var startedAt: [Int: ContinuousClock.Instant] = [:]

        func added(_ index: Int, at instant: ContinuousClock.Instant) {
            lock.lock()
            addedAt[index] = instant
            lock.unlock()
        }

        /// The first start counts: a job run twice (it should not be) keeps its first wait.
        func started(_ index: Int, at instant: ContinuousClock.Instant) {
            lock.lock()
            if startedAt[index] == nil { startedAt[index] = instant }
            lock.unlock()
        }

        /// Milliseconds from add to handler start, for the jobs with both.
        func waits() -> [Double] {
            lock.lock()
            defer { lock.unlock() }
            return addedAt.compactMap { index, added in
                startedAt[index].map { FairnessBenchmark.seconds($0 - added) * 1_000 }
            }
        }
    }
}
