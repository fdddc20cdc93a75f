import Domain
public import Hummingbird
public import Logging
public import Prometheus
public import Queue
public import Redis
public import ServiceLifecycle
public import Store

/// What the API's routes need, built once per process.
public struct APIDependencies: Sendable {
    public var database: Database
    public var verifier: TokenVerifier
    /// The platform's queues, by name; `inter-notifications` and `immo-imports` must be among them.
    public var queues: [Queue]
    public var readiness: [ReadinessCheck]
    /// Shared state of every API instance (the rate limiter); `nil` turns the limiter off.
    public var redis: RedisClient?
    /// Where request metrics go and what `/metrics` serves; `nil` leaves `/metrics` out.
    public var metrics: PrometheusCollectorRegistry?
    public var options: APIOptions

    public init(
        database: Database, verifier: TokenVerifier, queues: [Queue], readiness: [ReadinessCheck],
        redis: RedisClient? = nil, metrics: PrometheusCollectorRegistry? = nil, options: APIOptions = .init()
    ) {
        self.database = database
        self.verifier = verifier
        self.queues = queues
        self.readiness = readiness
        self.redis = redis
        self.metrics = metrics
        self.options = options
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

/// Assembles the `obotcall api` HTTP application from its dependencies.
public enum APIApplication {
    /// The router with every route and middleware, for tests (`app.test(.router)`) and for `make`.
    public static func router(_ dependencies: APIDependencies) throws -> Router<APIRequestContext> {
        try build(dependencies).router
    }

    /// The router and the book of the routes registered on it (for `/openapi.json` and its test).
    public static func build(_ dependencies: APIDependencies) throws -> (router: Router<APIRequestContext>, book: APIRouteBook) {
        let book = APIRouteBook()
        let options = dependencies.options
        let router = Router(context: APIRequestContext.self)
        // Outermost first: every answer (errors included) carries the request id, is counted,
        // and has CORS headers; the envelope turns errors into answers below them.
        router.add(middleware: RequestIDMiddleware())
        if let registry = dependencies.metrics { router.add(middleware: RequestMetricsMiddleware(registry: registry)) }
        if !options.corsOrigins.isEmpty { router.add(middleware: CORSPolicyMiddleware(origins: options.corsOrigins)) }
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(book: book))

        HealthRoutes<APIRequestContext>(checks: dependencies.readiness).register(on: router)
        book.record(.get, "/health", "Liveness: the process answers", tag: "health")
        book.record(.get, "/ready", "Readiness: every dependency answers (503 otherwise)", tag: "health")
        if let registry = dependencies.metrics {
            router.get("/metrics") { (_: Request, _: APIRequestContext) -> Response in
                let body = ResponseBody(byteBuffer: ByteBuffer(string: registry.emitToString()))
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: body)
            }
            book.record(.get, "/metrics", "Prometheus metrics of this API instance", tag: "health", produces: "text/plain")
        }
        router.get("/openapi.json") { (_: Request, _: APIRequestContext) -> OpenAPIDocument in
            OpenAPIDocument(routes: book.all)
        }
        book.record(.get, "/openapi.json", "This document", tag: "health")

        let api = router.group("api").add(middleware: AuthMiddleware(verifier: dependencies.verifier))
        if let redis = dependencies.redis, options.rateLimit > 0 {
            api.add(middleware: try RateLimitMiddleware(redis: redis, limit: options.rateLimit, window: options.rateLimitWindow))
        }
        let routes = RouteRegistrar(api, prefix: "/api", tag: "interventions", book: book)
        InterventionRoutes(database: dependencies.database, notifications: try dependencies.queue(QueueName.notifications))
            .register(on: routes)
        JobRoutes(queues: dependencies.queues).register(on: routes.tagged("jobs"))
        AdminRoutes(queues: dependencies.queues).register(on: routes.tagged("admin"))
        AgentRoutes(database: dependencies.database, runs: try dependencies.queue(QueueName.agentRuns)).register(on: routes.tagged("agents"))
        PropertyRoutes(database: dependencies.database).register(on: routes.tagged("properties"))
        PropertyImportRoutes(
            database: dependencies.database, imports: try dependencies.queue(QueueName.imports), maxBody: options.maxImportBody
        ).register(on: routes.tagged("properties"))
        return (router, book)
    }

    /// A router with only the health routes (for tests of readiness alone).
    public static func healthRouter(readiness: [ReadinessCheck], timeout: Duration = .seconds(2)) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        HealthRoutes<APIRequestContext>(checks: readiness, timeout: timeout).register(on: router)
        return router
    }

    /// The application, with `services` (database and Redis clients) started before the server and
    /// stopped after it.
    public static func make(
        configuration: APIConfiguration,
        dependencies: APIDependencies,
        services: [any Service],
        logger: Logger
    ) throws -> some ApplicationProtocol {
        Application(
            router: try router(dependencies),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "obotcall"),
            services: services,
            logger: logger
        )
    }
}
