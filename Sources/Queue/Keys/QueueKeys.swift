public import Redis

/// The Redis keys of one queue, named as BullMQ v6 names them: `<prefix>:<queue>:<suffix>`.
///
/// For Redis Cluster give the prefix or the queue name a hash tag (`{bull}`): the scripts build
/// job keys from the same base, so every key of a queue then lands in one slot.
public struct QueueKeys: Sendable, Hashable {
    public let prefix: String
    public let queue: String
    /// `<prefix>:<queue>:`, the start of every key of the queue.
    public let base: String

    public init(prefix: String = "bull", queue: String) {
        self.prefix = prefix
        self.queue = queue
        self.base = "\(prefix):\(queue):"
    }

    public var wait: String { base + "wait" }
    public var active: String { base + "active" }
    public var prioritized: String { base + "prioritized" }
    public var delayed: String { base + "delayed" }
    public var meta: String { base + "meta" }
    public var priorityCounter: String { base + "pc" }
    public var marker: String { base + "marker" }
    public var events: String { base + "events" }
    public var limiter: String { base + "limiter" }
    public var stalled: String { base + "stalled" }
    public var stalledCheck: String { base + "stalled-check" }
    public var completed: String { base + "completed" }
    public var failed: String { base + "failed" }
    public var waitingChildren: String { base + "waiting-children" }
    public var idCounter: String { base + "id" }
    /// BullMQ v5's list of jobs added while paused; v6 only drains it on resume.
    public var legacyPaused: String { base + "paused" }
    /// Job schedulers by id, scored by their current run (BullMQ's `repeat` set).
    public var schedulers: String { base + "repeat" }
    /// One job scheduler's settings (BullMQ's `repeat:<id>` hash).
    public func scheduler(_ id: String) -> String { base + "repeat:" + id }
    public func metrics(_ kind: MetricsKind) -> String { base + "metrics:" + kind.rawValue }

    public func job(_ id: String) -> String { base + id }
    public func lock(_ id: String) -> String { base + id + ":lock" }
    public func logs(_ id: String) -> String { base + id + ":logs" }
    public func deduplication(_ id: String) -> String { base + "de:" + id }
    /// Our extension: the jobs of one tenant, by creation time (BullMQ uses no `ti:` keys).
    public func tenantIndex(_ tenant: String) -> String { base + "ti:" + tenant }
    /// A tenant's job counts by state (our extension), kept by the scripts.
    public func tenantCounts(_ tenant: String) -> String { base + "tc:" + tenant }
    /// One tenant's finishes in one minute (minutes since 1970), kept two hours.
    public func tenantMinute(_ tenant: String, minute: Int) -> String { base + "tm:" + tenant + ":" + String(minute) }
    /// A fair queue's runnable jobs of one tenant (our extension; lib.lua describes the fair keys).
    public func fairQueued(_ tenant: String) -> String { base + "fq:" + tenant }
    /// Our workers' heartbeats (not part of BullMQ's layout; the `:` keeps it apart from job ids).
    public var workers: String { base + "obotcall:workers" }

    /// KEYS 1–10 of the queue scripts that take them, in the order `queueKeys()` in lib.lua expects.
    var sharedNames: [String] {
        [wait, active, prioritized, delayed, meta, priorityCounter, marker, events, limiter, stalled]
    }

    /// The hash tag Redis Cluster hashes the keys by (`{…}` in the base), if any.
    public var hashTag: String? { Self.hashTag(of: base) }

    /// The part of `key` Redis Cluster hashes: the text between the first `{` and the next `}`
    /// when it is not empty.
    public static func hashTag(of key: String) -> String? {
        guard let open = key.firstIndex(of: "{"),
            let close = key[key.index(after: open)...].firstIndex(of: "}"),
            key.index(after: open) < close
        else { return nil }
        return String(key[key.index(after: open)..<close])
    }
}

/// The per-minute counters BullMQ keeps for finished jobs.
public enum MetricsKind: String, Sendable {
    case completed, failed
}
