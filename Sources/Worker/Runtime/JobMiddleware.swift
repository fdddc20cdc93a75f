public import Queue

/// Work done around every attempt of a queue's jobs (metrics, logging; tracing later), outside
/// the handlers and the recording of outcomes.
///
/// A middleware sees the attempt as the processor does: the job's return value, or the error the
/// processor acts on (`DelayJobError`, `RateLimitedError`, `WaitForChildren`: run again later,
/// no attempt used; `UnrecoverableJobError`: failed for good; any other: retried while attempts
/// remain).
public protocol JobMiddleware: Sendable {
    func run(_ context: JobContext, next: @Sendable (JobContext) async throws -> String?) async throws -> String?
}

extension Array where Element == any JobMiddleware {
    /// `core` wrapped by the middlewares, the first one outermost.
    func wrapping(
        _ core: @escaping @Sendable (JobContext) async throws -> String?
    ) -> @Sendable (JobContext) async throws -> String? {
        reversed().reduce(core) { next, middleware in
            { context in try await middleware.run(context, next: next) }
        }
    }
}

/// How a finished attempt ends for the queue, from what reached the processor.
enum AttemptEnding: Equatable {
    case completed, delayed, retrying, failed

    init(_ job: Job, error: (any Error)?) {
        switch error {
        case nil: self = .completed
        case is DelayJobError, is RateLimitedError, is WaitForChildren: self = .delayed
        case is UnrecoverableJobError: self = .failed
        default: self = job.willRetry(afterFailureUnrecoverable: false) ? .retrying : .failed
        }
    }
}
