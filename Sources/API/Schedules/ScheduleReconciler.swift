import Domain
import Foundation
import Jobs
public import Logging
import Metrics
public import Queue
public import ServiceLifecycle
public import Store

/// Puts back the job schedulers Redis lost: every `interval` it reads every tenant's schedules
/// (`public.schedules_page`, migration 0011) and upserts the scheduler of each one Redis does not
/// have. A restored scheduler starts its count afresh (its earlier runs were counted in the lost
/// scheduler), and one whose end date has passed stays away.
///
/// Schedulers the other way round (in Redis without a row) are not its business: each removes
/// itself at its next run, when its trigger finds no row (`ScheduleRunHandler` in the worker).
/// Several API processes may run it: an upsert never doubles a scheduler.
public struct ScheduleReconciler: Service {
    /// What one pass did.
    public struct Pass: Sendable, Equatable {
        public var checked = 0
        public var restored = 0
        /// Missing schedulers that could not be put back (their schedule has ended).
        public var ended = 0
    }

    let database: Database
    let queues: [String: Queue]
    let interval: Duration
    let pageSize: Int
    let logger: Logger
    let restoredCounter: Counter

    public init(database: Database, queues: [Queue], interval: Duration = .seconds(60), pageSize: Int = 500, logger: Logger) {
        self.database = database
        self.queues = Dictionary(queues.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.interval = interval
        self.pageSize = max(1, pageSize)
        self.logger = logger
        self.restoredCounter = Counter(label: "obotcall_schedulers_restored_total")
    }

    public func run() async throws {
        await ReconcileLoop(interval: interval, name: "schedule reconciliation", logger: logger).run { _ = try await reconcile() }
    }

    /// One pass over every schedule.
    public func reconcile() async throws -> Pass {
        var pass = Pass()
        var after: UUID?
        while true {
            let page = try await database.schedulesPage(after: after, limit: pageSize)
            for (queueName, records) in Dictionary(grouping: page, by: \.kind.queue) {
                guard let queue = queues[queueName] else { continue }
                let present = try await queue.existingSchedulers(records.map { ScheduleKind.schedulerID($0.id) })
                for record in records where !present.contains(ScheduleKind.schedulerID(record.id)) {
                    do {
                        try await queue.upsertSchedule(record.id, tenant: record.tenant, record.definition)
                        pass.restored += 1
                        restoredCounter.increment()
                        logger.notice("restored a schedule's scheduler that Redis had lost", metadata: ["schedule": "\(record.id)"])
                    } catch let error as QueueError where error.code == .invalidOption {
                        pass.ended += 1
                    }
                }
            }
            pass.checked += page.count
            guard page.count == pageSize, let last = page.last?.id else { return pass }
            after = last
        }
    }
}
