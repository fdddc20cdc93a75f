public import Logging
public import NIOCore
public import NIOPosix
import NIOSSL
import Synchronization

/// One connection to a Redis server, multiplexing any number of concurrent commands.
///
/// Commands from concurrent tasks are written in the order they arrive and answered in that order
/// (RESP pipelining). Cancelling a task that waits for a reply, or a reply that misses its
/// deadline, closes the connection: RESP cannot skip one reply, so the stream would be out of
/// step. Created through ``connect(configuration:eventLoop:logger:)``, which performs the
/// handshake (`HELLO 3` or RESP2 fallback, `AUTH`, `CLIENT SETNAME`, `SELECT`).
public final class RedisConnection: Sendable {
    public let id: Int
    public let channel: any Channel
    /// The protocol the handshake settled on.
    public let protocolVersion: RedisConfiguration.ProtocolVersion
    private let handler: NIOLoopBound<RedisChannelHandler>
    private let configuration: RedisConfiguration
    private let nextRequestID = Atomic<UInt64>(1)
    private let closed = Atomic<Bool>(false)

    private static let connectionIDs = Atomic<Int>(1)

    private init(
        id: Int, channel: any Channel, handler: NIOLoopBound<RedisChannelHandler>,
        configuration: RedisConfiguration, protocolVersion: RedisConfiguration.ProtocolVersion
    ) {
        self.id = id
        self.channel = channel
        self.handler = handler
        self.configuration = configuration
        self.protocolVersion = protocolVersion
    }

    /// Whether the channel has closed; a closed connection fails every command.
    public var isClosed: Bool { closed.load(ordering: .acquiring) || !channel.isActive }

