import Foundation
import Queue
import ServiceLifecycle

/// The bytes of one job's Server-Sent Event stream (`GET /api/jobs/{queue}/{id}/events`), made as
/// the response is written, in the task writing it (a gone client ends the iteration, and with it
/// the subscription).
///
/// Order: a `state` event with the job as it is now (unless the client resumes), the events after
/// `Last-Event-ID` up to where the hub took over (read from the stream, when resuming), then the
/// hub's live events. Ends after `completed`, `failed` or `removed`, at the deadline, when the
/// hub drops the subscription, or when the server shuts down; a comment every `heartbeat` of
/// silence keeps proxies from closing the connection.
struct JobEventFrames: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>

    let queue: Queue
    let jobID: String
    let subscription: JobEventHub.Subscription
    /// The opening `state` event's JSON, when the client does not resume.
    let snapshot: (json: String, terminal: Bool)?
    let resumeAfter: String?
    let heartbeat: Duration
    let deadline: ContinuousClock.Instant

    func makeAsyncIterator() -> Iterator { Iterator(frames: self) }

    struct Iterator: AsyncIteratorProtocol {
        enum Phase {
            case opening
            case catchingUp(after: String)
            case live
            case done
        }

        let frames: JobEventFrames
        var phase = Phase.opening
        var pending: [ArraySlice<UInt8>] = []
        var signals: AsyncStream<JobEventHub.Signal>.Iterator
        var lastWrite = ContinuousClock.now

        init(frames: JobEventFrames) {
            self.frames = frames
            self.signals = frames.subscription.signals.makeAsyncIterator()
        }

        mutating func next() async throws -> ArraySlice<UInt8>? {
            while pending.isEmpty {
                switch phase {
                case .done:
                    return nil
                case .opening:
                    if let snapshot = frames.snapshot {
                        pending.append(Self.frame(id: nil, event: "state", data: snapshot.json))
                        if snapshot.terminal { phase = .done; break }
                    }
                    phase = frames.resumeAfter.map { .catchingUp(after: $0) } ?? .live
                case .catchingUp(let position):
                    try await catchUp(after: position)
                case .live:
                    guard let signal = await signals.next() else { phase = .done; break }
                    try await handle(signal)
                }
            }
            lastWrite = .now
            return pending.removeFirst()
        }

        /// Reads what happened after `position`, up to where the hub's delivery starts.
        mutating func catchUp(after position: String) async throws {
            let events = try await frames.queue.readEvents(after: position, count: 200, block: nil)
            let handover = EventStreamID(frames.subscription.joinedAt)
            for event in events {
                if let handover, let id = EventStreamID(event.id), id > handover {
                    phase = .live
                    return
                }
                if relay(event) { return }
            }
            if let last = events.last { phase = .catchingUp(after: last.id) } else { phase = .live }
            if events.count < 200 { phase = .live }
        }

        mutating func handle(_ signal: JobEventHub.Signal) async throws {
            switch signal {
            case .event(let event):
                _ = relay(event)
            case .tick:
                if ContinuousClock.now >= frames.deadline || Task.isShuttingDownGracefully || Task.isCancelled {
                    phase = .done
                } else if ContinuousClock.now - lastWrite >= frames.heartbeat {
                    pending.append(ArraySlice(": keep-alive\n\n".utf8))
                }
            }
        }

        /// Queues the event's frame if it is the job's; `true` when it ends the stream.
        mutating func relay(_ event: QueueEvent) -> Bool {
            guard event.jobID == frames.jobID, let name = JobEventName(rawValue: event.name) else { return false }
            // Already sent before the client reconnected, or (a fresh stream) already in the
            // opening snapshot: the hub may deliver from further back than either.
            let seen = frames.resumeAfter ?? frames.subscription.streamEnd
            if let seen = EventStreamID(seen), let id = EventStreamID(event.id), id <= seen { return false }
            pending.append(Self.frame(id: event.id, event: event.name, data: JobEventPayload(event).json))
            if name.isTerminal {
                phase = .done
                return true
            }
            return false
        }

        static func frame(id: String?, event: String, data: String) -> ArraySlice<UInt8> {
            var text = ""
            if let id { text += "id: \(id)\n" }
            text += "event: \(event)\ndata: \(data)\n\n"
            return ArraySlice(text.utf8)
        }
    }
}
