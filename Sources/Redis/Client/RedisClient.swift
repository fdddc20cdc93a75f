import DequeModule
public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import Synchronization

/// The platform's Redis client: a pool of connections, run as a ServiceLifecycle `Service`.
///
/// Ordinary commands are pipelined over a few shared connections (many concurrent callers share
/// each write); blocking commands and ``withConnection(_:)`` leases get a connection of their own,
/// so a `BZPOPMIN` never delays anyone else. A connection that dies is replaced on next use, with
/// exponential back-off while the server is down. ``run()`` keeps the minimum connections open,
/// pings idle ones and closes those idle too long; on graceful shutdown it closes everything.
public final class RedisClient: Service, Sendable {
    public let configuration: RedisConfiguration
    public let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let state: Mutex<PoolState>
    private let nextShared = Atomic<Int>(0)

    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.state = Mutex(PoolState(sharedCount: max(1, configuration.pool.multiplexedConnections)))
    }

    // MARK: Commands

    /// Sends `command` and returns its reply; an error reply is thrown as ``RedisServerError``.
    /// Blocking commands run on a leased connection.
    @discardableResult
    public func execute(_ command: RedisCommand) async throws -> RESPToken {
        if command.isBlocking {
            return try await withConnection { try await $0.execute(command) }
        }
        let connection = try await sharedConnection()
        do {
            return try await connection.execute(command)
        } catch let error as RedisServerError where error.code == "NOSCRIPT" {
            guard let script = command.script else { throw error }
            logger.debug("script not in the server's cache; sending its source", metadata: ["script": "\(script.name)"])
            return try await connection.execute(script.evalCommand(for: command))
        }
    }

    /// Sends `command` and decodes its reply as `T`.
    public func execute<T: RESPDecodable>(_ command: RedisCommand, as type: T.Type = T.self) async throws -> T {
        try T(fromRESP: try await execute(command))
    }

    /// Runs `script` with `keys` and `arguments` (`EVALSHA`, loading the script on `NOSCRIPT`).
    @discardableResult
    public func execute(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument] = []) async throws -> RESPToken {
        try await execute(script.command(keys: keys, arguments: arguments))
    }

    /// Sends `commands` in one write on one connection; one reply per command, in order. Error
    /// replies come back as tokens (``RESPToken/isError``). `EVALSHA`s of scripts the server lost
    /// are re-sent once as `EVAL` with the source (a `NOSCRIPT` reply means the script did not run).
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPToken] {
        guard !commands.isEmpty else { return [] }
        if commands.contains(where: \.isBlocking) {
            return try await withConnection { try await $0.pipeline(commands) }
        }
        let connection = try await sharedConnection()
        var replies = try await connection.pipeline(commands)
        let missing = replies.indices.filter { index in
            commands[index].script != nil && RedisServerError(replies[index])?.code == "NOSCRIPT"
        }
        if !missing.isEmpty {
            // NOSCRIPT means the script did not run: send those calls again with their source.
            let retried = try await connection.pipeline(missing.map { index in
                commands[index].script.map { $0.evalCommand(for: commands[index]) } ?? commands[index]
            })
            for (index, reply) in zip(missing, retried) { replies[index] = reply }
        }
        return replies
    }

    /// Runs `commands` atomically in `MULTI`/`EXEC`; see ``RedisConnection/transaction(_:)``.
    public func transaction(_ commands: [RedisCommand]) async throws -> [RESPToken] {
        try await sharedConnection().transaction(commands)
    }

    /// Lends a connection for the closure's exclusive use (blocking commands, `WATCH`).
    ///
    /// Waits up to the pool's lease timeout when every connection is in use. A connection closed
    /// during the lease (for example by cancelling a blocking command) is discarded, not reused.
    public func withConnection<Result: Sendable>(_ body: (RedisConnection) async throws -> Result) async throws -> Result {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    // MARK: Service

    /// Keeps the pool healthy until graceful shutdown or cancellation, then closes every connection.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.warmUp()
            let period = min(self.configuration.pool.keepAliveInterval, self.configuration.pool.idleTimeout)
            while !Task.isCancelled {
                do { try await Task.sleep(for: period) } catch { break }
                await self.maintain()
            }
        }
        await shutdown()
    }

    /// Closes every connection; commands in flight fail and later ones are refused.
    public func shutdown() async {
        let (connections, tasks, waiters) = state.withLock { state in state.shutDown() }
        for task in tasks { task.cancel() }
        for waiter in waiters {
            waiter.resume(throwing: RedisClientError(.clientShutDown, "the Redis client is shutting down"))
        }
        for connection in connections { await connection.close() }
    }

    // MARK: Shared (multiplexed) connections

    private func sharedConnection() async throws -> RedisConnection {
        let slot = nextShared.wrappingAdd(1, ordering: .relaxed).oldValue % state.withLock { $0.shared.count }
        return try await sharedConnection(slot: slot)
    }

    private func sharedConnection(slot: Int) async throws -> RedisConnection {
        let action: SharedAction = try state.withLock { state in
            guard !state.isShutDown else { throw RedisClientError(.clientShutDown, "the Redis client is shut down") }
            switch state.shared[slot] {
            case .connected(let connection) where !connection.isClosed:
                return .use(connection)
            case .connecting(let task):
                return .wait(task)
            case .connected, .empty:
                let task = Task { try await self.openShared(slot: slot) }
                state.shared[slot] = .connecting(task)
                return .wait(task)
            }
        }
        switch action {
        case .use(let connection): return connection
        case .wait(let task): return try await task.value
        }
    }

    private enum SharedAction {
        case use(RedisConnection)
        case wait(Task<RedisConnection, any Error>)
    }

    private func openShared(slot: Int) async throws -> RedisConnection {
        do {
            let connection = try await open()
            let keep = state.withLock { state -> Bool in
                guard !state.isShutDown else { return false }
                state.shared[slot] = .connected(connection)
                return true
            }
            if !keep {
                await connection.close()
                throw RedisClientError(.clientShutDown, "the Redis client is shut down")
            }
            return connection
        } catch {
            state.withLock { state in if !state.isShutDown { state.shared[slot] = .empty } }
            throw error
        }
    }

    /// Connects, honouring the back-off left by earlier failures.
    private func open() async throws -> RedisConnection {
        let wait = state.withLock { $0.backoff.remaining(now: .now) }
        if let wait { try await Task.sleep(for: wait) }
        do {
            let connection = try await RedisConnection.connect(
                configuration: configuration, eventLoop: eventLoopGroup.any(), logger: logger)
            state.withLock { $0.backoff.succeeded() }
            return connection
        } catch {
            let delay = state.withLock { $0.backoff.failed(now: .now, options: configuration.pool) }
            logger.warning(
                "cannot connect to Redis; retrying with back-off",
                metadata: ["redis": "\(configuration.redactedDescription)", "error": "\(error)", "retryIn": "\(delay)"])
            throw error
        }
    }

    // MARK: Leased (exclusive) connections

    private func lease() async throws -> RedisConnection {
        let maximumLeased = max(1, configuration.pool.maximumConnections - state.withLock { $0.shared.count })
        let decision: LeaseDecision = try state.withLock { state in
            guard !state.isShutDown else { throw RedisClientError(.clientShutDown, "the Redis client is shut down") }
            return state.lease(maximumLeased: maximumLeased)
        }
        switch decision {
        case .use(let connection):
            return connection
        case .open:
            return try await openLeased()
        case .wait:
            return try await waitForLease()
        }
    }

    private func openLeased() async throws -> RedisConnection {
        do {
            let connection = try await open()
            let accepted = state.withLock { state -> Bool in
                state.opening -= 1
                guard !state.isShutDown else { return false }
                state.leased[connection.id] = connection
                return true
            }
            if !accepted {
                await connection.close()
                throw RedisClientError(.clientShutDown, "the Redis client is shut down")
            }
            return connection
        } catch {
            let waiter = state.withLock { state -> CheckedContinuation<RedisConnection?, any Error>? in
                state.opening -= 1
                return state.waiters.popFirst()?.continuation
            }
            // A waiter may now open the connection this attempt could not.
            waiter?.resume(returning: nil)
            throw error
        }
    }

    private enum LeaseWait: Sendable {
        case handed(RedisConnection)
        /// A slot freed up (a connection was discarded or failed to open): open one.
        case mayOpen
        case timedOut
    }

    private func waitForLease() async throws -> RedisConnection {
        let waiterID = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = configuration.pool.leaseTimeout
        let outcome: LeaseWait = try await withThrowingTaskGroup(of: LeaseWait.self) { group in
            group.addTask {
                let connection: RedisConnection? = try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        let accepted = self.state.withLock { state -> Bool in
                            guard !state.isShutDown else { return false }
                            state.waiters.append((waiterID, continuation))
                            return true
                        }
                        if !accepted {
                            continuation.resume(throwing: RedisClientError(.clientShutDown, "the Redis client is shut down"))
                        }
                    }
                } onCancel: {
                    let waiter = self.state.withLock { state in state.removeWaiter(id: waiterID) }
                    waiter?.resume(throwing: CancellationError())
                }
                return connection.map { .handed($0) } ?? .mayOpen
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = try await group.next() ?? .timedOut
            group.cancelAll()
            // A connection handed over just as the timer fired goes back to the pool.
            while let other = try? await group.next() {
                if case .handed(let connection) = other { release(connection) }
            }
            return first
        }
        switch outcome {
        case .handed(let connection):
            return connection
        case .mayOpen:
            state.withLock { $0.opening += 1 }
            return try await openLeased()
        case .timedOut:
            throw RedisClientError(
                .connectFailed,
                "no Redis connection free within \(timeout) (\(configuration.pool.maximumConnections) connections in use); "
                    + "raise the pool's maximumConnections or reduce concurrency")
        }
    }

    private func release(_ connection: RedisConnection) {
        let (waiter, closeIt) = state.withLock { state -> (CheckedContinuation<RedisConnection?, any Error>?, Bool) in
            state.leased[connection.id] = nil
            if state.isShutDown { return (nil, true) }
            if connection.isClosed {
                // Discarded: a waiter may open a replacement.
                if let waiter = state.waiters.popFirst() { return (waiter.continuation, false) }
                return (nil, false)
            }
            if let waiter = state.waiters.popFirst() {
                state.leased[connection.id] = connection
                waiter.continuation.resume(returning: connection)
                return (nil, false)
            }
            state.idle.append(IdleConnection(connection: connection, since: .now))
            return (nil, false)
        }
        waiter?.resume(returning: nil)
        if closeIt {
            let channel = connection.channel
            channel.close(promise: nil)
        }
    }

    // MARK: Maintenance

    private func warmUp() async {
        let target = min(configuration.pool.minimumConnections, state.withLock { $0.shared.count })
        for slot in 0..<target {
            _ = try? await sharedConnection(slot: slot)
        }
    }

    /// Pings idle connections, closes leased connections idle beyond the idle timeout (keeping the
    /// minimum), and re-opens shared connections up to the minimum.
    private func maintain() async {
        let now = ContinuousClock.now
        let (shared, idleToPing, expired) = state.withLock { state in
            state.reapIdle(now: now, idleTimeout: configuration.pool.idleTimeout, minimum: configuration.pool.minimumConnections)
        }
        for connection in expired { await connection.close() }
        for connection in shared + idleToPing {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await connection.execute(.ping()) }
                    group.addTask {
                        try await Task.sleep(for: self.configuration.commandTimeout)
                        throw RedisClientError(.commandTimeout, "keep-alive PING unanswered")
                    }
                    defer { group.cancelAll() }
                    try await group.next()
                }
            } catch {
                logger.info("closing Redis connection that failed its keep-alive", metadata: ["error": "\(error)"])
                await connection.close()
            }
        }
        await warmUp()
    }
}

