/// Which enqueues run together: the bookkeeping of ``NotificationIntake``, as a value that
/// returns what to do, tested without I/O.
///
/// Enqueues are grouped by key (the queue: a batch is one statement for one queue). Up to
/// `maxInFlight` batches of a key run at once; an enqueue that arrives while they all run waits,
/// and when one finishes, everything waiting (up to `maxBatch`) becomes the next batch. With no
/// concurrency an enqueue runs alone at once, so batching adds no delay; under load each write
/// carries many enqueues.
struct EnqueueBatches<Key: Hashable, Waiter> {
    /// What the caller does next.
    enum Action {
        /// Run this batch now; its first waiter is the caller's own when it comes from `submit`.
        case run([Waiter])
        /// Wait: a running batch's runner hands this waiter a batch or its answer.
        case wait
        /// Refuse: `maxWaiting` enqueues of this key already wait.
        case refuse
    }

    private struct Lane {
        var running = 0
        var waiting: [Waiter] = []
    }

    let maxInFlight: Int
    let maxBatch: Int
    let maxWaiting: Int
    private var lanes: [Key: Lane] = [:]

    init(maxInFlight: Int, maxBatch: Int, maxWaiting: Int) {
        self.maxInFlight = max(1, maxInFlight)
        self.maxBatch = max(1, maxBatch)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// A new enqueue of `key`.
    mutating func submit(_ waiter: Waiter, key: Key) -> Action {
        // In place: a copy of the lane would copy its waiting list on every append.
        Self.update(&lanes[key, default: Lane()], maxInFlight: maxInFlight, maxWaiting: maxWaiting, waiter)
    }

    private static func update(_ lane: inout Lane, maxInFlight: Int, maxWaiting: Int, _ waiter: Waiter) -> Action {
        // Nothing waits while a lane has room: a finishing batch hands waiters on at once.
        if lane.running < maxInFlight {
            lane.running += 1
            return .run([waiter])
        }
        guard lane.waiting.count < maxWaiting else { return .refuse }
        lane.waiting.append(waiter)
        return .wait
    }

    /// A batch of `key` finished: the next batch to run (its runner is its first waiter), if any.
    mutating func finished(key: Key) -> [Waiter]? {
        guard let index = lanes.index(forKey: key) else { return nil }
        guard !lanes.values[index].waiting.isEmpty else {
            lanes.values[index].running -= 1
            if lanes.values[index].running <= 0 { lanes.remove(at: index) }
            return nil
        }
        let count = min(maxBatch, lanes.values[index].waiting.count)
        let batch = Array(lanes.values[index].waiting.prefix(count))
        lanes.values[index].waiting.removeFirst(count)
        return batch
    }

    /// How many batches of `key` run now, and how many enqueues wait (for tests and metrics).
    func load(of key: Key) -> (running: Int, waiting: Int) {
        guard let lane = lanes[key] else { return (0, 0) }
        return (lane.running, lane.waiting.count)
    }

    /// Keys with a batch running or enqueues waiting.
    var activeKeys: Int { lanes.count }
}
