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
///
/// Which connection goes to whom is decided by ``RedisPoolStateMachine``, a value tested without
/// I/O; this class holds it under a lock and carries out the actions it returns (resuming
/// callers, connecting, closing, pinging) outside the lock.
public final class RedisClient: Service, Sendable {
    typealias Pool = RedisPoolStateMachine<RedisConnection, CheckedContinuation<RedisConnection, any Error>, ContinuousClock.Instant>

    public let configuration: RedisConfiguration
    public let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let state: Mutex<PoolState>
    private let sharedCount: Int
    private let nextShared = Atomic<UInt>(0)
    private let nextWaiterID = Atomic<Int>(1)

    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        let options = Pool.Options(configuration.pool)
        self.sharedCount = options.sharedConnections
        self.state = Mutex(PoolState(pool: Pool(options: options)))
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
            let retried = try await connection.pipeline(
                missing.map { index in
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
            await self.maintain()
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
        let actions = update { $0.shutDown() }
        let closing = actions.close
        perform(actions)
        for connection in closing { try? await connection.channel.closeFuture.get() }
    }

    // MARK: Shared (multiplexed) connections

    private func sharedConnection() async throws -> RedisConnection {
        let slot = Int(nextShared.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(sharedCount))
        switch state.withLock({ $0.pool.sharedConnection(slot: slot) }) {
        case .use(let connection): return connection
        case .shutDown: throw Self.shutDownError
        case .mustWait:
            return try await wait(id: nextWaiterID.wrappingAdd(1, ordering: .relaxed).oldValue) { pool, id, waiter in
                pool.waitForShared(slot: slot, id: id, waiter: waiter, now: .now)
            }
        }
    }

    // MARK: Leased (exclusive) connections

    private func lease() async throws -> RedisConnection {
        switch state.withLock({ $0.pool.leaseIdle() }) {
        case .use(let connection): return connection
        case .shutDown: throw Self.shutDownError
        case .mustWait: break
        }
        let id = nextWaiterID.wrappingAdd(1, ordering: .relaxed).oldValue
        let deadline = ContinuousClock.now.advanced(by: configuration.pool.leaseTimeout)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                let waiter = self.state.withLock { $0.pool.leaseTimedOut(id: id, now: .now) }
                waiter?.resume(throwing: self.leaseTimeoutError)
            }
            defer { group.cancelAll() }
            return try await wait(id: id) { pool, id, waiter in
                pool.lease(id: id, waiter: waiter, deadline: deadline, now: .now)
            }
        }
    }

    private func release(_ connection: RedisConnection) {
        perform(update { $0.release(connection, now: .now) })
    }

    // MARK: Waiting

    /// Suspends until the state machine hands the caller a connection or a refusal. Registering
    /// happens under the lock that the cancellation handler also takes, so a cancellation is
    /// seen either before registering or by the handler.
    private func wait(
        id: Int, register: (inout Pool, Int, CheckedContinuation<RedisConnection, any Error>) -> Pool.Actions
    ) async throws -> RedisConnection {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let actions = state.withLock { state -> Pool.Actions? in
                    if Task.isCancelled { return nil }
                    return state.schedule(register(&state.pool, id, continuation), client: self)
                }
                guard let actions else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                perform(actions)
            }
        } onCancel: {
            let waiter = state.withLock { $0.pool.cancelWait(id: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Applies an event to the state machine under the lock; connect attempts it asks for are
    /// started (and attempts it cancels are cancelled) before the lock is released.
    private func update(_ event: (inout Pool) -> Pool.Actions) -> Pool.Actions {
        state.withLock { state in state.schedule(event(&state.pool), client: self) }
    }

    /// Carries out what the state machine asked for, outside the lock: resumes callers and
    /// starts closing connections. The error of a failed connect attempt goes to its waiters.
    private func perform(_ actions: Pool.Actions, connectError: (any Error)? = nil) {
        for handout in actions.handouts {
            switch handout.result {
            case .success(let connection):
                handout.waiter.resume(returning: connection)
            case .failure(.shutDown):
                handout.waiter.resume(throwing: Self.shutDownError)
            case .failure(.leaseTimedOut):
                handout.waiter.resume(throwing: leaseTimeoutError)
            case .failure(.connectFailed):
                handout.waiter.resume(throwing: connectError ?? RedisClientError(.connectFailed, "cannot connect to Redis"))
            }
        }
        for connection in actions.close { connection.startClosing() }
    }

    private static var shutDownError: RedisClientError {
        RedisClientError(.clientShutDown, "the Redis client is shut down")
    }

    private var leaseTimeoutError: RedisClientError {
        RedisClientError(
            .connectFailed,
            "no Redis connection free within \(configuration.pool.leaseTimeout) (\(configuration.pool.maximumConnections) connections in use); "
                + "raise the pool's maximumConnections or reduce concurrency")
    }

    // MARK: Connecting

    /// Runs one connect attempt the state machine asked for: waits out the back-off, connects,
    /// and reports the outcome (which may hand the connection to waiters, or fail them).
    fileprivate func connect(_ attempt: Pool.ConnectAttempt) async {
        do {
            if let delay = attempt.delay { try await Task.sleep(for: delay) }
            let connection = try await RedisConnection.connect(
                configuration: configuration, eventLoop: eventLoopGroup.any(), logger: logger)
            perform(update({ $0.connectSucceeded(attempt, connection: connection, now: .now) }, finishing: attempt.id))
        } catch {
            var retryIn: Duration?
            let actions = update(
                { pool in
                    let actions = pool.connectFailed(attempt, now: .now)
                    retryIn = pool.reconnectDelay(now: .now)
                    return actions
                }, finishing: attempt.id)
            if let retryIn, !(error is CancellationError) {
                logger.warning(
                    "cannot connect to Redis; retrying with back-off",
                    metadata: ["redis": "\(configuration.redactedDescription)", "error": "\(error)", "retryIn": "\(retryIn)"])
            }
            perform(actions, connectError: error)
        }
    }

    private func update(_ event: (inout Pool) -> Pool.Actions, finishing attemptID: Int) -> Pool.Actions {
        state.withLock { state in
            state.connectTasks[attemptID] = nil
            return state.schedule(event(&state.pool), client: self)
        }
    }

    // MARK: Maintenance

    /// Pings the shared and idle connections (a failed or unanswered `PING` closes the
    /// connection: the command timeout bounds it), closes leased connections idle beyond the idle
    /// timeout (keeping the minimum), and re-opens shared connections up to the minimum.
    private func maintain() async {
        let actions = update { $0.maintain(now: .now) }
        let pings = actions.ping
        perform(actions)
        await withTaskGroup(of: Void.self) { group in
            for connection in pings {
                group.addTask {
                    do {
                        try await connection.execute(.ping())
                    } catch {
                        self.logger.info("closing Redis connection that failed its keep-alive", metadata: ["error": "\(error)"])
                        connection.startClosing()
                    }
                    self.perform(self.update { $0.keepAliveFinished(connection, now: .now) })
                }
            }
        }
    }
}

/// The state machine and the connect tasks it started, behind ``RedisClient``'s lock.
private struct PoolState {
    var pool: RedisClient.Pool
    var connectTasks: [Int: Task<Void, Never>] = [:]

    /// Starts the connect attempts in `actions` and cancels the ones it drops; the tasks are
    /// created under the lock so that each is registered before it can finish.
    mutating func schedule(_ actions: RedisClient.Pool.Actions, client: RedisClient) -> RedisClient.Pool.Actions {
        for attempt in actions.connect {
            connectTasks[attempt.id] = Task { await client.connect(attempt) }
        }
        for attemptID in actions.cancelConnects {
            connectTasks.removeValue(forKey: attemptID)?.cancel()
        }
        return actions
    }
}