// MARK: - Pool state

private struct IdleConnection {
    let connection: RedisConnection
    let since: ContinuousClock.Instant
}

private enum SharedSlot {
    case empty
    case connecting(Task<RedisConnection, any Error>)
    case connected(RedisConnection)
}

private enum LeaseDecision {
    case use(RedisConnection)
    case open
    case wait
}

private struct ConnectBackoff {
    var failures = 0
    var retryAfter: ContinuousClock.Instant?

    func remaining(now: ContinuousClock.Instant) -> Duration? {
        guard let retryAfter, retryAfter > now else { return nil }
        return retryAfter - now
    }

    mutating func succeeded() {
        failures = 0
        retryAfter = nil
    }

    mutating func failed(now: ContinuousClock.Instant, options: RedisConfiguration.PoolOptions) -> Duration {
        failures += 1
        var delay = options.reconnectBackoff.initial
        for _ in 1..<min(failures, 30) where delay < options.reconnectBackoff.maximum { delay *= 2 }
        delay = min(delay, options.reconnectBackoff.maximum)
        retryAfter = now + delay
        return delay
    }
}

private struct PoolState {
    var shared: [SharedSlot]
    var idle: [IdleConnection] = []
    var leased: [Int: RedisConnection] = [:]
    var opening = 0
    var waiters: Deque<(id: Int, continuation: CheckedContinuation<RedisConnection?, any Error>)> = []
    var nextWaiterID = 0
    var backoff = ConnectBackoff()
    var isShutDown = false

