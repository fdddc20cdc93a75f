import Domain
import Hummingbird
import Queue
import Store

/// Max pending jobs per tenant: an accepted job must not take its tenant over the cap in its
/// queue (`TenantLimits.maxPending`, the tenant's own or the queue's default).
extension PromisedJob {
    /// Refuses (429 with `Retry-After`) jobs that would take a tenant over its max pending jobs
    /// in their queue, before anything is written. The count is the scripts' (waiting,
    /// prioritized, delayed), read only for tenants with a cap (``PendingCapCache``); concurrent
    /// requests may each pass and together go a little over, and the requests after them are
    /// refused. While Redis cannot be read the jobs are admitted: the outbox accepts them for
    /// later, and the cap is checked again once Redis answers.
    static func admit(_ jobs: [PromisedJob], caps: PendingCapCache = .shared) async throws {
        var adding: [String: (queue: Queue, tenant: TenantID, count: Int)] = [:]
        for job in jobs {
            let tenant: TenantID = job.outbox.tenant
            let key: String = job.queue.name + "/" + tenant.description
            let previous: Int = adding[key]?.count ?? 0
            adding[key] = (queue: job.queue, tenant: tenant, count: previous + 1)
        }
        for (queue, tenant, count) in adding.values {
            let load: TenantPendingLoad
            do {
                guard let limit = try await caps.cap(queue, tenant: tenant.description) else { continue }
                load = TenantPendingLoad(pending: try await queue.pendingCount(tenant: tenant.description), limit: limit)
            } catch {
                // Redis unavailable: the outbox accepts jobs without it (a 202 is a promise kept
                // once Redis is back), so the cap, a soft one, is not checked.
                continue
            }
            guard !load.allows(adding: count), let limit = load.limit else { continue }
            let message: String =
                "the tenant has \(load.pending) jobs pending in queue \(queue.name), its limit is \(limit): wait for them to run before adding more"
            throw HTTPError(.tooManyRequests, headers: [.retryAfter: "\(retryAfterSeconds)"], message: message)
        }
    }

    /// What a refused add is told to wait: long enough for a backlog to move.
    static let retryAfterSeconds = 30
}
