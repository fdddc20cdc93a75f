import Foundation
import Hummingbird
import Logging
import Queue
import Synchronization

/// One reader of each queue's event stream per API process, fanning the events out to the
/// Server-Sent Event streams that follow a job of that queue.
///
/// Each stream used to hold a Redis connection of its own for its `XREAD BLOCK`, so one viewer
/// opening streams could take every connection of the pool. Now a queue's reader runs while at
/// least one stream follows that queue (one blocking connection per queue per process), and
/// streams are capped per user and per process. The reader wakes at least every `tick`, and every
/// stream gets a `.tick` then, so streams notice their deadline and send keep-alives without
/// timers of their own.
final class JobEventHub: Sendable {
    /// What a stream receives.
    enum Signal: Sendable {
        case event(QueueEvent)
        case tick
    }

    struct Limits: Sendable {
        var streamsPerUser: Int
        var streamsPerInstance: Int
        /// How long the reader's `XREAD BLOCK` waits, hence the longest gap between ticks.
        var tick: Duration
        /// Signals a stream may have waiting before it is ended (a client that does not read).
        var backlog: Int

        init(streamsPerUser: Int = 5, streamsPerInstance: Int = 1_000, tick: Duration = .seconds(1), backlog: Int = 1_024) {
            self.streamsPerUser = streamsPerUser
            self.streamsPerInstance = streamsPerInstance
            self.tick = tick
            self.backlog = backlog
        }
    }

    private struct Subscriber {
        let user: UUID
        let queue: String
        let jobID: String
        let continuation: AsyncStream<Signal>.Continuation
    }

    private struct Reader {
        /// The id of the last event read (events after it are still to come).
        var position: String
        var task: Task<Void, Never>?
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var perUser: [UUID: Int] = [:]
        var readers: [String: Reader] = [:]
        var nextID = 0
    }

    let limits: Limits
    let logger: Logger
    private let state = Mutex(State())

    init(limits: Limits = .init(), logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    /// The streams open now (for tests and metrics).
    var openStreams: Int { state.withLock { $0.subscribers.count } }

    /// Queues with a reader now: one per followed queue, whatever the number of streams.
    var readers: Int { state.withLock { $0.readers.count } }

    /// Registers a stream following `jobID` in `queue` for `user`; 429 over a cap.
    ///
    /// The subscription's `joinedAt` is the stream position from which the hub delivers: every
    /// event after it reaches the subscription; events up to it must be read by the caller.
    func subscribe(queue: Queue, jobID: String, user: UUID) async throws -> Subscription {
        // Where the stream is now, read before registering: a reader that starts with this
        // subscription starts from here.
        let now = try await queue.lastEventID()
        let (stream, continuation) = AsyncStream<Signal>.makeStream(bufferingPolicy: .bufferingOldest(limits.backlog))
        let registration: (id: Int, joinedAt: String, startReader: Bool) = try state.withLock { state in
            guard state.subscribers.count < limits.streamsPerInstance else {
                throw HTTPError(
                    .tooManyRequests, headers: [.retryAfter: "5"],
                    message: "this server follows \(limits.streamsPerInstance) event streams already; retry later")
            }
            guard state.perUser[user, default: 0] < limits.streamsPerUser else {
                throw HTTPError(
                    .tooManyRequests, headers: [.retryAfter: "5"],
                    message: "you follow \(limits.streamsPerUser) event streams already; close one first")
            }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = Subscriber(user: user, queue: queue.name, jobID: jobID, continuation: continuation)
            state.perUser[user, default: 0] += 1
            if let reader = state.readers[queue.name] { return (id, reader.position, false) }
            state.readers[queue.name] = Reader(position: now, task: nil)
            return (id, now, true)
        }
        if registration.startReader {
            let task = Task { [self] in await read(queue, from: registration.joinedAt) }
            state.withLock { state in state.readers[queue.name]?.task = task }
        }
        return Subscription(hub: self, id: registration.id, joinedAt: registration.joinedAt, streamEnd: now, signals: stream)
    }

    fileprivate func unsubscribe(_ id: Int) {
        let continuation: AsyncStream<Signal>.Continuation? = state.withLock { state in
            guard let subscriber = state.subscribers.removeValue(forKey: id) else { return nil }
            let count = state.perUser[subscriber.user, default: 1] - 1
            state.perUser[subscriber.user] = count > 0 ? count : nil
            return subscriber.continuation
        }
        continuation?.finish()
    }

    /// A queue's reader: reads after `position` while anyone follows the queue.
    private func read(_ queue: Queue, from start: String) async {
        var position = start
        while !Task.isCancelled {
            var events: [QueueEvent] = []
            do {
                events = try await queue.readEvents(after: position, count: 500, block: limits.tick)
            } catch {
                if Task.isCancelled { break }
                logger.warning("reading the events of \(queue.name) failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: limits.tick)
            }
            if let last = events.last { position = last.id }
            let (targets, keepGoing) = state.withLock { state -> ([(AsyncStream<Signal>.Continuation, [Signal])], Bool) in
                let following = state.subscribers.filter { $0.value.queue == queue.name }
                guard !following.isEmpty else {
                    state.readers[queue.name] = nil
                    return ([], false)
                }
                state.readers[queue.name]?.position = position
                return (
                    following.values.map { subscriber in
                        let signals = events.filter { $0.jobID == subscriber.jobID }.map(Signal.event) + [.tick]
                        return (subscriber.continuation, signals)
                    }, true
                )
            }
            for (continuation, signals) in targets {
                for signal in signals {
                    // A client that stopped reading: end its stream (it resumes with Last-Event-ID).
                    if case .dropped = continuation.yield(signal) {
                        continuation.finish()
                        break
                    }
                }
            }
            if !keepGoing { return }
        }
    }

    /// One stream's registration; leaving it (deinit) frees the stream's place.
    final class Subscription: Sendable {
        let hub: JobEventHub
        let id: Int
        let joinedAt: String
        /// The id of the stream's newest event when the subscription was made.
        let streamEnd: String
        let signals: AsyncStream<Signal>

        fileprivate init(hub: JobEventHub, id: Int, joinedAt: String, streamEnd: String, signals: AsyncStream<Signal>) {
            self.hub = hub
            self.id = id
            self.joinedAt = joinedAt
            self.streamEnd = streamEnd
            self.signals = signals
        }

        deinit { hub.unsubscribe(id) }
    }
}