    /// Opens a connection and completes the handshake.
    public static func connect(
        configuration: RedisConfiguration,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any(),
        logger: Logger
    ) async throws -> RedisConnection {
        let id = nextConnectionID()
        var logger = logger
        logger[metadataKey: "redis.connection"] = "\(id)"
        let limits = configuration.decoderLimits
        let tls = configuration.tls
        let serverHostname: String?
        if case .tcp(let host, _) = configuration.address { serverHostname = host } else { serverHostname = nil }
        let handlerLogger = logger

        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        let context = try NIOSSLContext(configuration: tls)
                        let isIPAddress = serverHostname.map { (try? SocketAddress(ipAddress: $0, port: 0)) != nil } ?? true
                        try sync.addHandler(NIOSSLClientHandler(context: context, serverHostname: isIPAddress ? nil : serverHostname))
                    }
                    try sync.addHandler(RedisChannelHandler(limits: limits, logger: handlerLogger))
                }
            }

        let channel: any Channel
        do {
            switch configuration.address {
            case .tcp(let host, let port):
                channel = try await bootstrap.connect(host: host, port: port).get()
            case .unixSocket(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            }
        } catch {
            throw RedisClientError(.connectFailed, "cannot connect to \(configuration.redactedDescription): \(error)")
        }
        return try await establish(on: channel, id: id, configuration: configuration, logger: logger)
    }

    /// Completes the handshake on a channel whose pipeline holds a ``RedisChannelHandler``
    /// (also the entry point of the tests, which use an in-memory channel).
    static func establish(
        on channel: any Channel, id: Int, configuration: RedisConfiguration, logger: Logger
    ) async throws -> RedisConnection {
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self), eventLoop: channel.eventLoop)
        }.get()
        do {
            let version = try await handshake(channel: channel, handler: handler, configuration: configuration, id: id)
            let connection = RedisConnection(
                id: id, channel: channel, handler: handler, configuration: configuration, protocolVersion: version)
            logger.debug("connected to Redis", metadata: ["protocol": "RESP\(version.rawValue)"])
            return connection
        } catch {
            try? await channel.close()
            throw error
        }
    }

    static func nextConnectionID() -> Int {
        connectionIDs.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// `HELLO 3 [AUTH] [SETNAME]`, falling back to RESP2 `AUTH` + `CLIENT SETNAME`; then `SELECT`.
    private static func handshake(
        channel: any Channel, handler: NIOLoopBound<RedisChannelHandler>, configuration: RedisConfiguration, id: Int
    ) async throws -> RedisConfiguration.ProtocolVersion {
        // A provisional connection object to reuse `execute` during the handshake.
        let provisional = RedisConnection(
            id: id, channel: channel, handler: handler, configuration: configuration, protocolVersion: .resp2)
        var version = RedisConfiguration.ProtocolVersion.resp2
        func failed(_ step: String, _ error: any Error) -> RedisClientError {
            if let server = error as? RedisServerError {
                return RedisClientError(.handshakeFailed, "Redis refused \(step): \(server.message)")
            }
            return RedisClientError(.handshakeFailed, "\(step) failed: \(error)")
        }

        var needsRESP2Setup = true
        if configuration.preferredProtocol == .resp3 {
            var arguments: [RedisArgument] = ["3"]
            if let password = configuration.password {
                arguments += ["AUTH", .string(configuration.username ?? "default"), .string(password)]
            }
            if let name = configuration.clientName { arguments += ["SETNAME", .string(name)] }
            do {
                try await provisional.execute(RedisCommand("HELLO", arguments))
                version = .resp3
                needsRESP2Setup = false
            } catch let error as RedisServerError {
                // Servers before Redis 6 do not know HELLO; others may refuse protocol 3 (NOPROTO).
                let unsupported = error.code == "NOPROTO" || error.message.lowercased().contains("unknown command")
                guard unsupported else { throw failed("HELLO", error) }
            } catch {
                throw failed("HELLO", error)
            }
        }
        if needsRESP2Setup {
            if let password = configuration.password {
                var arguments: [RedisArgument] = []
                if let username = configuration.username { arguments.append(.string(username)) }
                arguments.append(.string(password))
                do { try await provisional.execute(RedisCommand("AUTH", arguments)) } catch { throw failed("AUTH", error) }
            }
            if let name = configuration.clientName {
                do { try await provisional.execute(RedisCommand("CLIENT", ["SETNAME", .string(name)])) } catch {
                    throw failed("CLIENT SETNAME", error)
                }
            }
        }
        if configuration.database != 0 {
            do { try await provisional.execute(RedisCommand("SELECT", [.int(configuration.database)])) } catch {
                throw failed("SELECT \(configuration.database)", error)
            }
        }
        return version
    }

    // MARK: Commands

    /// Sends `command` and returns its reply; an error reply is thrown as ``RedisServerError``.
    @discardableResult
    public func execute(_ command: RedisCommand) async throws -> RESPToken {
        let token = try await send(command)
        if let error = RedisServerError(token) { throw error }
        return token
    }

    /// Sends `command` and decodes its reply as `T`.
    public func execute<T: RESPDecodable>(_ command: RedisCommand, as type: T.Type = T.self) async throws -> T {
        try T(fromRESP: try await send(command))
    }

    /// Sends `commands` in one write and returns one reply per command, in order; error replies
    /// are returned as tokens (check ``RESPToken/isError``), not thrown.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPToken] {
        guard !commands.isEmpty else { return [] }
        let timeout = self.timeout(for: commands)
        let id = nextRequestID.wrappingAdd(1, ordering: .relaxed).oldValue
        let handler = self.handler
        return try await withTaskCancellationHandler {
            try Task.checkCancellation()
            return try await withCheckedThrowingContinuation { continuation in
                if handler.eventLoop.inEventLoop {
                    handler.value.send(commands, id: id, timeout: timeout, promise: .batch(continuation))
                } else {
                    handler.eventLoop.execute {
                        handler.value.send(commands, id: id, timeout: timeout, promise: .batch(continuation))
                    }
                }
            }
        } onCancel: {
            handler.eventLoop.execute { handler.value.cancel(id: id) }
        }
    }

    /// Runs `commands` atomically inside `MULTI`/`EXEC`, returning each command's reply.
    ///
    /// A command the server rejects while queueing aborts the whole transaction (thrown as
    /// ``RedisServerError``); a command that fails while executing yields an error token in its slot.
    public func transaction(_ commands: [RedisCommand]) async throws -> [RESPToken] {
        let replies = try await pipeline([RedisCommand("MULTI")] + commands + [RedisCommand("EXEC")])
        guard let exec = replies.last else { return [] }
        if let error = RedisServerError(exec) {
            let cause = replies.dropFirst().dropLast().compactMap { RedisServerError($0) }.first
            throw cause ?? error
        }
        guard case .array(let results) = exec.value else {
            throw RedisClientError(.unexpectedReply, "EXEC answered \(exec) (was the transaction aborted by WATCH?)")
        }
        return Array(results)
    }

    /// Closes the connection; pending commands fail with ``RedisClientError/Code/connectionClosed``.
    public func close() async {
        startClosing()
        try? await channel.closeFuture.get()
    }

    /// Starts closing without waiting for the channel (for callers that cannot suspend).
    func startClosing() {
        closed.store(true, ordering: .releasing)
        channel.close(promise: nil)
    }

    /// Sets the receiver of RESP3 push frames.
    func setPushHandler(_ receive: @escaping @Sendable (RESPToken) -> Void) {
        let handler = self.handler
        handler.eventLoop.execute { handler.value.onPush = receive }
    }

    private func send(_ command: RedisCommand) async throws -> RESPToken {
        let timeout = self.timeout(for: CollectionOfOne(command))
        let id = nextRequestID.wrappingAdd(1, ordering: .relaxed).oldValue
        let handler = self.handler
        return try await withTaskCancellationHandler {
            try Task.checkCancellation()
            return try await withCheckedThrowingContinuation { continuation in
                if handler.eventLoop.inEventLoop {
                    handler.value.send(command, id: id, timeout: timeout, promise: .single(continuation))
                } else {
                    handler.eventLoop.execute {
                        handler.value.send(command, id: id, timeout: timeout, promise: .single(continuation))
                    }
                }
            }
        } onCancel: {
            handler.eventLoop.execute { handler.value.cancel(id: id) }
        }
    }

    /// How long the reply may take: the command timeout, or for blocking commands their blocking
    /// time plus a grace period; `nil` for a command that may block forever.
    private func timeout(for commands: some Collection<RedisCommand>) -> TimeAmount? {
        var timeout = configuration.commandTimeout
        for command in commands {
            guard let blocking = command.blockingTimeout else { continue }
            if blocking == .zero { return nil }
            timeout = max(timeout, blocking + configuration.blockingCommandGrace)
        }
        return TimeAmount(timeout)
    }
}
