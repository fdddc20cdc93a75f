import Foundation
public import Logging
public import Queue
public import Redis
public import ServiceLifecycle
public import Store

/// What `obotcall worker` runs: one `QueueProcessor` per served queue, each job through its
/// handler and recorded in PostgreSQL by a ``JobRunner``.
public struct WorkerConfiguration: Sendable {
    /// Queue name → jobs run at once for that queue.
    public var queues: [String: Int]
    public var processor: ProcessorOptions
    /// Recorded on every job result row and each job it runs (`pb`).
    public var workerID: String
    public var queueOptions: QueueOptions
    /// The longest a job runs when it sets no `timeout`, for every queue; `nil`: each queue's
    /// handler's `defaultTimeout`.
    public var jobTimeout: Duration?
    /// Started on graceful shutdown: ends the process if shutting down takes longer (`nil`: never).
    /// `obotcall worker` sets it to the grace period plus a few seconds.
    public var shutdownDeadline: ShutdownDeadline?
    /// Bounds the `tenant` label of the per-tenant metrics (one per process: the agent runs'
    /// token counter shares it).
    public var tenantLabels: TenantMetricLabels

    public init(
        queues: [String: Int], processor: ProcessorOptions = .init(), workerID: String, queueOptions: QueueOptions = .init(),
        jobTimeout: Duration? = nil, shutdownDeadline: ShutdownDeadline? = nil,
        tenantLabels: TenantMetricLabels = TenantMetricLabels()
    ) {
        self.queues = queues
        self.processor = processor
        self.workerID = workerID
        self.queueOptions = queueOptions
        self.jobTimeout = jobTimeout
        self.shutdownDeadline = shutdownDeadline
        self.tenantLabels = tenantLabels
    }
}

public struct WorkerService: Service {
    public let configuration: WorkerConfiguration
    let redis: RedisClient
    let database: Database
    let handlers: [any JobHandler]
    let logger: Logger

    public init(configuration: WorkerConfiguration, redis: RedisClient, database: Database, handlers: [any JobHandler], logger: Logger) {
        self.configuration = configuration
        self.redis = redis
        self.database = database
        self.handlers = handlers
        self.logger = logger
    }

    /// The processors this service runs, built on demand (validates queue names).
    public func processors() throws -> [QueueProcessor] {
        try configuration.queues.sorted(by: { $0.key < $1.key }).map { name, concurrency in
            let queue = try Queue(name: name, redis: redis, options: configuration.queueOptions, logger: logger)
            let runner = JobRunner(
                queue: name, handlers: handlers, database: database, workerID: configuration.workerID, logger: logger,
                tenantLabels: configuration.tenantLabels)
            var options = configuration.processor
            options.concurrency = concurrency
            options.workerName = configuration.workerID
            options.jobTimeout = configuration.jobTimeout ?? runner.defaultTimeout ?? options.jobTimeout
            return QueueProcessor(
                queue: queue, options: options, logger: logger,
                onAbandoned: { context, error in await runner.recordAbandoned(context, error) }
            ) { context in
                try await runner.execute(context)
            }
        }
    }

    /// Runs every processor until graceful shutdown; each drains its running jobs first.
    public func run() async throws {
        let processors = try processors()
        logger.info(
            "worker started",
            metadata: [
                "worker": "\(configuration.workerID)", "queues": "\(configuration.queues.keys.sorted())",
            ])
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for processor in processors {
                    group.addTask { try await processor.run() }
                }
                try await group.waitForAll()
            }
        } onGracefulShutdown: { [configuration, logger] in
            logger.info("worker stopping: no more jobs are taken", metadata: ["worker": "\(configuration.workerID)"])
            configuration.shutdownDeadline?.start(logger: logger)
        }
        logger.info("worker stopped", metadata: ["worker": "\(configuration.workerID)"])
    }
}
