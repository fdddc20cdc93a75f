import DequeModule
import NIOCore

/// The protocol state of one Redis connection, as a plain value.
///
/// Redis answers commands in the order it received them, so the connection keeps a FIFO of the
/// requests it has written; each reply completes the request at the head (a pipelined batch
/// completes after its last reply). The machine performs no I/O: every event returns an action
/// that the channel handler carries out, which is what lets the tests drive it without a socket.
/// Generic over `Promise`, the handle used to complete a request.
struct RedisConnectionStateMachine<Promise> {
    struct Pending {
        let id: UInt64
        let expectedReplies: Int
        var replies: [RESPToken]
        let deadline: NIODeadline
        /// `nil` once its caller went away: the reply is read and dropped.
        var promise: Promise?
        /// Whether a cancelled caller takes the connection down (a blocking command, whose reply
        /// may never come) or only gives up its reply.
        let closesOnCancel: Bool
    }

    enum Reply {
        case single(RESPToken)
        case batch([RESPToken])
    }

    private enum State {
        case active
        case closed(RedisClientError)
    }

    private var state: State = .active
    private var pending: Deque<Pending> = []
    /// Ids cancelled before their send reached the connection.
    private var cancelledBeforeSend: Set<UInt64> = []

    init() {}

    var pendingCount: Int { pending.count }
    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// The deadline of the oldest pending request: replies come in order, so nothing can time out before it.
    var headDeadline: NIODeadline? { pending.first?.deadline }

    // MARK: Sending

    enum SendAction {
        /// Write the request's commands to the socket.
        case write
        /// Do not write; fail the promise with this error.
        case fail(Promise, any Error)
    }

    mutating func send(
        id: UInt64, expectedReplies: Int, deadline: NIODeadline, promise: Promise, closesOnCancel: Bool = true
    ) -> SendAction {
        switch state {
        case .closed(let error):
            return .fail(promise, error)
        case .active:
            if cancelledBeforeSend.remove(id) != nil {
                return .fail(promise, CancellationError())
            }
            pending.append(
                Pending(
                    id: id, expectedReplies: expectedReplies, replies: [], deadline: deadline, promise: promise,
                    closesOnCancel: closesOnCancel))
            return .write
        }
    }

    // MARK: Receiving

    enum ReceiveAction {
        /// The reply completed no request yet (a batch is still collecting).
        case none
        case succeed(Promise, Reply)
        /// An out-of-band RESP3 push frame; not a reply to any command.
        case push(RESPToken)
        /// A reply arrived that nothing waits for: the stream is out of sync. Close the connection
        /// and fail these.
        case closeAndFail([Promise], RedisClientError)
    }

    mutating func receive(_ token: RESPToken) -> ReceiveAction {
        if token.base.getInteger(at: token.base.readerIndex, as: UInt8.self) == RESPTypeByte.push {
            return .push(token)
        }
        guard case .active = state else { return .none }
        guard !pending.isEmpty else {
            let error = RedisClientError(.unexpectedReply, "received a reply while no command was pending: \(token)")
            return .closeAndFail(close(error), error)
        }
        let index = pending.startIndex
        let expected = pending[index].expectedReplies
        if expected == 1 {
            guard let promise = pending.removeFirst().promise else { return .none }
            return .succeed(promise, .single(token))
        }
        // Appending in place: no copy of the head is held, so the array is not copied on write.
        if pending[index].replies.isEmpty { pending[index].replies.reserveCapacity(expected) }
        pending[index].replies.append(token)
        if pending[index].replies.count == expected {
            let head = pending.removeFirst()
            guard let promise = head.promise else { return .none }
            return .succeed(promise, .batch(head.replies))
        }
        return .none
    }

    // MARK: Failure paths

    enum CloseAction {
        case none
        /// Close the channel; fail `cancelled` with `CancellationError` and `others` with the error.
        case closeAndFail(cancelled: Promise?, others: [Promise], RedisClientError)
        /// Fail this promise with `CancellationError`; the connection stays up and drops the reply.
        case abandon(Promise)
    }

    /// The caller of request `id` was cancelled. A pending blocking request takes the connection
    /// down with it (its reply may never come); any other gives up its reply, which is read and
    /// dropped when it arrives, so the callers sharing the connection are not disturbed.
    mutating func cancel(id: UInt64, highestSentID: UInt64) -> CloseAction {
        guard case .active = state else { return .none }
        guard let index = pending.firstIndex(where: { $0.id == id }) else {
            if id > highestSentID { cancelledBeforeSend.insert(id) }
            return .none
        }
        if !pending[index].closesOnCancel {
            guard let promise = pending[index].promise else { return .none }
            pending[index].promise = nil
            return .abandon(promise)
        }
        let cancelled = pending.remove(at: index)
        let error = RedisClientError(
            .connectionClosedDueToCancellation,
            "a command on this connection was cancelled, so the connection was closed (RESP cannot skip one reply)")
        return .closeAndFail(cancelled: cancelled.promise, others: close(error), error)
    }

    /// The head-of-line timer fired at `now`.
    enum TimeoutAction {
        case none
        case reschedule(NIODeadline)
        case closeAndFail([Promise], RedisClientError)
    }

    mutating func timerFired(now: NIODeadline) -> TimeoutAction {
        guard case .active = state, let head = pending.first else { return .none }
        if head.deadline > now { return .reschedule(head.deadline) }
        let error = RedisClientError(.commandTimeout, "no reply from Redis within the command timeout; the connection was closed")
        return .closeAndFail(close(error), error)
    }

    /// The channel closed or failed: returns every pending promise, to fail with `error`.
    mutating func close(_ error: RedisClientError) -> [Promise] {
        if case .closed = state { return [] }
        state = .closed(error)
        let promises = pending.compactMap(\.promise)
        pending.removeAll()
        cancelledBeforeSend.removeAll()
        return promises
    }
}
