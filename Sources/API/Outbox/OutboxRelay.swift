import Domain
public import Logging
import Metrics
public import Queue
public import ServiceLifecycle
public import Store

/// Makes sure Redis has every job the API promised (`public.job_outbox`, migration 0009).
///
/// The API adds each accepted job to Redis itself right after its transaction commits; this
/// service covers what that add can miss — a crash between the commit and the add, Redis down at
/// the time, or Redis losing jobs later (a restart without its last second of writes, a failover,
/// a flush). Every `interval` it claims the rows that are due (30 s after they were accepted, then
/// every `recheckEvery` until the job's final outcome is in `public.job_results`, when the row is
/// deleted instead) and adds them under their fixed ids: a job Redis still has is left as it is, a
/// missing one is added again. Rows older than `keep` are pruned. Several API processes share the
/// work (claims skip each other's rows).
///
/// The fast path marks nothing (that would be a second write per request); the price is that a
/// job whose add was lost with a crashing API is added up to 30 s late.
public struct OutboxRelay: Service {
    public struct Options: Sendable {
        public var interval: Duration = .seconds(1)
        public var batchSize = 500
        public var recheckEvery: Duration = .seconds(300)
        public var keep: Duration = .seconds(7 * 86_400)
        public var pruneEvery: Duration = .seconds(60)

        public init() {}
    }

    /// What one pass did.
    public struct Pass: Sendable, Equatable {
        public var claimed = 0
        /// Jobs Redis did not have and that were added now.
        public var added = 0
        public var pruned = 0
    }

    let database: Database
    let queues: [String: Queue]
    let options: Options
    let logger: Logger
    let readded: Counter

    public init(database: Database, queues: [Queue], options: Options = .init(), logger: Logger) {
        self.database = database
        self.queues = Dictionary(queues.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.options = options
        self.logger = logger
        self.readded = Counter(label: "obotcall_outbox_jobs_added_total")
    }

    public func run() async throws {
        var lastPrune = ContinuousClock.now - options.pruneEvery
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var pass = Pass()
            do {
                let prune = ContinuousClock.now - lastPrune >= options.pruneEvery
                pass = try await relay(prune: prune)
                if prune { lastPrune = ContinuousClock.now }
                failures = 0
            } catch {
                failures += 1
                logger.warning("outbox relay pass failed; retrying", metadata: ["error": "\(error)"])
            }
            // A full batch means more is due: go on at once (unless failing).
            if pass.claimed >= options.batchSize && failures == 0 { continue }
            let pause = failures == 0 ? options.interval : min(options.interval * (1 << min(failures, 5)), .seconds(30))
            do { _ = try await cancelOnGracefulShutdown { try await Task.sleep(for: pause) } } catch { return }
        }
    }

    /// One pass: claims the due rows, adds their jobs (idempotently), and prunes when asked.
    public func relay(prune: Bool = false) async throws -> Pass {
        var pass = Pass()
        let claimed = try await database.claimOutbox(limit: options.batchSize, recheckEvery: options.recheckEvery)
        pass.claimed = claimed.count
        for (name, rows) in Dictionary(grouping: claimed, by: \.job.queue) {
            guard let queue = queues[name] else {
                logger.error("outbox rows name a queue this process does not serve", metadata: ["queue": "\(name)", "jobs": "\(rows.count)"])
                continue
            }
            // Most rows are only a check: ask Redis which jobs it has, and send only the others.
            let present = try await queue.existing(ids: rows.map(\.job.jobID))
            let missing = rows.filter { !present.contains($0.job.jobID) }
            guard !missing.isEmpty else { continue }
            let jobs = missing.map { row in
                var options = JobOptions(storedJSON: row.job.options, tenantID: row.job.tenant.description)
                options.jobID = row.job.jobID
                return NewJob(name: row.job.name, json: row.job.data, options: options)
            }
            let outcomes = try await queue.addBulk(jobs)
            let added = zip(missing, outcomes).filter { $0.1.outcome == .added }.map(\.0)
            if !added.isEmpty {
                pass.added += added.count
                readded.increment(by: added.count)
                logger.warning(
                    "added accepted jobs Redis did not have",
                    metadata: [
                        "queue": "\(name)", "jobs": "\(added.map(\.job.jobID))",
                        "lost": "\(added.filter(\.rechecked).count)",
                    ])
            }
        }
        if prune {
            pass.pruned = try await database.pruneOutbox(keep: options.keep, limit: 10_000)
        }
        return pass
    }
}
