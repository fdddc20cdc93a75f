public import Domain
public import Foundation
import PostgresNIO

/// A tenant's limits in one queue, as stored in `public.tenant_queue_limits` (migration 0013).
/// A nil value takes the queue's default.
public struct TenantQueueLimitsRecord: Sendable, Equatable {
    public var tenant: TenantID
    public var queue: String
    public var weight: Int?
    public var concurrency: Int?
    /// Jobs started per `rateDurationMs`; both set or both nil.
    public var rateMax: Int?
    public var rateDurationMs: Int?
    public var maxPending: Int?
    public var paused: Bool
    public var updatedAt: Date

    public init(
        tenant: TenantID, queue: String, weight: Int? = nil, concurrency: Int? = nil, rateMax: Int? = nil, rateDurationMs: Int? = nil,
        maxPending: Int? = nil, paused: Bool = false, updatedAt: Date = Date()
    ) {
        self.tenant = tenant
        self.queue = queue
        self.weight = weight
        self.concurrency = concurrency
        self.rateMax = rateMax
        self.rateDurationMs = rateDurationMs
        self.maxPending = maxPending
        self.paused = paused
        self.updatedAt = updatedAt
    }

    static let columns = "tenant_id, queue, weight, concurrency, rate_max, rate_duration_ms, max_pending, paused, updated_at"

    init(row: PostgresRow) throws(StoreError) {
        do {
            let (tenant, queue, weight, concurrency, rateMax, rateDuration, maxPending, paused, updatedAt) = try row.decode(
                (UUID, String, Int?, Int?, Int?, Int?, Int?, Bool, Date).self)
            self.init(
                tenant: TenantID(tenant), queue: queue, weight: weight, concurrency: concurrency, rateMax: rateMax,
                rateDurationMs: rateDuration, maxPending: maxPending, paused: paused, updatedAt: updatedAt)
        } catch {
            throw StoreError(error)
        }
    }
}
