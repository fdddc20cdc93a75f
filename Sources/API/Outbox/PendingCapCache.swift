import Queue
import Synchronization

/// The max-pending caps (`TenantLimits.maxPending`) the enqueue routes check, remembered per
/// queue and tenant for `lifetime`, so that an add for a tenant without a cap — the common case —
/// costs no Redis read; a tenant with a cap has its pending count read on every add. A cap set
/// through this process's API applies at once (``forget(_:tenant:)``), one set elsewhere (another
/// api process, `obotcall worker --tenant-max-pending`) within `lifetime`. At most `capacity`
/// entries are kept; when full, the table starts over.
final class PendingCapCache: Sendable {
    /// The process's cache, shared by every enqueue route.
    static let shared = PendingCapCache()

    let lifetime: Duration
    let capacity: Int
    private let entries: Mutex<[String: Entry]>

    struct Entry: Sendable {
        var cap: Int?
        var until: ContinuousClock.Instant
    }

    init(lifetime: Duration = .seconds(5), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
        self.entries = Mutex([:])
    }

    /// The cap that applies to the tenant in the queue, read from Redis when not remembered.
    func cap(_ queue: Queue, tenant: String) async throws -> Int? {
        let key = Self.key(queue, tenant)
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[key] }), entry.until > now { return entry.cap }
        let cap = try await queue.pendingCap(tenant: tenant)
        let entry = Entry(cap: cap, until: now.advanced(by: lifetime))
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
        return cap
    }

    /// Drops what is remembered of the tenant in the queue (its cap was just changed).
    func forget(_ queue: Queue, tenant: String) {
        _ = entries.withLock { $0.removeValue(forKey: Self.key(queue, tenant)) }
    }

    private static func key(_ queue: Queue, _ tenant: String) -> String { queue.keys.base + tenant }
}
