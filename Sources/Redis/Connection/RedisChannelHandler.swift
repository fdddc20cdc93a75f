import Logging
import NIOCore

/// The single handler of a Redis connection's channel: encodes requests, decodes replies and
/// carries out the actions of ``RedisConnectionStateMachine``.
///
/// Lives on the channel's event loop; every method must be called there. Requests written during
/// one event-loop tick are flushed together, so concurrent callers share one `write` system call.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var state = RedisConnectionStateMachine<RedisPromise>()
    private var decoder: NIOSingleStepByteToMessageProcessor<RESPTokenDecoder>
    private var context: ChannelHandlerContext?
    private var outbound: ByteBuffer
    private var flushScheduled = false
    private var timer: Scheduled<Void>?
    private var highestSentID: UInt64 = 0
    private let logger: Logger
    /// Receives RESP3 push frames (they answer no command).
    var onPush: ((RESPToken) -> Void)?

    init(limits: RESPTokenDecoder.Limits, logger: Logger) {
        self.decoder = NIOSingleStepByteToMessageProcessor(RESPTokenDecoder(limits: limits))
        self.outbound = ByteBufferAllocator().buffer(capacity: 4096)
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(RedisClientError(.connectionClosed, "the connection's handler was removed"))
        self.context = nil
    }

    // MARK: Requests

    /// Queues `commands` as one request completed by `promise` after `commands.count` replies.
    func send(_ commands: [RedisCommand], id: UInt64, timeout: TimeAmount?, promise: RedisPromise) {
        guard let context else {
            promise.fail(RedisClientError(.connectionClosed, "the connection is closed"))
            return
        }
        let deadline = timeout.map { context.eventLoop.now + $0 } ?? .distantFuture
        switch state.send(
            id: id, expectedReplies: commands.count, deadline: deadline, promise: promise,
            closesOnCancel: commands.contains(where: \.isBlocking)
        ) {
        case .write:
            for command in commands { outbound.writeImmutableBuffer(command.encoded) }
            didSend(id)
        case .fail(let promise, let error):
            promise.fail(error)
        }
    }

    func send(_ command: RedisCommand, id: UInt64, timeout: TimeAmount?, promise: RedisPromise) {
        guard let context else {
            promise.fail(RedisClientError(.connectionClosed, "the connection is closed"))
            return
        }
        let deadline = timeout.map { context.eventLoop.now + $0 } ?? .distantFuture
        switch state.send(id: id, expectedReplies: 1, deadline: deadline, promise: promise, closesOnCancel: command.isBlocking) {
        case .write:
            outbound.writeImmutableBuffer(command.encoded)
            didSend(id)
        case .fail(let promise, let error):
            promise.fail(error)
        }
    }

    private func didSend(_ id: UInt64) {
        highestSentID = max(highestSentID, id)
        if !flushScheduled, let context {
            flushScheduled = true
            context.eventLoop.assumeIsolated().execute { self.flush() }
        }
        if timer == nil, let deadline = state.headDeadline, deadline != .distantFuture { scheduleTimer(deadline) }
    }

    private func flush() {
        flushScheduled = false
        guard let context, outbound.readableBytes > 0 else { return }
        context.writeAndFlush(wrapOutboundOut(outbound), promise: nil)
        outbound.clear()
    }

    /// The caller of request `id` went away: fail it and, if it was pending, close the connection.
    func cancel(id: UInt64) {
        switch state.cancel(id: id, highestSentID: highestSentID) {
        case .none:
            break
        case .closeAndFail(let cancelled, let others, let error):
            cancelled?.fail(CancellationError())
            for promise in others { promise.fail(error) }
            context?.close(promise: nil)
        case .abandon(let promise):
            promise.fail(CancellationError())
        }
    }

    // MARK: Timeouts

    private func scheduleTimer(_ deadline: NIODeadline) {
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard let context else { return }
        switch state.timerFired(now: context.eventLoop.now) {
        case .none:
            break
        case .reschedule(let deadline):
            if deadline != .distantFuture { scheduleTimer(deadline) }
        case .closeAndFail(let promises, let error):
            logger.warning("Redis command timed out; closing the connection", metadata: ["pending": "\(promises.count)"])
            for promise in promises { promise.fail(error) }
            context.close(promise: nil)
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try decoder.process(buffer: buffer) { token in
                switch state.receive(token) {
                case .none:
                    break
                case .succeed(let promise, let reply):
                    promise.succeed(reply)
                case .push(let token):
                    if let onPush { onPush(token) } else { logger.debug("ignoring RESP3 push frame", metadata: ["frame": "\(token)"]) }
                case .closeAndFail(let promises, let error):
                    logger.error("Redis stream out of sync; closing the connection", metadata: ["error": "\(error)"])
                    for promise in promises { promise.fail(error) }
                    context.close(promise: nil)
                }
            }
        } catch {
            let failure = RedisClientError(.protocolError, "\(error); the connection was closed")
            logger.error("malformed reply from Redis; closing the connection", metadata: ["error": "\(error)"])
            failAll(failure)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisClientError(.connectionClosed, "the connection to Redis closed before the reply arrived"))
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RedisClientError(.connectionClosed, "connection error: \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisClientError) {
        for promise in state.close(error) { promise.fail(error) }
    }
}
