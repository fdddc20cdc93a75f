import ArgumentParser
import AsyncHTTPClient
import Domain
import Foundation
import Jobs
import Hummingbird
import Logging
import Metrics
import Prometheus
import Queue
import Redis
import ServiceLifecycle
import Store
import UnixSignals
import Worker

/// `obotcall worker`: runs jobs. Scale by running more of them.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run jobs from the queues (scale by running more workers).",
        discussion: """
            SIGTERM or SIGINT stops fetching; running jobs get the grace period to finish, then are \
            cancelled and moved back to wait (the attempt not counted); the process exits within the \
            grace period plus 5 seconds, whatever happens. A job runs at most its timeout (the job's \
            own, else --job-timeout, else its queue's default). Prometheus metrics and /health are \
            served on the metrics port.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var redisOptions: RedisOptions

    @Option(
        name: .customLong("queue"),
        help: "A queue to serve, optionally with its concurrency: NAME[:N] (repeatable; default: every queue with a handler).")
    var queues: [String] = []
    @Option(help: "Jobs run at once per queue, unless NAME:N says otherwise.") var concurrency: Int = 10
    @Option(help: "Seconds a job's lock lasts (renewed at half that).") var lockDuration: Int = 30
    @Option(help: "Seconds between stalled checks.") var stalledInterval: Int = 30
    @Option(help: "Times a job may stall before it fails.") var maxStalledCount: Int = 1
    @Option(help: "Seconds running jobs get to finish after SIGTERM.") var gracePeriod: Int = 30
    @Option(help: "Seconds a job may run when it sets no timeout (default: its queue's: notifications 120, imports and agent runs 1800).")
    var jobTimeout: Int?
    @Option(help: "Port of /metrics and /health (0: none).") var metricsPort: Int = 9464
    @Option(help: "Address of the metrics server.") var metricsHost: String = "0.0.0.0"
    @Option(help: "Redis key prefix of the queues (default: $QUEUE_PREFIX or bull; `{bull}` for Redis Cluster).")
    var queuePrefix: String?
    @Option(help: "At startup, set each served queue's global concurrency (jobs active at once, all workers together).")
    var globalConcurrency: Int?
    @Option(help: "At startup, set each served queue's global rate limit, MAX/DURATION for all workers together (e.g. 100/1s).")
    var globalRateLimit: String?
    @Option(
        help: """
            Queues to make fair at startup, comma-separated (tenants take weighted turns; default: \
            $OBOTCALL_FAIR_QUEUES, else immo-imports,inter-notifications,agent-runs; "none" for none). \
            Only the ones this worker serves are changed.
            """)
    var fairQueues: String?
    @Option(help: "Default per-tenant concurrency in the fair queues (jobs of one tenant active at once, all workers together).")
    var tenantConcurrency: Int?
    @Option(help: "Default per-tenant rate limit in the fair queues, MAX/DURATION (e.g. 50/1s).")
    var tenantRateLimit: String?
    @Option(help: "Default cap on one tenant's pending jobs in the fair queues (the API answers 429 above it).")
    var tenantMaxPending: Int?
    @Option(help: "Tenants with their own label in the per-tenant metrics (0 to 10000); later ones are counted as \"other\".")
    var metricTenants: Int = 100

    /// The default set of fair queues: the ones a single tenant can flood.
    static let defaultFairQueues = [QueueName.imports, QueueName.notifications, QueueName.agentRuns]

    func validate() throws {
        guard concurrency >= 1, concurrency <= 1_000 else { throw ValidationError("--concurrency must be between 1 and 1000") }
        guard (1...86_400).contains(lockDuration) else { throw ValidationError("--lock-duration must be between 1 and 86400 seconds") }
        guard (1...86_400).contains(stalledInterval) else { throw ValidationError("--stalled-interval must be between 1 and 86400 seconds") }
        guard (0...86_400).contains(gracePeriod) else { throw ValidationError("--grace-period must be between 0 and 86400 seconds") }
        if let jobTimeout, !(1...604_800).contains(jobTimeout) {
            throw ValidationError("--job-timeout must be between 1 and 604800 seconds")
        }
        guard (0...65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be a port") }
        if let globalConcurrency, !(1...100_000).contains(globalConcurrency) {
            throw ValidationError("--global-concurrency must be between 1 and 100000")
        }
        if let globalRateLimit { _ = try RateLimitOption(parsing: globalRateLimit) }
        guard (0...10_000).contains(metricTenants) else { throw ValidationError("--metric-tenants must be between 0 and 10000") }
        let defaults = try tenantDefaults()
        do {
            try defaults.validate()
        } catch {
            throw ValidationError("--tenant-*: \(error.message)")
        }
    }

    /// The per-tenant defaults the fair queues get from the `--tenant-*` options.
    func tenantDefaults() throws -> TenantLimits {
        var limits = TenantLimits(concurrency: tenantConcurrency, maxPending: tenantMaxPending)
        if let tenantRateLimit {
            let rate = try RateLimitOption(parsing: tenantRateLimit)
            limits.rateLimit = TenantRateLimit(max: rate.max, duration: rate.duration)
        }
        return limits
    }

    /// The queues named by `--fair-queues` or `$OBOTCALL_FAIR_QUEUES` (an empty variable counts
    /// as unset; `none` names none).
    static func fairQueueNames(option: String?, environment: String?) -> Set<String> {
        let variable = environment.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        guard let text = option ?? variable else { return Set(defaultFairQueues) }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "none" || trimmed.isEmpty { return [] }
        return Set(trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    func run() async throws {
        let logger = LogSetup.logger(label: "obotcall.worker")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        // Model providers' client (webhook deliveries make their own, pinned to checked addresses).
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10)))
        configuration.httpVersion = .http1Only
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await run(http: http, registry: registry, logger: logger)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try? await http.shutdown()
    }

    private func run(http: HTTPClient, registry: PrometheusCollectorRegistry, logger: Logger) async throws {
        let environment = ProcessEnvironment()
        let prefix = queuePrefix ?? environment["QUEUE_PREFIX"] ?? "bull"
        let workerID = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        let database = Database(url: try database.url(), logger: logger)
        let redis = RedisClient(configuration: try redisOptions.configuration(clientName: "obotcall-worker"), logger: logger)
        // Agents enqueue notifications even on a worker that does not deliver them.
        let notifications = try Queue(name: QueueName.notifications, redis: redis, options: .platform(prefix: prefix), logger: logger)
        let providers = AgentProviders(
            http: http, baseURL: environment["OPENAI_BASE_URL"], apiKey: environment["OPENAI_API_KEY"],
            scriptsDirectory: environment["AGENT_SCRIPTS_DIR"])
        // A run's several tool calls become `agent-tools` jobs when this worker serves that queue.
        let tenantLabels = TenantMetricLabels(capacity: metricTenants)
        let toolQueue = queues.isEmpty || queues.contains { $0.split(separator: ":").first.map(String.init) == QueueName.agentTools }
        let handlers: [any JobHandler] = [
            NotificationHandler(policy: try environment.webhookPolicy()), PropertyImportHandler(),
            AgentRunHandler(
                providers: providers, notifications: notifications, budgets: try environment.tokenBudgets(), parallelTools: toolQueue,
                tenantLabels: tenantLabels),
            AgentToolHandler(notifications: notifications), ImportNotificationHandler(policy: try environment.webhookPolicy()),
            ScheduleRunHandler<ImportSchedules>(), ScheduleRunHandler<AgentRunSchedules>(),
            ScheduleRunHandler<NotificationSchedules>(),
        ]
        let served = try Self.parseQueues(queues, defaultConcurrency: concurrency, handlers: handlers)

        let worker = WorkerService(
            configuration: WorkerConfiguration(
                queues: served,
                processor: ProcessorOptions(
                    lockDuration: .seconds(lockDuration), stalledInterval: .seconds(stalledInterval),
                    maxStalledCount: maxStalledCount, gracefulShutdownTimeout: .seconds(gracePeriod)),
                workerID: workerID,
                queueOptions: .platform(prefix: prefix),
                jobTimeout: jobTimeout.map { .seconds($0) },
                shutdownDeadline: ShutdownDeadline(limit: .seconds(gracePeriod + 5)), tenantLabels: tenantLabels),
            redis: redis, database: database, handlers: handlers, logger: logger)
        let processors: [QueueProcessor]
        do {
            processors = try worker.processors()
        } catch let error as QueueError {
            throw ValidationError(error.message)
        }
        let rate = try globalRateLimit.map(RateLimitOption.init(parsing:))
        let fair = Self.fairQueueNames(option: fairQueues, environment: environment["OBOTCALL_FAIR_QUEUES"])
        let defaults = try tenantDefaults()
        for queue in processors.map(\.queue) {
            if let globalConcurrency { try await queue.setGlobalConcurrency(globalConcurrency) }
            if let rate { try await queue.setGlobalRateLimit(max: rate.max, duration: rate.duration) }
            if fair.contains(queue.name) {
                try await queue.makeFair(defaults: defaults)
                logger.info("fair queue: tenants take turns", metadata: ["queue": "\(queue.name)"])
            }
        }

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: database), .init(service: redis), .init(service: RedisMemoryMonitor(client: redis, logger: logger)),
        ]
        if metricsPort > 0 {
            let router = Router()
            router.get("/health") { _, _ in "ok" }
            router.get("/metrics") { _, _ in registry.emitToString() }
            let metricsApp = Application(
                router: router, configuration: .init(address: .hostname(metricsHost, port: metricsPort), serverName: "obotcall-worker"),
                logger: logger)
            services.append(.init(service: metricsApp))
        }
        // The worker last: it is shut down first, and drains before the clients close.
        services.append(.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger))
        try await group.run()
    }

    /// `NAME[:N]` options → queue → concurrency; only queues some handler serves.
    static func parseQueues(_ options: [String], defaultConcurrency: Int, handlers: [any JobHandler]) throws -> [String: Int] {
        let available = Set(handlers.map(\.queue))
        guard !options.isEmpty else {
            return Dictionary(uniqueKeysWithValues: available.map { ($0, defaultConcurrency) })
        }
        var result: [String: Int] = [:]
        for option in options {
            let parts = option.split(separator: ":", maxSplits: 1).map(String.init)
            let name = parts[0]
            guard available.contains(name) else {
                throw ValidationError("no handler runs queue '\(name)' in this build (available: \(available.sorted().joined(separator: ", ")))")
            }
            var value = defaultConcurrency
            if parts.count == 2 {
                guard let parsed = Int(parts[1]), (1...1_000).contains(parsed) else {
                    throw ValidationError("--queue \(option): the concurrency after ':' must be between 1 and 1000")
                }
                value = parsed
            }
            result[name] = value
        }
        return result
    }
}
