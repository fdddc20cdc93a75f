public import Logging
public import Queue

/// Logs every attempt that did not complete, with how it ends (retried, failed, delayed) and
/// why: a middleware around every attempt.
public struct AttemptLogging: JobMiddleware {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func run(_ context: JobContext, next: @Sendable (JobContext) async throws -> String?) async throws -> String? {
        do {
            return try await next(context)
        } catch {
            let job = context.job
            let ending = AttemptEnding(job, error: error)
            let metadata: Logger.Metadata = [
                "queue": "\(job.queue)", "job": "\(job.id)", "ending": "\(ending)", "error": "\(QueueProcessor.reason(for: error))",
            ]
            if ending == .delayed {
                logger.notice("job attempt put off", metadata: metadata)
            } else {
                logger.info("job attempt failed", metadata: metadata)
            }
            throw error
        }
    }
}
