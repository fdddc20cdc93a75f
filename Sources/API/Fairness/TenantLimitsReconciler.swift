import Domain
import Foundation
public import Logging
public import Queue
public import ServiceLifecycle
public import Store

/// Keeps Redis's copy of the tenants' limits and pauses (`B:tl:<tenant>`, what the workers'
/// scripts read) equal to `public.tenant_queue_limits`: every `interval` it reads every row
/// (`public.tenant_limits_page`, migration 0013) and writes each into its queue. The API writes
/// both on every change; this puts back what Redis lost (a restart without persistence, a
/// flush) and what a failed write after the commit left behind. A change made while a pass runs
/// may be overwritten with the row's previous values until the next pass.
public struct TenantLimitsReconciler: Service {
    let database: Database
    let queues: [String: Queue]
    let interval: Duration
    let pageSize: Int
    let logger: Logger

    public init(database: Database, queues: [Queue], interval: Duration = .seconds(60), pageSize: Int = 500, logger: Logger) {
        self.database = database
        self.queues = Dictionary(queues.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.interval = interval
        self.pageSize = max(1, pageSize)
        self.logger = logger
    }

    public func run() async throws {
        await ReconcileLoop(interval: interval, name: "tenant limits reconciliation", logger: logger).run { _ = try await reconcile() }
    }

    /// One pass over every row; returns how many were written to Redis.
    public func reconcile() async throws -> Int {
        var written = 0
        var after: (tenant: TenantID, queue: String)?
        while true {
            let page = try await database.tenantLimitsPage(after: after, limit: pageSize)
            for record in page {
                guard let queue = queues[record.queue] else { continue }
                try await Self.apply(record, to: queue)
                written += 1
            }
            guard page.count == pageSize, let last = page.last else { return written }
            after = (last.tenant, last.queue)
        }
    }

    /// Writes one row's limits and pause into its queue.
    static func apply(_ record: TenantQueueLimitsRecord, to queue: Queue) async throws {
        var limits = TenantLimits(weight: record.weight, concurrency: record.concurrency, maxPending: record.maxPending)
        if let max = record.rateMax, let duration = record.rateDurationMs {
            limits.rateLimit = TenantRateLimit(max: max, duration: .milliseconds(duration))
        }
        let tenant = record.tenant.description
        try await queue.setLimits(limits, tenant: tenant)
        PendingCapCache.shared.forget(queue, tenant: tenant)
        if record.paused {
            try await queue.pause(tenant: tenant)
        } else if try await queue.isPaused(tenant: tenant) {
            try await queue.resume(tenant: tenant)
        }
    }
}
