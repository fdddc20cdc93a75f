import Domain
import Foundation
public import Hummingbird
public import Logging
import OpenAPIRuntime
public import Prometheus
public import Queue
public import Redis
public import ServiceLifecycle
public import Store
import UnixSignals

/// What the API's routes need, built once per process.
public struct APIDependencies: Sendable {
    public var database: Database
    public var verifier: TokenVerifier
    /// The platform's queues, by name; `inter-notifications`, `immo-imports` and `agent-runs` must be among them.
    public var queues: [Queue]
    public var readiness: [ReadinessCheck]
    /// Shared state of every API instance (the rate limiter); `nil` turns the limiter off.
    public var redis: RedisClient?
    /// Where request metrics go, served by the operations listener; `nil` counts nothing.
    public var metrics: PrometheusCollectorRegistry?
    public var options: APIOptions
    public var logger: Logger
    /// The event streams' hub, when a test wants to watch it; made by `build` otherwise.
    var eventHub: JobEventHub?

    public init(
        database: Database, verifier: TokenVerifier, queues: [Queue], readiness: [ReadinessCheck],
        redis: RedisClient? = nil, metrics: PrometheusCollectorRegistry? = nil, options: APIOptions = .init(),
        logger: Logger = Logger(label: "obotcall.api")
    ) {
        self.database = database
        self.verifier = verifier
        self.queues = queues
        self.readiness = readiness
        self.redis = redis
        self.metrics = metrics
        self.options = options
        self.logger = logger
    }

    func queue(_ name: String) throws -> Queue {
        guard let queue = queues.first(where: { $0.name == name }) else {
            throw APIConfigurationError("the API needs the queue \(name)")
        }
        return queue
    }
}

public struct APIConfigurationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Assembles the `obotcall api` HTTP applications: the public API (every operation of
/// `openapi.yaml`) and the operations listener (`/metrics`, detailed `/ready`).
public enum APIApplication {
    /// The bundled document, parsed once per process.
    static let bundledContract = Result { try OpenAPIContract.bundled() }

    public static func contract() throws -> OpenAPIContract { try bundledContract.get() }

    /// The dashboard's files, read once per process.
    static let bundledDashboard = Result { try DashboardAssets.bundled() }

    /// The public router, for tests (`app.test(.router)`) and for `make`.
    public static func router(_ dependencies: APIDependencies) throws -> Router<APIRequestContext> {
        try build(dependencies).router
    }

    /// The public router and the book of the routes registered on it.
    public static func build(_ dependencies: APIDependencies) throws -> (router: Router<APIRequestContext>, book: APIRouteBook) {
        let contract = try contract()
        let book = APIRouteBook()
        let options = dependencies.options
        for name in QueueName.all { _ = try dependencies.queue(name) }
        let router = Router(context: APIRequestContext.self)
        // Outermost first: every answer (errors included) carries the request id, is counted,
        // and has CORS headers; the envelope turns errors into answers below them.
        router.add(middleware: RequestIDMiddleware())
        if let registry = dependencies.metrics { router.add(middleware: RequestMetricsMiddleware(registry: registry)) }
        if !options.corsOrigins.isEmpty { router.add(middleware: CORSPolicyMiddleware(origins: options.corsOrigins)) }
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(book: book))
        DashboardRoutes(assets: try bundledDashboard.get()).register(on: router, book: book)

        let api = router.group("api").add(middleware: AuthMiddleware(verifier: dependencies.verifier))
        if let redis = dependencies.redis, options.rateLimit > 0 {
            api.add(middleware: try RateLimitMiddleware(redis: redis, limit: options.rateLimit, window: options.rateLimitWindow))
        }
        api.add(middleware: RequestScopeMiddleware())

        let streams =
            dependencies.eventHub
            ?? JobEventHub(
                limits: .init(streamsPerUser: options.eventStreamsPerUser, streamsPerInstance: options.eventStreamsPerInstance),
                logger: dependencies.logger)
        let handler = APIHandler(dependencies: dependencies, contract: contract, streams: streams)
        try handler.registerHandlers(
            on: APITransport(router: router, api: api, book: book, contract: contract, maxBodySize: APIRequestContext.maximumJSONBody),
            configuration: Configuration(dateTranscoder: RFC3339DateTranscoder(), jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]),
            middlewares: [ContractMiddleware(contract: contract)])

        let upload = PropertyImportUpload(
            database: dependencies.database, imports: try dependencies.queue(QueueName.imports),
            notifications: try dependencies.queue(QueueName.notifications), checker: RequestChecker(contract: contract),
            maxBody: options.maxImportBody, maxRows: options.maxImportRows, logger: dependencies.logger)
        api.post("/property-imports", use: upload.handle)
        book.record(APIRouteDescription(method: .post, path: "/api/property-imports", operationID: "createPropertyImport"))

        let enqueue = try NotificationEnqueueRoute(
            intake: NotificationIntake(database: dependencies.database, logger: dependencies.logger),
            notifications: try dependencies.queue(QueueName.notifications), checker: RequestChecker(contract: contract))
        api.post("/interventions/{id}/notifications", use: enqueue.handle)
        book.record(
            APIRouteDescription(method: .post, path: "/api/interventions/{id}/notifications", operationID: NotificationEnqueueRoute.operationID))
        return (router, book)
    }

    /// The operations listener: `/health`, `/ready` with each dependency's latency and error, and
    /// Prometheus `/metrics`. It is not routed by the proxy; Prometheus and operators reach it
    /// inside the deployment's network.
    public static func operationsRouter(
        readiness: [ReadinessCheck], metrics: PrometheusCollectorRegistry?, timeout: Duration = .seconds(2)
    ) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        let probe = ReadinessProbe(checks: readiness, timeout: timeout)
        router.get("/health") { _, _ in
            try Response(status: .ok, json: HealthResponse(status: "ok"))
        }
        router.get("/ready") { _, _ in
            let report = await probe.run()
            return try Response(status: report.status == "ready" ? .ok : .serviceUnavailable, json: report)
        }
        if let metrics {
            router.get("/metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                    body: .init(byteBuffer: ByteBuffer(string: metrics.emitToString())))
            }
        }
        return router
    }

    /// Both listeners, with `services` (database and Redis clients) started before them and
    /// stopped after them; SIGTERM and SIGINT shut everything down gracefully.
    public static func make(
        configuration: APIConfiguration, dependencies: APIDependencies, services: [any Service], logger: Logger
    ) throws -> ServiceGroup {
        let api = Application(
            router: try router(dependencies),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "obotcall"),
            logger: logger)
        let operations = Application(
            router: operationsRouter(readiness: dependencies.readiness, metrics: dependencies.metrics),
            configuration: .init(
                address: .hostname(configuration.operationsHost, port: configuration.operationsPort), serverName: "obotcall-ops"),
            logger: logger)
        return ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) } + [.init(service: operations), .init(service: api)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }
}

extension Response {
    /// A JSON answer written the way the generated server writes them.
    init(status: HTTPResponse.Status, json value: some Encodable) throws {
        self.init(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try APIJSON.encoder.encode(value))))
    }
}
