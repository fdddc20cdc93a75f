import DequeModule

/// The bookkeeping of ``RedisClient``'s connections as a plain value: every event (a caller asks
/// for a connection, a connection comes back, a connect attempt ends, a timer fires, shutdown)
/// is a method that updates the state and returns ``Actions`` for the caller to carry out. It
/// does no I/O and reads no clock, so its tests drive it with a fake clock and fake connections.
///
/// Two kinds of connection:
/// - **shared** slots (`sharedConnections` of them): ordinary commands are pipelined over them by
///   any number of callers at once, so they are never lent out. A slot whose connection closed is
///   reconnected on its next use; callers arriving meanwhile wait for that one attempt.
/// - **leased** connections, at most `maximumLeased`: lent to one caller at a time (blocking
///   commands, `WATCH`), then kept idle for the next. Callers beyond the maximum wait in line,
///   each until its own deadline; a caller for whom a connection is being opened waits for that
///   attempt instead (the connect timeout bounds it).
///
/// A caller that must wait is stored as a `Waiter` (the client uses a continuation) and later
/// comes back in a ``Handout`` with a connection or a ``Refusal``.
struct RedisPoolStateMachine<Connection: RedisPoolConnection, Waiter, Instant: InstantProtocol>
where Instant.Duration == Duration {
    /// The sizes and timers the state machine applies.
    struct Options: Sendable {
        var sharedConnections: Int
        /// Connections kept open even when idle (shared ones count).
        var minimumConnections: Int
        var maximumLeased: Int
        var idleTimeout: Duration
        var leaseTimeout: Duration
        var backoffInitial: Duration
        var backoffMaximum: Duration

        init(
            sharedConnections: Int, minimumConnections: Int, maximumLeased: Int, idleTimeout: Duration,
            leaseTimeout: Duration, backoffInitial: Duration, backoffMaximum: Duration
        ) {
            self.sharedConnections = max(1, sharedConnections)
            self.minimumConnections = max(0, minimumConnections)
            self.maximumLeased = max(1, maximumLeased)
            self.idleTimeout = idleTimeout
            self.leaseTimeout = leaseTimeout
            self.backoffInitial = backoffInitial
            self.backoffMaximum = backoffMaximum
        }

        /// The client's options: the leased connections get what the shared ones leave of
        /// `maximumConnections`, and at least one.
        init(_ pool: RedisConfiguration.PoolOptions) {
            let shared = max(1, pool.multiplexedConnections)
            self.init(
                sharedConnections: shared, minimumConnections: pool.minimumConnections,
                maximumLeased: max(1, pool.maximumConnections - shared), idleTimeout: pool.idleTimeout,
                leaseTimeout: pool.leaseTimeout, backoffInitial: pool.reconnectBackoff.initial,
                backoffMaximum: pool.reconnectBackoff.maximum)
        }
    }

    /// What a new connection is for.
    enum Purpose: Hashable, Sendable {
        case shared(slot: Int)
        case lease
    }

    /// A connection to open: wait `delay` first (back-off after failures), then connect, and
    /// report the outcome with ``connectSucceeded(_:connection:now:)`` or ``connectFailed(_:now:)``.
    struct ConnectAttempt: Hashable, Sendable {
        let id: Int
        let purpose: Purpose
        let delay: Duration?
    }

    /// Why a waiting caller gets no connection.
    enum Refusal: Error, Hashable, Sendable {
        case shutDown
        /// No leased connection came free before the caller's deadline.
        case leaseTimedOut
        /// The attempt the caller waited for failed; the client passes on the connect error.
        case connectFailed
    }

    /// A waiting caller and what it gets.
    struct Handout {
        let waiter: Waiter
        let result: Result<Connection, Refusal>
    }

    /// What the caller of an event must do, outside any lock.
    struct Actions {
        /// Resume these callers.
        var handouts: [Handout] = []
        /// Start these connect attempts.
        var connect: [ConnectAttempt] = []
        /// Cancel the attempts with these ids (shutdown).
        var cancelConnects: [Int] = []
        /// Close these connections.
        var close: [Connection] = []
        /// Send these connections a `PING`; report each idle one back with
        /// ``keepAliveFinished(_:now:)`` (shared ones may be reported too, they are ignored).
        var ping: [Connection] = []

        var isEmpty: Bool {
            handouts.isEmpty && connect.isEmpty && cancelConnects.isEmpty && close.isEmpty && ping.isEmpty
        }
    }

    /// The answer of the fast paths, which serve the common case without storing a waiter.
    enum Lookup {
        case use(Connection)
        case mustWait
        case shutDown
    }

    private enum SharedSlot {
        case empty
        case connecting(attemptID: Int)
        case connected(Connection)
    }

    private struct IdleEntry {
        let connection: Connection
        let since: Instant
    }

    private struct LeaseWaiter {
        let id: Int
        let waiter: Waiter
        let deadline: Instant
    }

    let options: Options
    private var shared: [SharedSlot]
    private var sharedWaiters: [[(id: Int, waiter: Waiter)]]
    /// Idle leased connections, oldest first; the newest is lent first, so surplus ones age out.
    private var idle: [IdleEntry] = []
    /// Idle connections lent to a keep-alive check, with the time they became idle.
    private var pinging: [Int: IdleEntry] = [:]
    private var leased: [Int: Connection] = [:]
    private var leaseAttempts: Set<Int> = []
    private var waiters: Deque<LeaseWaiter> = []
    private var backoff: ConnectBackoff<Instant>
    private var nextAttemptID = 0
    private(set) var isShutDown = false

    init(options: Options) {
        self.options = options
        self.shared = Array(repeating: .empty, count: options.sharedConnections)
        self.sharedWaiters = Array(repeating: [], count: options.sharedConnections)
        self.backoff = ConnectBackoff(initial: options.backoffInitial, maximum: options.backoffMaximum)
    }

    /// Leased connections open, idle, being checked or being opened.
    var leasedSideCount: Int { leased.count + idle.count + pinging.count + leaseAttempts.count }
    var waitingForLease: Int { waiters.count }
    var idleCount: Int { idle.count }
    /// How long a connect attempt started at `now` must wait (for logs).
    func reconnectDelay(now: Instant) -> Duration? { backoff.remaining(now: now) }

    // MARK: Shared connections

    /// The open connection of `slot`, if it has one; otherwise the caller waits with
    /// ``waitForShared(slot:id:waiter:now:)``.
    func sharedConnection(slot: Int) -> Lookup {
        if isShutDown { return .shutDown }
        if case .connected(let connection) = shared[slot], !connection.isClosed { return .use(connection) }
        return .mustWait
    }

    /// `waiter` gets `slot`'s connection, now or when its connect attempt ends; the first caller
    /// to find the slot empty or closed starts that attempt.
    mutating func waitForShared(slot: Int, id: Int, waiter: Waiter, now: Instant) -> Actions {
        var actions = Actions()
        if isShutDown {
            actions.handouts.append(Handout(waiter: waiter, result: .failure(.shutDown)))
            return actions
        }
        switch shared[slot] {
        case .connected(let connection) where !connection.isClosed:
            actions.handouts.append(Handout(waiter: waiter, result: .success(connection)))
            return actions
        case .connecting:
            break
        case .connected, .empty:
            let attempt = makeAttempt(.shared(slot: slot), now: now)
            shared[slot] = .connecting(attemptID: attempt.id)
            actions.connect.append(attempt)
        }
        sharedWaiters[slot].append((id, waiter))
        return actions
    }

    // MARK: Leased connections

    /// An idle connection for a lease, if one is open; otherwise the caller waits with
    /// ``lease(id:waiter:deadline:now:)``.
    mutating func leaseIdle() -> Lookup {
        if isShutDown { return .shutDown }
        guard let connection = popIdle() else { return .mustWait }
        leased[connection.id] = connection
        return .use(connection)
    }

    /// `waiter` gets an idle connection now, or waits in line until `deadline` for one to be
    /// released or opened; a connection is opened for it when the maximum allows.
    mutating func lease(id: Int, waiter: Waiter, deadline: Instant, now: Instant) -> Actions {
        var actions = Actions()
        if isShutDown {
            actions.handouts.append(Handout(waiter: waiter, result: .failure(.shutDown)))
            return actions
        }
        if let connection = popIdle() {
            leased[connection.id] = connection
            actions.handouts.append(Handout(waiter: waiter, result: .success(connection)))
            return actions
        }
        waiters.append(LeaseWaiter(id: id, waiter: waiter, deadline: deadline))
        openForWaiters(now: now, into: &actions)
        return actions
    }

    /// A lent connection comes back: to the first waiter, else to the idle ones. A closed one
    /// is dropped, which makes room for a new connection if someone waits.
    mutating func release(_ connection: Connection, now: Instant) -> Actions {
        var actions = Actions()
        leased[connection.id] = nil
        if isShutDown {
            actions.close.append(connection)
        } else if connection.isClosed {
            openForWaiters(now: now, into: &actions)
        } else {
            handOutOrKeep(IdleEntry(connection: connection, since: now), into: &actions)
        }
        return actions
    }

    /// The waiter `id` stops waiting (its task was cancelled). Returns it if it was still
    /// waiting; the caller resumes it with a cancellation error.
    mutating func cancelWait(id: Int) -> Waiter? {
        if let index = waiters.firstIndex(where: { $0.id == id }) {
            return waiters.remove(at: index).waiter
        }
        for slot in sharedWaiters.indices {
            if let index = sharedWaiters[slot].firstIndex(where: { $0.id == id }) {
                return sharedWaiters[slot].remove(at: index).waiter
            }
        }
        return nil
    }

    /// The lease waiter `id`'s timer fired at `now`. Returns it if it was still waiting for a
    /// connection to come back and its deadline has passed; the caller fails it with a timeout
    /// error. A waiter for whom a connection is being opened is not timed out: the connect
    /// attempt ends (bounded by its own timeout) with a connection or a connect error for it.
    mutating func leaseTimedOut(id: Int, now: Instant) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }), waiters[index].deadline <= now, !isServedByAttempt(index)
        else { return nil }
        return waiters.remove(at: index).waiter
    }

    /// Attempts in flight serve the waiters at the front of the line, one each (a success hands
    /// its connection to the first waiter, a failure fails the first), so a waiter once covered
    /// stays covered until it is served.
    private func isServedByAttempt(_ index: Int) -> Bool { index < leaseAttempts.count }

    // MARK: Connect attempts

    mutating func connectSucceeded(_ attempt: ConnectAttempt, connection: Connection, now: Instant) -> Actions {
        var actions = Actions()
        backoff.succeeded()
        switch attempt.purpose {
        case .shared(let slot):
            guard !isShutDown, case .connecting(let current) = shared[slot], current == attempt.id else {
                actions.close.append(connection)
                return actions
            }
            shared[slot] = .connected(connection)
            for waiting in sharedWaiters[slot] {
                actions.handouts.append(Handout(waiter: waiting.waiter, result: .success(connection)))
            }
            sharedWaiters[slot] = []
        case .lease:
            guard !isShutDown, leaseAttempts.remove(attempt.id) != nil else {
                actions.close.append(connection)
                return actions
            }
            handOutOrKeep(IdleEntry(connection: connection, since: now), into: &actions)
        }
        return actions
    }

    /// A connect attempt failed: the callers that waited for it get ``Refusal/connectFailed``
    /// (every waiter of a shared slot; the first in line for a lease, and the next waiters get
    /// a new attempt after the back-off).
    mutating func connectFailed(_ attempt: ConnectAttempt, now: Instant) -> Actions {
        var actions = Actions()
        guard !isShutDown else { return actions }
        backoff.failed(now: now)
        switch attempt.purpose {
        case .shared(let slot):
            guard case .connecting(let current) = shared[slot], current == attempt.id else { return actions }
            shared[slot] = .empty
            for waiting in sharedWaiters[slot] {
                actions.handouts.append(Handout(waiter: waiting.waiter, result: .failure(.connectFailed)))
            }
            sharedWaiters[slot] = []
        case .lease:
            guard leaseAttempts.remove(attempt.id) != nil else { return actions }
            if let first = waiters.popFirst() {
                actions.handouts.append(Handout(waiter: first.waiter, result: .failure(.connectFailed)))
            }
            openForWaiters(now: now, into: &actions)
        }
        return actions
    }

    // MARK: Maintenance

    /// The periodic check: pings the shared and idle connections, closes idle ones older than
    /// the idle timeout (keeping the minimum open), reopens shared slots up to the minimum, and
    /// fails lease waiters whose deadline passed (should their own timer not have).
    mutating func maintain(now: Instant) -> Actions {
        var actions = Actions()
        guard !isShutDown else { return actions }
        idle.removeAll { $0.connection.isClosed }
        var openCount = leased.count + pinging.count + idle.count
        for slot in shared {
            if case .connected(let connection) = slot, !connection.isClosed {
                actions.ping.append(connection)
                openCount += 1
            }
        }
        var kept: [IdleEntry] = []
        for entry in idle {
            if entry.since.duration(to: now) > options.idleTimeout && openCount > options.minimumConnections {
                actions.close.append(entry.connection)
                openCount -= 1
            } else {
                kept.append(entry)
            }
        }
        idle = []
        for entry in kept {
            pinging[entry.connection.id] = entry
            actions.ping.append(entry.connection)
        }
        for slot in 0..<min(options.minimumConnections, shared.count) {
            switch shared[slot] {
            case .connecting: continue
            case .connected(let connection) where !connection.isClosed: continue
            case .connected, .empty:
                let attempt = makeAttempt(.shared(slot: slot), now: now)
                shared[slot] = .connecting(attemptID: attempt.id)
                actions.connect.append(attempt)
            }
        }
        var index = leaseAttempts.count
        while index < waiters.count {
            if waiters[index].deadline <= now {
                actions.handouts.append(Handout(waiter: waiters.remove(at: index).waiter, result: .failure(.leaseTimedOut)))
            } else {
                index += 1
            }
        }
        return actions
    }

    /// An idle connection's keep-alive check ended (closed if it failed): it goes back to the
    /// idle ones with its original idle time, or to a waiter.
    mutating func keepAliveFinished(_ connection: Connection, now: Instant) -> Actions {
        var actions = Actions()
        guard let entry = pinging.removeValue(forKey: connection.id) else { return actions }
        if isShutDown {
            actions.close.append(connection)
        } else if connection.isClosed {
            openForWaiters(now: now, into: &actions)
        } else {
            handOutOrKeep(entry, into: &actions)
        }
        return actions
    }

    /// Refuses every waiter, closes every connection (lent ones too: their commands fail) and
    /// cancels the attempts in flight. Every later event is refused or closes what it brings.
    mutating func shutDown() -> Actions {
        var actions = Actions()
        guard !isShutDown else { return actions }
        isShutDown = true
        for slot in shared.indices {
            switch shared[slot] {
            case .connected(let connection): actions.close.append(connection)
            case .connecting(let attemptID): actions.cancelConnects.append(attemptID)
            case .empty: break
            }
            shared[slot] = .empty
            for waiting in sharedWaiters[slot] {
                actions.handouts.append(Handout(waiter: waiting.waiter, result: .failure(.shutDown)))
            }
            sharedWaiters[slot] = []
        }
        actions.close += idle.map(\.connection) + pinging.values.map(\.connection) + leased.values
        idle = []
        pinging = [:]
        leased = [:]
        actions.cancelConnects += leaseAttempts.sorted()
        leaseAttempts = []
        for waiting in waiters {
            actions.handouts.append(Handout(waiter: waiting.waiter, result: .failure(.shutDown)))
        }
        waiters = []
        return actions
    }

    // MARK: Helpers

    private mutating func makeAttempt(_ purpose: Purpose, now: Instant) -> ConnectAttempt {
        nextAttemptID = nextAttemptID == Int.max ? 0 : nextAttemptID + 1
        return ConnectAttempt(id: nextAttemptID, purpose: purpose, delay: backoff.remaining(now: now))
    }

    private mutating func popIdle() -> Connection? {
        while let entry = idle.popLast() {
            if !entry.connection.isClosed { return entry.connection }
        }
        return nil
    }

    /// Opens connections for waiters that no attempt in flight will serve, within the maximum.
    private mutating func openForWaiters(now: Instant, into actions: inout Actions) {
        while waiters.count > leaseAttempts.count && leasedSideCount < options.maximumLeased {
            let attempt = makeAttempt(.lease, now: now)
            leaseAttempts.insert(attempt.id)
            actions.connect.append(attempt)
        }
    }

    private mutating func handOutOrKeep(_ entry: IdleEntry, into actions: inout Actions) {
        if let first = waiters.popFirst() {
            leased[entry.connection.id] = entry.connection
            actions.handouts.append(Handout(waiter: first.waiter, result: .success(entry.connection)))
        } else {
            // Kept ordered by idle time, so the reaper closes the longest idle first.
            let index = idle.lastIndex { $0.since <= entry.since }.map { $0 + 1 } ?? 0
            idle.insert(entry, at: index)
        }
    }
}

extension RedisPoolStateMachine.Handout: Sendable where Connection: Sendable, Waiter: Sendable {}
extension RedisPoolStateMachine.Actions: Sendable where Connection: Sendable, Waiter: Sendable {}
