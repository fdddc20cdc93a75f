public import NIOCore

/// Runs Swift tasks on a NIO event loop.
///
/// A task that talks to one connection many times (a pipelining loop, a worker's fetch loop) can
/// prefer its connection's event loop with `withTaskExecutorPreference(_:operation:)`: the command
/// is then written and its reply resumed on the same thread, with no hop between the Swift
/// concurrency pool and the event loop for each round trip.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    public let eventLoop: any EventLoop

    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