    init(sharedCount: Int) {
        self.shared = Array(repeating: .empty, count: sharedCount)
    }

    mutating func lease(maximumLeased: Int) -> LeaseDecision {
        while let candidate = idle.popLast() {
            if candidate.connection.isClosed { continue }
            leased[candidate.connection.id] = candidate.connection
            return .use(candidate.connection)
        }
        if leased.count + opening + idle.count < maximumLeased {
            opening += 1
            return .open
        }
        return .wait
    }

    mutating func removeWaiter(id: Int) -> CheckedContinuation<RedisConnection?, any Error>? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).continuation
    }

    mutating func reapIdle(
        now: ContinuousClock.Instant, idleTimeout: Duration, minimum: Int
    ) -> (shared: [RedisConnection], idle: [RedisConnection], expired: [RedisConnection]) {
        var sharedOpen: [RedisConnection] = []
        for slot in shared {
            if case .connected(let connection) = slot, !connection.isClosed { sharedOpen.append(connection) }
        }
        idle.removeAll { $0.connection.isClosed }
        var openCount = sharedOpen.count + leased.count + idle.count
        var expired: [RedisConnection] = []
        var kept: [IdleConnection] = []
        // Oldest first: idle is a stack, so the front holds the longest-idle connections.
        for entry in idle {
            if now - entry.since > idleTimeout && openCount > minimum {
                expired.append(entry.connection)
                openCount -= 1
            } else {
                kept.append(entry)
            }
        }
        idle = kept
        return (sharedOpen, kept.map(\.connection), expired)
    }

    mutating func shutDown() -> ([RedisConnection], [Task<RedisConnection, any Error>], [CheckedContinuation<RedisConnection?, any Error>]) {
        isShutDown = true
        var connections = idle.map(\.connection) + Array(leased.values)
        var tasks: [Task<RedisConnection, any Error>] = []
        for slot in shared {
            switch slot {
            case .connected(let connection): connections.append(connection)
            case .connecting(let task): tasks.append(task)
            case .empty: break
            }
        }
        shared = shared.map { _ in .empty }
        idle = []
        leased = [:]
        let pending = waiters.map(\.continuation)
        waiters = []
        return (connections, tasks, pending)
    }
}
