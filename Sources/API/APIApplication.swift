public import Hummingbird
public import Logging
public import Queue
public import ServiceLifecycle
public import Store

/// What the API's routes need, built once per process.
public struct APIDependencies: Sendable {
    public var database: Database
    public var verifier: TokenVerifier
    /// The platform's queues, by name; `inter-notifications` must be among them.
    public var queues: [Queue]
    public var readiness: [ReadinessCheck]

    public init(database: Database, verifier: TokenVerifier, queues: [Queue], readiness: [ReadinessCheck]) {
        self.database = database
        self.verifier = verifier
        self.queues = queues
        self.readiness = readiness
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
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        HealthRoutes<APIRequestContext>(checks: dependencies.readiness).register(on: router)
        let api = router.group("api").add(middleware: AuthMiddleware(verifier: dependencies.verifier))
        InterventionRoutes(database: dependencies.database, notifications: try dependencies.queue("inter-notifications")).register(on: api)
        JobRoutes(queues: dependencies.queues).register(on: api)
        return router
    }

    /// A router with only the health routes (for tests of readiness alone).
    public static func healthRouter(readiness: [ReadinessCheck]) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        HealthRoutes<APIRequestContext>(checks: readiness).register(on: router)
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
